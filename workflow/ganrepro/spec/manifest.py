"""The asset manifest config/assets.yaml: every external file (datasets, Inception weights) with its URL, size
and checksum, read and validated as data. Fetching and verifying the files is ganrepro.data.assets."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ganrepro.core.errors import GanreproError
from ganrepro.core.io import config_hash, load_yaml
from ganrepro.core.paths import repo_root

FIELDS = {"url", "path", "size", "md5", "sha256", "sha256_prefix", "content_md5", "datasets", "note"}


REQUIRED = ("url", "path", "size", "datasets")


_HEX = {"md5": 32, "sha256": 64, "content_md5": 32}


@dataclass(frozen=True)
class Asset:
    name: str
    url: str
    path: str  # relative to data_root (torchvision's layout where torchvision has the dataset)
    size: int | None  # bytes; None = not known yet
    datasets: tuple[str, ...]
    md5: str | None = None
    sha256: str | None = None
    sha256_prefix: str | None = (
        None  # only the first hex digits are known (torch.hub file names, docs/references.md §8.4)
    )
    content_md5: str | None = None  # md5 of the gunzipped payload: lets a recompressed .gz (e.g. Debian's) pass
    note: str | None = None

    @property
    def filename(self) -> str:
        return Path(self.path).name

    @property
    def pinned(self) -> bool:
        return bool(self.md5 or self.sha256 or self.sha256_prefix)

    def expected(self) -> str:
        """The expected checksum(s) in words, for messages."""
        parts = []
        if self.md5:
            parts.append(f"md5 {self.md5}")
        if self.sha256:
            parts.append(f"sha256 {self.sha256}")
        if self.sha256_prefix:
            parts.append(f"sha256 starting with {self.sha256_prefix} (prefix only; no full digest is published)")
        if self.content_md5:
            parts.append(f"or, for a recompressed .gz, md5 {self.content_md5} of the gunzipped content")
        if not parts:
            parts.append("none pinned yet (sha256: null in config/assets.yaml)")
        size = f"{self.size} bytes" if self.size else "size not pinned"
        return "; ".join(parts) + f"; {size}"

    def hint(self) -> str:
        """Where to get the file: its url and the prefetch command."""
        if self.datasets:
            cmd = f"ganrepro prefetch --datasets {' '.join(self.datasets)} --config allow_download=true"
        else:
            cmd = f"ganrepro prefetch --assets {self.name} --config allow_download=true"
        text = f"get it from {self.url}, or on a machine with internet run `{cmd}`"
        return text + (f" ({self.note})" if self.note else "")


# ------------------------------------------------------------------------------------------------------ manifest
def manifest_path() -> Path:
    return repo_root() / "config" / "assets.yaml"


def _bad(where: str, name: str, key: str, msg: str) -> GanreproError:
    return GanreproError(f"{where}: assets.{name}: key '{key}' {msg}")


def _parse_entry(where: str, name: str, spec: Any, known_datasets: set[str] | None) -> Asset:
    if not isinstance(spec, dict):
        raise GanreproError(f"{where}: assets.{name}: expected a mapping of keys to values")
    unknown = sorted(set(spec) - FIELDS)
    if unknown:
        raise _bad(where, name, unknown[0], f"is not a known field; valid fields: {', '.join(sorted(FIELDS))}")
    for key in REQUIRED:
        if key not in spec:
            raise _bad(where, name, key, "is missing")
    url, path = spec["url"], spec["path"]
    if not isinstance(url, str) or not re.match(r"^https?://\S+$", url):
        raise _bad(where, name, "url", f"must be an http(s) URL, got {url!r}")
    if not isinstance(path, str) or not path or Path(path).is_absolute() or ".." in Path(path).parts:
        raise _bad(where, name, "path", f"must be a relative path inside data_root without '..', got {path!r}")
    size = spec["size"]
    if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size <= 0):
        raise _bad(where, name, "size", f"must be a positive number of bytes or null, got {size!r}")
    ds = spec["datasets"]
    if not isinstance(ds, list) or not all(isinstance(d, str) for d in ds):
        raise _bad(where, name, "datasets", f"must be a list of dataset names, got {ds!r}")
    if known_datasets is not None:
        for d in ds:
            if d not in known_datasets:
                raise _bad(
                    where,
                    name,
                    "datasets",
                    f"names unknown dataset {d!r}; valid: {', '.join(sorted(known_datasets))}",
                )
    sums: dict[str, str | None] = {}
    for key, n in _HEX.items():
        if key in spec:
            v = spec[key]
            if v is None and key == "sha256":
                continue  # allowed: digest not known yet, pinned on first download (ganrepro prefetch --pin)
            if not isinstance(v, str) or not re.fullmatch(f"[0-9a-f]{{{n}}}", v):
                raise _bad(where, name, key, f"must be {n} lowercase hex digits, got {v!r}")
            sums[key] = v
    if "sha256_prefix" in spec:
        v = spec["sha256_prefix"]
        if not isinstance(v, str) or not re.fullmatch(r"[0-9a-f]{4,63}", v):
            raise _bad(where, name, "sha256_prefix", f"must be 4 to 63 lowercase hex digits, got {v!r}")
        sums["sha256_prefix"] = v
    if not ({"md5", "sha256", "sha256_prefix"} & set(spec)):
        raise _bad(
            where,
            name,
            "md5",
            "or 'sha256' or 'sha256_prefix' must be given (use 'sha256: null' when not known yet)",
        )
    if "content_md5" in sums and not path.endswith(".gz"):
        raise _bad(where, name, "content_md5", "only applies to .gz files")
    note = spec.get("note")
    if note is not None and not isinstance(note, str):
        raise _bad(where, name, "note", "must be a string")
    return Asset(name=name, url=url, path=path, size=size, datasets=tuple(ds), note=note, **sums)


def load_manifest(path: str | Path | None = None, check_datasets: bool = True) -> dict[str, Asset]:
    """Read and validate config/assets.yaml (or ``path``); errors name the asset and the key."""
    path = Path(path) if path else manifest_path()
    where = str(path)
    try:
        raw = load_yaml(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise GanreproError(f"{where}: file not found (the asset manifest lists every external file)") from e
    except (yaml.YAMLError, UnicodeDecodeError, ValueError) as e:  # ValueError: duplicate key, alias bomb
        raise GanreproError(f"{where}: not valid YAML ({str(e).splitlines()[0]})") from e
    if not isinstance(raw, dict) or not isinstance(raw.get("assets"), dict):
        raise GanreproError(f"{where}: expected a top-level key 'assets' holding a mapping of asset names")
    extra = sorted(set(raw) - {"assets"})
    if extra:
        raise GanreproError(f"{where}: unknown top-level key '{extra[0]}'; only 'assets' is allowed")
    known = None
    if check_datasets:
        from ganrepro.spec.config import registry_defaults

        known = set(registry_defaults("datasets"))
    out: dict[str, Asset] = {}
    seen: dict[str, str] = {}
    for name, spec in raw["assets"].items():
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", str(name)):
            raise GanreproError(f"{where}: asset name {name!r} must use letters, digits, '_', '.', '-'")
        a = _parse_entry(where, str(name), spec, known)
        if a.path in seen:
            raise _bad(where, a.name, "path", f"{a.path!r} is already the path of asset '{seen[a.path]}'")
        seen[a.path] = a.name
        out[a.name] = a
    return out


def assets_for(datasets: Iterable[str], manifest: dict[str, Asset] | None = None) -> list[Asset]:
    """The assets that the given datasets need, in manifest order."""
    manifest = load_manifest() if manifest is None else manifest
    want = set(datasets)
    return [a for a in manifest.values() if want & set(a.datasets)]


# ------------------------------------------------------------------------------------------------------ prefetch
def prefetch_key(
    datasets: Iterable[str], data_root: str, sources: dict[str, str], extra_assets: Iterable[str] = ()
) -> str:
    """Names the prefetch marker: changes when the datasets, the locations or the manifest change."""
    try:
        manifest_text = manifest_path().read_text()
    except OSError:
        manifest_text = ""
    return config_hash(
        {
            "datasets": sorted(set(datasets)),
            "assets": sorted(set(extra_assets)),
            "data_root": str(data_root),
            "sources": sources,
            "manifest": hashlib.sha256(manifest_text.encode()).hexdigest(),
        }
    )
