"""Published numbers (paper_tables/<paper>/published.csv) are typed in once, with where they are printed, and
kept as printed: each file's sha256 is recorded here, so an accidental edit fails CI and a deliberate one
updates both the file and this table.

published.csv columns: artifact (the artifact that reproduces the number), key (unique; what a `published`
claim names), column (the printed table column), value, std (optional), where (page / table / figure),
protocol (as printed, or "unstated"), note (optional: anything the text extraction leaves ambiguous).
"""

import hashlib
from pathlib import Path

import pandas as pd
import pytest
from ganrepro.verdicts.claims import PUBLISHED_COLUMNS, load_published

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted((ROOT / "paper_tables").glob("*/published.csv"))

# paper -> sha256 of its published.csv, as typed in from the paper
AS_PRINTED = {
    "swgan": "e9a001b148831b780faea0cb25d5591acec19947a18026024675676221f72893",  # Table I, classes vs G iteration
    "tvwgan": "2a3d87641239df1b797b334c05f2ee936390992e847caf7dd1ad11fca28a0204",  # Table 1, Inception scores
}


def test_every_recorded_file_exists():
    assert sorted(p.parent.name for p in FILES) == sorted(AS_PRINTED)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.parent.name)
def test_published_csv_parses_and_cites_its_source(path):
    df = load_published(path)
    assert set(PUBLISHED_COLUMNS) <= set(df.columns)
    assert set(df.columns) <= {*PUBLISHED_COLUMNS, "std", "note"}, "no columns beyond the documented ones"
    assert len(df) > 0 and not df["key"].duplicated().any()
    assert pd.to_numeric(df["value"], errors="coerce").notna().all(), "every value is a number"
    if "std" in df.columns:
        std = df["std"].dropna()
        assert pd.to_numeric(std, errors="coerce").notna().all()
    for col in ("artifact", "key", "column", "where", "protocol"):
        assert df[col].astype(str).str.strip().ne("").all() and df[col].notna().all(), f"every row has a {col}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.parent.name)
def test_published_numbers_kept_as_printed(path):
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert digest == AS_PRINTED.get(path.parent.name), (
        f"{path} changed (sha256 {digest}). Published numbers are typed in once; if this edit is a deliberate "
        "correction against the paper, update AS_PRINTED in tests/test_published.py too."
    )


def test_tvwgan_table1_values():
    df = load_published(ROOT / "paper_tables" / "tvwgan" / "published.csv").set_index("key")
    assert df.loc["is_gpwgan", ["value", "std"]].tolist() == [3.75, 0.32]
    assert df.loc["is_tvwgan_delta10", ["value", "std"]].tolist() == [4.47, 0.23]
    assert df["where"].str.contains("Table 1").all()
