"""Small helpers: atomic writes, hashing, canonical JSON, config merging and YAML loading."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

# torch is imported inside the functions that need it: planning (run-config, validate, plan, the Snakefile)
# must not pay its import, which is seconds per job


def canonical_json(obj: Any) -> str:
    """JSON with sorted keys and no whitespace: the form that config hashes are taken of."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)


def config_hash(obj: Any, n: int = 10) -> str:
    return hashlib.sha256(canonical_json(obj).encode()).hexdigest()[:n]


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


_UMASK = os.umask(0)
os.umask(_UMASK)


def _tmp_beside(path: Path) -> tuple[int, str]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; outputs should be readable like any other file
    return fd, tmp


@contextlib.contextmanager
def _atomic_file(path: Path) -> Iterator[BinaryIO]:
    """A temporary file beside `path`: on success it is fsynced and renamed over `path` (readers never see half a
    file, and the bytes are on disk before the rename makes them the file); on any failure it is removed and the
    error names `path`, not the temporary file."""
    fd, tmp = _tmp_beside(path)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as e:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(e, OSError):
            e.filename = str(path)
        raise


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    with _atomic_file(Path(path)) as f:
        f.write(data)


def atomic_write_text(path: str | Path, text: str) -> None:
    atomic_write_bytes(path, text.encode())


def atomic_write_json(path: str | Path, obj: Any) -> None:
    atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n")


def atomic_torch_save(path: str | Path, obj: Any) -> None:
    import torch

    with _atomic_file(Path(path)) as f:
        torch.save(obj, f)


def atomic_savefig(fig: Any, path: str | Path, **kwargs: Any) -> None:
    path = Path(path)
    with _atomic_file(path) as f:
        fig.savefig(f, format=path.suffix.lstrip("."), **kwargs)


def atomic_to_csv(df: Any, path: str | Path) -> None:
    atomic_write_text(path, df.to_csv(index=False))


class AtomicGroup:
    """Files that belong together (an artifact's CSV, PNG and provenance; the report's page and table). Each is
    written to a temporary file beside its final name and fsynced; only when every one is written are they renamed
    into place, one after another (a rename needs no space), so a full disk or an error leaves all the previous
    files, never a mix. Use `atomic_group()`."""

    def __init__(self) -> None:
        self._staged: list[tuple[str, Path]] = []

    def write_bytes(self, path: str | Path, data: bytes) -> Path:
        """Stage `data` for `path`; returns the temporary file (readable until the group commits)."""
        path = Path(path)
        fd, tmp = _tmp_beside(path)
        self._staged.append((tmp, path))
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        except OSError as e:
            e.filename = str(path)
            raise
        return Path(tmp)

    def write_text(self, path: str | Path, text: str) -> Path:
        return self.write_bytes(path, text.encode())

    def write_json(self, path: str | Path, obj: Any) -> Path:
        return self.write_text(path, json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n")

    def to_csv(self, df: Any, path: str | Path) -> Path:
        return self.write_text(path, df.to_csv(index=False))

    def savefig(self, fig: Any, path: str | Path, **kwargs: Any) -> Path:
        import io

        buf = io.BytesIO()
        fig.savefig(buf, format=Path(path).suffix.lstrip("."), **kwargs)
        return self.write_bytes(path, buf.getvalue())

    def copy(self, src: str | Path, path: str | Path) -> Path:
        return self.write_bytes(path, Path(src).read_bytes())

    def _commit(self) -> None:
        for tmp, path in self._staged:
            os.replace(tmp, path)
        self._staged = []

    def _discard(self) -> None:
        for tmp, _ in self._staged:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        self._staged = []


@contextlib.contextmanager
def atomic_group() -> Iterator[AtomicGroup]:
    """with atomic_group() as g: g.to_csv(df, a); g.savefig(fig, b) -- both replaced, or neither (AtomicGroup)."""
    g = AtomicGroup()
    try:
        yield g
    except BaseException:
        g._discard()
        raise
    g._commit()


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Recursive dict merge; values in `over` win, nested dicts are merged key by key."""
    out = dict(base)
    for k, v in (over or {}).items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = v
    return out


MAX_YAML_NODES = 1_000_000  # what a config file may expand to once its aliases are followed


class YamlDataError(ValueError):
    """A YAML file that parses but cannot be trusted as data: a duplicate key, or aliases that expand too far."""


def _loader() -> Any:
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's C parser when PyYAML has it: ~20x faster

    class StrictLoader(base):  # type: ignore[misc, valid-type]
        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *base`: keys written after it override it
                    continue
                key = self.construct_object(key_node, deep=True)
                if key in seen:  # YAML says keys are unique; the last one silently winning hides a typo
                    raise YamlDataError(
                        f"duplicate key {key!r} at line {key_node.start_mark.line + 1} "
                        f"(first at line {seen[key]}); keep one"
                    )
                seen[key] = key_node.start_mark.line + 1
            return super().construct_mapping(node, deep=deep)

    return StrictLoader


def _expanded_nodes(obj: Any, budget: int) -> int:
    """How many values `obj` holds once shared (aliased) parts are counted every time they appear; stops early."""
    n, stack = 0, [obj]
    while stack:
        x = stack.pop()
        n += 1
        if n > budget:
            break
        if isinstance(x, dict):
            stack.extend(x.keys())
            stack.extend(x.values())
        elif isinstance(x, list):
            stack.extend(x)
    return n


def load_yaml(stream: Any) -> Any:
    """YAML as plain data: the safe loader (no Python objects), with duplicate keys refused and the size the
    aliases expand to bounded (a 15 KB "billion laughs" file would otherwise exhaust memory when copied)."""
    data = __import__("yaml").load(stream, Loader=_loader())
    if _expanded_nodes(data, MAX_YAML_NODES) > MAX_YAML_NODES:
        raise YamlDataError(f"expands to more than {MAX_YAML_NODES:,} values once its aliases are followed")
    return data
