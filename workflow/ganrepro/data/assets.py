"""External files (datasets, Inception weights): the manifest config/assets.yaml, where to find them, how to check them.

Every file the harness may need is listed once in config/assets.yaml with its url, size and checksum (the md5 sums
torchvision publishes, sha256 otherwise; for the Inception weights only the sha256 prefix in the file name is known,
docs/references.md §8.4). A dataset builder calls ``require`` before training: it looks in the per-dataset ``sources``
folders and in
``data_root`` only, verifies every file and stops with a message that says what is missing and where to get it.
Only ``fetch`` (called by ``ganrepro prefetch`` when ``allow_download`` is true) touches the network.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ganrepro.core.errors import GanreproError
from ganrepro.core.io import atomic_write_json, config_hash
from ganrepro.core.paths import repo_root
from ganrepro.spec.manifest import Asset, assets_for, load_manifest

STAMP_DIR = Path("cache") / "verified"  # under data_root: remembers files already hashed (size, mtime, ctime, inode)


@dataclass(frozen=True)
class Verified:
    asset: str
    path: str
    method: str  # md5 | sha256 | content-md5 | sha256-prefix | unpinned
    digest: str  # the digest that matched (or, when unpinned, the sha256 computed)
    checked: str = field(
        default="now"
    )  # "now", or "stamp <date>" when an earlier hash of the unchanged file was reused

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

    def describe(self) -> str:
        return {
            "md5": f"md5 {self.digest}",
            "sha256": f"sha256 {self.digest}",
            "content-md5": f"md5 {self.digest} of the gunzipped content (recompressed .gz)",
            "sha256-prefix": f"sha256 {self.digest} matches the published prefix (prefix only)",
            "unpinned": f"UNVERIFIED: no checksum pinned; sha256 is {self.digest} (pin it in config/assets.yaml)",
        }[self.method]


def summary(verified: Iterable[Verified]) -> str:
    """One phrase for provenance strings, e.g. 'md5-verified' or 'sha256 prefix only'."""
    methods = {v.method for v in verified}
    words = {
        "md5": "md5-verified",
        "content-md5": "md5-verified (gunzipped content)",
        "sha256": "sha256-verified",
        "sha256-prefix": "sha256 prefix only",
        "unpinned": "UNVERIFIED (no checksum pinned)",
    }
    return ", ".join(words[m] for m in sorted(methods)) or "no files"


# ------------------------------------------------------------------------------------------------------ locations
def resolve_data_root(value: str | Path) -> Path:
    """config key data_root as a path: relative to the repository root, or absolute (config/config.yaml)."""
    p = Path(os.path.expanduser(str(value)))
    return p if p.is_absolute() else repo_root() / p


def default_locations(
    data_root: str | Path | None = None, sources: dict[str, str] | None = None
) -> tuple[Path, dict[str, str]]:
    """Fill what is not given from the repository config (config/config.yaml: data_root, sources).

    A given data_root is used as is (a command-line path, relative to the working directory)."""
    if data_root is None or sources is None:
        from ganrepro.spec.config import load_config

        cfg = load_config()
        if data_root is None:
            data_root = resolve_data_root(cfg["data_root"])
        if sources is None:
            sources = dict(cfg.get("sources") or {})
    check_sources(sources)
    return Path(os.path.expanduser(str(data_root))), {k: os.path.expanduser(str(v)) for k, v in sources.items()}


def check_sources(sources: dict[str, str]) -> None:
    from ganrepro.data import DATASETS

    for k in sources:
        if k not in DATASETS:
            raise GanreproError(
                f"config key 'sources' names unknown dataset {k!r}; valid names: {', '.join(DATASETS.names())}"
            )


def candidates(asset: Asset, data_root: str | Path, sources: dict[str, str] | None = None) -> list[tuple[Path, str]]:
    """Where the file may be, in search order, each with a label: the dataset's source folder (torchvision layout or
    flat, e.g. Debian's /usr/share/datasets/fashion-mnist), then data_root."""
    out: list[tuple[Path, str]] = []
    for d in asset.datasets:
        src = (sources or {}).get(d)
        if src:
            for p in (Path(src) / asset.path, Path(src) / asset.filename):
                if p not in [q for q, _ in out]:
                    out.append((p, f"sources.{d}"))
    out.append((Path(data_root) / asset.path, "data_root"))
    return out


def locate(asset: Asset, data_root: str | Path, sources: dict[str, str] | None = None) -> Path | None:
    """The first existing candidate file, or None."""
    for p, _ in candidates(asset, data_root, sources):
        if p.is_file():
            return p
    return None


# ------------------------------------------------------------------------------------------------------ checking
def file_digest(path: str | Path, algo: str, gunzip: bool = False, chunk: int = 1 << 20) -> str:
    h = hashlib.new(algo)
    opener = gzip.open if gunzip else open
    with opener(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(2) == b"\x1f\x8b"


def check(
    path: str | Path, asset: Asset, data_root: str | Path | None = None, shown_as: str | Path | None = None
) -> Verified:
    """Verify size and checksum; return how it was verified. Raises GanreproError naming the file, the expected
    location, the expected and actual checksums and where to get the file."""
    path = Path(path)
    shown = str(shown_as) if shown_as else str(path)
    actual_size = path.stat().st_size
    expected_at = Path(data_root) / asset.path if data_root is not None else Path("<data_root>") / asset.path
    mismatches: list[str] = []
    digests: dict[str, str] = {}
    if asset.size is not None and actual_size != asset.size:
        mismatches.append(f"size {actual_size} bytes, expected {asset.size}")
    if asset.md5:
        digests["md5"] = file_digest(path, "md5")
        if digests["md5"] != asset.md5:
            mismatches.append(f"md5 {digests['md5']}, expected {asset.md5}")
    if asset.sha256 or asset.sha256_prefix or not asset.pinned:
        digests["sha256"] = file_digest(path, "sha256")
        if asset.sha256 and digests["sha256"] != asset.sha256:
            mismatches.append(f"sha256 {digests['sha256']}, expected {asset.sha256}")
        if asset.sha256_prefix and not digests["sha256"].startswith(asset.sha256_prefix):
            mismatches.append(
                f"sha256 {digests['sha256']} does not start with {asset.sha256_prefix} "
                "(prefix only; docs/references.md §8.4)"
            )
    if not mismatches:
        if asset.md5:
            return Verified(asset.name, str(path), "md5", digests["md5"])
        if asset.sha256:
            return Verified(asset.name, str(path), "sha256", digests["sha256"])
        if asset.sha256_prefix:
            return Verified(asset.name, str(path), "sha256-prefix", digests["sha256"])
        return Verified(asset.name, str(path), "unpinned", digests["sha256"])
    if asset.content_md5 and _is_gzip(path):
        # A .gz recompressed by a distribution (Debian's dataset-fashion-mnist) differs in its bytes but not in
        # its content: the md5 of the gunzipped payload is the check that still applies.
        try:
            content = file_digest(path, "md5", gunzip=True)
        except (OSError, EOFError) as e:
            mismatches.append(f"gunzip failed ({e})")
        else:
            if content == asset.content_md5:
                return Verified(asset.name, str(path), "content-md5", content)
            mismatches.append(f"gunzipped content md5 {content}, expected {asset.content_md5}")
    raise GanreproError(
        f"checksum/size mismatch for {shown} (asset '{asset.name}'"
        + (f", dataset {', '.join(asset.datasets)}" if asset.datasets else "")
        + f"): {'; '.join(mismatches)}.\n"
        f"  expected location: {expected_at}\n"
        f"  expected checksum: {asset.expected()}\n"
        f"  the file is corrupt, truncated or a different version: replace it. {asset.hint()}"
    )


def _stamp_key(path: Path, asset: Asset) -> dict[str, Any]:
    st = path.stat()
    return {
        "path": str(path.resolve()),
        "size": st.st_size,
        "mtime_ns": st.st_mtime_ns,
        "ctime_ns": st.st_ctime_ns,  # any write or metadata change moves it, and no tool can set it back
        "inode": st.st_ino,
        "expected": [asset.md5, asset.sha256, asset.sha256_prefix, asset.content_md5, asset.size],
    }


def check_cached(path: Path, asset: Asset, data_root: Path) -> Verified:
    """``check`` that skips re-hashing a file hashed before and unchanged since (same size, mtime, ctime and inode:
    a file rewritten in place, even with its old mtime restored, has a new ctime, so it is hashed again): a
    43 GB LSUN archive is not re-hashed at every training start. ``ganrepro prefetch`` always re-hashes."""
    stamp = data_root / STAMP_DIR / f"{asset.name}-{config_hash(str(path.resolve()))}.json"
    key = _stamp_key(path, asset)
    try:
        saved = json.loads(stamp.read_text())
        if saved["key"] == key:
            return Verified(**{**saved["verified"], "checked": f"stamp {saved['when']}"})
    except (OSError, ValueError, KeyError, TypeError):
        pass
    v = check(path, asset, data_root)
    try:
        atomic_write_json(stamp, {"key": key, "verified": v.as_dict(), "when": time.strftime("%Y-%m-%d %H:%M:%S")})
    except OSError:
        pass  # a read-only data_root: verify every time
    return v


def missing_message(asset: Asset, data_root: str | Path, sources: dict[str, str] | None, why: str = "") -> str:
    looked = "\n".join(f"    {p}  ({label})" for p, label in candidates(asset, data_root, sources))
    return (
        f"missing file {asset.filename} (asset '{asset.name}'"
        + (f", needed by dataset {', '.join(asset.datasets)}" if asset.datasets else "")
        + f"){why}.\n"
        f"  expected location: {Path(data_root) / asset.path}\n"
        f"  looked in:\n{looked}\n"
        f"  expected checksum: {asset.expected()}\n"
        f"  {asset.hint()}; or point config key 'sources' at a folder holding it "
        f"(e.g. sources: {{{asset.datasets[0] if asset.datasets else 'DATASET'}: /path/to/folder}})."
    )


def require(
    datasets: str | Iterable[str],
    data_root: str | Path,
    sources: dict[str, str] | None = None,
    *,
    allow_download: bool = False,
    progress: bool = False,
    manifest: dict[str, Asset] | None = None,
) -> list[Verified]:
    """Locate and verify every asset the dataset(s) need; stop with a clear message if one is missing or bad.

    Dataset builders call this before any training with allow_download False: then only the sources folders and
    data_root are read and nothing touches the network (compute nodes are often offline).
    """
    names = [datasets] if isinstance(datasets, str) else list(datasets)
    data_root = Path(data_root)
    out = []
    for asset in assets_for(names, manifest):
        path = locate(asset, data_root, sources)
        if path is None:
            if not allow_download:
                raise GanreproError(missing_message(asset, data_root, sources, " and allow_download is false"))
            path = fetch(asset, data_root, allow_download=True, progress=progress)
            out.append(check(path, asset, data_root))
            continue
        out.append(check_cached(path, asset, data_root))
    return out


# ------------------------------------------------------------------------------------------------------ download
def fetch(
    asset: Asset,
    data_root: str | Path,
    *,
    allow_download: bool = False,
    progress: bool = True,
    timeout: float = 60,
    deadline: float | None = None,
) -> Path:
    """Download ``asset.url`` to data_root/asset.path: into a temporary file beside it, check size and checksum,
    then rename (a partial or corrupt download never takes the final name). Refuses unless allow_download.

    Bounded: `timeout` is per read, and the whole download has a deadline (default: 10 minutes plus one second
    per 100 kB of the manifest's size, i.e. a floor of 100 kB/s), so a server that drips bytes is cut off; a
    body longer than the manifest's size is cut at that size (+1 byte, to tell it apart) and fails its check."""
    import http.client
    import urllib.error
    import urllib.request

    dest = Path(data_root) / asset.path
    if not allow_download:
        raise GanreproError(
            f"download refused for {asset.filename} (asset '{asset.name}'): config key allow_download is false, so "
            f"nothing is fetched from {asset.url}.\n  expected location: {dest}\n"
            f"  expected checksum: {asset.expected()}\n"
            f"  place the file there yourself, or rerun with --config allow_download=true on a machine with internet."
        )
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    except OSError as e:
        raise GanreproError(f"cannot write to {dest.parent} to download {asset.filename}: {e}; check data_root") from e
    try:
        req = urllib.request.Request(asset.url, headers={"User-Agent": "ganrepro-prefetch"})
        with os.fdopen(fd, "wb") as f, urllib.request.urlopen(req, timeout=timeout) as r:
            from ganrepro.core.progress import progress as progress_bar

            announced = int(r.headers.get("Content-Length") or 0)
            if asset.size is not None and announced > asset.size:
                raise http.client.HTTPException(f"the server announces {announced} bytes, the manifest {asset.size}")
            limit = asset.size + 1 if asset.size is not None else None
            if deadline is None:
                deadline = 600 + (asset.size or 0) / 100_000
            t_end = time.monotonic() + deadline
            got = 0
            with progress_bar(
                total=announced or asset.size, unit="B", unit_scale=True, desc=dest.name, enabled=progress
            ) as bar:
                while block := r.read1(1 << 20):  # read1: returns what has arrived, so the deadline is checked
                    f.write(block)
                    got += len(block)
                    bar.update(len(block))
                    if limit is not None and got >= limit:
                        raise http.client.HTTPException(f"the body runs past the manifest's {asset.size} bytes")
                    if time.monotonic() > t_end:
                        raise http.client.HTTPException(
                            f"not finished after {deadline:.0f} s ({got} of {asset.size or '?'} bytes); the server "
                            "is too slow"
                        )
            f.flush()
            os.fsync(f.fileno())
        if announced and got != announced:
            raise http.client.IncompleteRead(b"", announced - got)
        check(tmp, asset, data_root, shown_as=f"{dest} (downloaded from {asset.url})")
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    except (urllib.error.URLError, http.client.HTTPException, OSError) as e:
        why = f"connection closed early, {e.expected} bytes missing" if isinstance(e, http.client.IncompleteRead) else e
        raise GanreproError(
            f"download of {asset.filename} (asset '{asset.name}') from {asset.url} failed: {why}.\n"
            f"  expected location: {dest}\n  expected checksum: {asset.expected()}"
            + (f"\n  note: {asset.note}" if asset.note else "")
        ) from e
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return dest


def prefetch(
    datasets: Iterable[str],
    data_root: str | Path,
    sources: dict[str, str],
    *,
    allow_download: bool,
    extra_assets: Iterable[str] = (),
    progress: bool = True,
) -> tuple[list[dict[str, str]], list[Verified]]:
    """Fetch (if allowed) and verify the assets of ``datasets`` plus ``extra_assets``; every file is re-hashed.

    Returns one table row per asset (asset, status, path, detail) and the verified records. Never raises for a
    single asset: the caller prints the table, then fails if any row is not ok.
    """
    manifest = load_manifest()
    check_sources(sources)
    extra = list(extra_assets)
    for n in extra:
        if n not in manifest:
            raise GanreproError(f"--assets names unknown asset {n!r}; valid names: {', '.join(manifest)}")
    chosen = assets_for(datasets, manifest) + [manifest[n] for n in extra]
    seen: set[str] = set()
    rows, ok = [], []
    data_root = Path(data_root)
    for a in chosen:
        if a.name in seen:
            continue
        seen.add(a.name)
        path = locate(a, data_root, sources)
        try:
            if path is None:
                if not allow_download:
                    raise GanreproError(missing_message(a, data_root, sources, " and allow_download is false"))
                path = fetch(a, data_root, allow_download=True, progress=progress)
            v = check(path, a, data_root)
            ok.append(v)
            status = "UNPINNED" if v.method == "unpinned" else "ok"
            rows.append(
                {"asset": a.name, "status": status, "path": str(path), "detail": v.describe(), "check": v.method}
            )
        except GanreproError as e:
            status = "missing" if path is None else "FAILED"
            rows.append({"asset": a.name, "status": status, "path": str(path or data_root / a.path), "detail": str(e)})
        # what is on disk, or for a missing file what a download would bring
        rows[-1]["size"] = Path(path).stat().st_size if path is not None else a.size
    return rows, ok


SHOWN_STATUS = {"ok": "have", "UNPINNED": "UNPINNED", "missing": "missing", "FAILED": "FAILED"}
SHOWN_CHECK = {
    "md5": "md5",
    "sha256": "sha256",
    "content-md5": "md5 of gunzipped",
    "sha256-prefix": "sha256 prefix only",
    "unpinned": "none pinned",
}


def format_size(n: int | None) -> str:
    if n is None:
        return "?"
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"


def format_table(rows: list[dict[str, Any]], verbose: bool = False) -> str:
    """One line per asset (name, have / missing / FAILED / UNPINNED, size, how it was checked, file), then a
    one-line total; `verbose` adds each asset's full detail (where it looked, checksums, URL) under its row."""
    if not rows:
        return "no assets needed (the planned runs use toy or stand-in data only)"
    table = [("asset", "status", "size", "checked by", "file")] + [
        (
            r["asset"],
            SHOWN_STATUS[r["status"]],
            format_size(r.get("size")),
            SHOWN_CHECK.get(r.get("check", ""), "-"),
            r["path"],
        )
        for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(4)]
    lines = []
    for i, row in enumerate(table):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row[:4], widths, strict=True)) + "  " + row[4])
        if verbose and i:
            lines += [f"    {d}" for d in rows[i - 1]["detail"].splitlines()]
    total = []
    for status in SHOWN_STATUS:
        these = [r for r in rows if r["status"] == status]
        if these:
            size = sum(r["size"] or 0 for r in these)
            unknown = " + ?" if any(r["size"] is None for r in these) else ""
            total.append(f"{len(these)} {SHOWN_STATUS[status]} ({format_size(size)}{unknown})")
    lines.append(f"{len(rows)} assets: {', '.join(total)}")
    return "\n".join(lines)


def pin_lines(verified: Iterable[Verified], manifest: dict[str, Asset] | None = None) -> list[str]:
    """For assets with no full checksum in the manifest (sha256: null, or a prefix only): the lines to add to
    config/assets.yaml. Assets checked by md5 are skipped: their published md5 is the reference."""
    manifest = load_manifest() if manifest is None else manifest
    out = []
    for v in verified:
        a = manifest[v.asset]
        if v.method in ("unpinned", "sha256-prefix"):
            out.append(f"{a.name}:  sha256: {v.digest}   size: {Path(v.path).stat().st_size}")
    return out


def write_marker(path: str | Path, verified: list[Verified]) -> None:
    """The prefetch rule's output: which files were verified, where, and how."""
    atomic_write_json(path, {"verified": [v.as_dict() for v in verified], "when": time.strftime("%Y-%m-%d %H:%M:%S")})
