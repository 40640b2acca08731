"""External files (datasets, Inception weights): the manifest config/assets.yaml, where to find them, how to check them.

Every file the harness may need is listed once in config/assets.yaml with its url, size and checksum (the md5 sums
torchvision publishes, sha256 otherwise; for the Inception weights only the sha256 prefix in the file name is known,
SPEC §8.4). A dataset builder calls ``require`` before training: it looks in the per-dataset ``sources`` folders and in
``data_root`` only, verifies every file and stops with a message that says what is missing and where to get it.
Only ``fetch`` (called by ``ganrepro prefetch`` when ``allow_download`` is true) touches the network.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import tempfile
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import GanreproError
from ..utils import atomic_write_json, config_hash, repo_root

FIELDS = {"url", "path", "size", "md5", "sha256", "sha256_prefix", "content_md5", "datasets", "note"}
REQUIRED = ("url", "path", "size", "datasets")
_HEX = {"md5": 32, "sha256": 64, "content_md5": 32}
STAMP_DIR = Path("cache") / "verified"  # under data_root: remembers files already hashed (size + mtime + inode)


@dataclass(frozen=True)
class Asset:
    name: str
    url: str
    path: str  # relative to data_root (torchvision's layout where torchvision has the dataset)
    size: int | None  # bytes; None = not known yet
    datasets: tuple[str, ...]
    md5: str | None = None
    sha256: str | None = None
    sha256_prefix: str | None = None  # only the first hex digits are known (torch.hub file names, SPEC §8.4)
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


@dataclass(frozen=True)
class Verified:
    asset: str
    path: str
    method: str  # md5 | sha256 | content-md5 | sha256-prefix | unpinned
    digest: str  # the digest that matched (or, when unpinned, the sha256 computed)
    checked: str = field(default="now")  # "now", or "stamp <date>" when an earlier hash of the unchanged file was reused

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
                raise _bad(where, name, "datasets", f"names unknown dataset {d!r}; valid: {', '.join(sorted(known_datasets))}")
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
        raise _bad(where, name, "md5", "or 'sha256' or 'sha256_prefix' must be given (use 'sha256: null' when not known yet)")
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
        raw = yaml.safe_load(path.read_text())
    except FileNotFoundError as e:
        raise GanreproError(f"{where}: file not found (the asset manifest lists every external file)") from e
    except yaml.YAMLError as e:
        raise GanreproError(f"{where}: not valid YAML ({e})") from e
    if not isinstance(raw, dict) or not isinstance(raw.get("assets"), dict):
        raise GanreproError(f"{where}: expected a top-level key 'assets' holding a mapping of asset names")
    extra = sorted(set(raw) - {"assets"})
    if extra:
        raise GanreproError(f"{where}: unknown top-level key '{extra[0]}'; only 'assets' is allowed")
    known = None
    if check_datasets:
        from . import DATASETS

        known = set(DATASETS.names())
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
        from ..plan import load_config

        cfg = load_config()
        if data_root is None:
            data_root = resolve_data_root(cfg["data_root"])
        if sources is None:
            sources = dict(cfg.get("sources") or {})
    check_sources(sources)
    return Path(os.path.expanduser(str(data_root))), {k: os.path.expanduser(str(v)) for k, v in sources.items()}


def check_sources(sources: dict[str, str]) -> None:
    from . import DATASETS

    for k in sources:
        if k not in DATASETS:
            raise GanreproError(f"config key 'sources' names unknown dataset {k!r}; valid names: {', '.join(DATASETS.names())}")


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


def check(path: str | Path, asset: Asset, data_root: str | Path | None = None, shown_as: str | Path | None = None) -> Verified:
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
                f"sha256 {digests['sha256']} does not start with {asset.sha256_prefix} (prefix only; SPEC §8.4)"
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


def verify(path: str | Path, asset: Asset, data_root: str | Path | None = None) -> None:
    """Raise GanreproError unless ``path`` has the asset's size and checksum (see ``check``)."""
    check(path, asset, data_root)


def _stamp_key(path: Path, asset: Asset) -> dict[str, Any]:
    st = path.stat()
    return {
        "path": str(path.resolve()),
        "size": st.st_size,
        "mtime_ns": st.st_mtime_ns,
        "inode": st.st_ino,
        "expected": [asset.md5, asset.sha256, asset.sha256_prefix, asset.content_md5, asset.size],
    }


def check_cached(path: Path, asset: Asset, data_root: Path) -> Verified:
    """``check`` that skips re-hashing a file hashed before and unchanged since (same size, mtime and inode): a
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
def fetch(asset: Asset, data_root: str | Path, *, allow_download: bool = False, progress: bool = True, timeout: float = 60) -> Path:
    """Download ``asset.url`` to data_root/asset.path: into a temporary file beside it, check size and checksum,
    then rename (a partial or corrupt download never takes the final name). Refuses unless allow_download."""
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
            from tqdm import tqdm

            announced = int(r.headers.get("Content-Length") or 0)
            got = 0
            with tqdm(total=announced or asset.size, unit="B", unit_scale=True, desc=dest.name, disable=not progress,
                      mininterval=1.0) as bar:
                while block := r.read(1 << 20):
                    f.write(block)
                    got += len(block)
                    bar.update(len(block))
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


# ------------------------------------------------------------------------------------------------------ prefetch
def prefetch_key(datasets: Iterable[str], data_root: str, sources: dict[str, str], extra_assets: Iterable[str] = ()) -> str:
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
            rows.append({"asset": a.name, "status": status, "path": str(path), "detail": v.describe()})
        except GanreproError as e:
            status = "missing" if path is None else "FAILED"
            rows.append({"asset": a.name, "status": status, "path": str(path or data_root / a.path), "detail": str(e)})
    return rows, ok


def format_table(rows: list[dict[str, str]]) -> str:
    if not rows:
        return "no assets needed (the planned runs use toy or stand-in data only)"
    w_a = max(len(r["asset"]) for r in rows)
    w_s = max(len(r["status"]) for r in rows)
    lines = [f"{'asset':<{w_a}}  {'status':<{w_s}}  file / detail"]
    for r in rows:
        first = r["detail"].splitlines()[0] if r["status"] not in ("ok", "UNPINNED") else r["detail"]
        lines.append(f"{r['asset']:<{w_a}}  {r['status']:<{w_s}}  {r['path']}")
        lines.append(f"{'':<{w_a}}  {'':<{w_s}}    {first}")
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

