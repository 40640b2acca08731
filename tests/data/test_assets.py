"""The asset manifest, locating and verifying files, and real downloads from a local HTTP server (no internet)."""

import functools
import gzip
import hashlib
import http.server
import json
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest
import torchvision.datasets as tvd
import yaml
from ganrepro import cli, data
from ganrepro.core.errors import GanreproError
from ganrepro.data import assets
from ganrepro.data.assets import Asset


def _sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def _md5(b: bytes) -> str:
    return hashlib.md5(b).hexdigest()


@pytest.fixture
def server(tmp_path):
    """Serve tmp_path/www on 127.0.0.1 (a real HTTP download, no internet). Yields (base url, folder, request log)."""
    www = tmp_path / "www"
    www.mkdir()
    log: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):  # keep pytest output clean
            log.append(self.path)

        def do_GET(self):
            if self.path == "/cut.bin":  # announces the full length, sends a third, drops the connection
                self.send_response(200)
                self.send_header("Content-Length", str(len(PAYLOAD)))
                self.end_headers()
                self.wfile.write(PAYLOAD[: len(PAYLOAD) // 3])
                self.close_connection = True
                return
            if self.path == "/endless.bin":  # no Content-Length, a body that never ends
                self.send_response(200)
                self.end_headers()
                try:
                    while True:
                        self.wfile.write(b"\0" * 65536)
                except OSError:
                    return
            if self.path == "/drip.bin":  # one byte at a time, never slow enough for a per-read timeout
                self.send_response(200)
                self.send_header("Content-Length", str(len(PAYLOAD)))
                self.end_headers()
                try:
                    for b in PAYLOAD:
                        self.wfile.write(bytes([b]))
                        self.wfile.flush()
                        time.sleep(0.05)
                except OSError:
                    return
                return
            super().do_GET()

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(www)))
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", www, log
    finally:
        httpd.shutdown()
        httpd.server_close()


PAYLOAD = bytes(range(256)) * 400  # 102,400 bytes


def _asset(url, **kw) -> Asset:
    base = {
        "name": "blob",
        "url": url,
        "path": "blobs/blob.bin",
        "size": len(PAYLOAD),
        "datasets": ("mnist",),
        "sha256": _sha(PAYLOAD),
    }
    base.update(kw)
    return Asset(**base)


# ---------------------------------------------------------------------------------------------------- manifest
def test_manifest_is_valid_and_reuses_torchvision_md5s():
    m = assets.load_manifest()
    by_file = {(tuple(a.datasets), a.filename): a for a in m.values()}
    for cls, ds in ((tvd.MNIST, "mnist"), (tvd.FashionMNIST, "fashion_mnist")):
        for fname, md5 in cls.resources:
            assert by_file[((ds,), fname)].md5 == md5
    assert by_file[(("cifar10",), tvd.CIFAR10.filename)].md5 == tvd.CIFAR10.tgz_md5
    assert by_file[(("cifar10",), tvd.CIFAR10.filename)].url == tvd.CIFAR10.url
    for file_id, md5, fname in tvd.CelebA.file_list:
        a = by_file[(("celeba",), fname)]
        assert a.md5 == md5 and file_id in a.url


def test_every_file_dataset_has_assets_and_weights_are_prefix_only():
    m = assets.load_manifest()
    for name in data.DATASETS.names():
        assert bool(assets.assets_for([name], m)) == data.needs_files(name), name
    w = {a.filename: a for a in m.values() if not a.datasets}
    assert set(w) == {"pt_inception-2015-12-05-6726825d.pth", "weights-inception-2015-12-05-6726825d.pth"}
    for a in w.values():
        assert a.sha256_prefix == "6726825d" and a.sha256 is None and "prefix only" in a.expected()
    assert w["pt_inception-2015-12-05-6726825d.pth"].url == (
        "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth"
    )
    assert w["weights-inception-2015-12-05-6726825d.pth"].url == (
        "https://github.com/toshas/torch-fidelity/releases/download/v0.2.0/weights-inception-2015-12-05-6726825d.pth"
    )


@pytest.mark.parametrize(
    "entry, needle",
    [
        (
            {"url": "http://x/a", "path": "a", "size": 1, "md5": "0" * 32, "datasets": [], "colour": 1},
            "key 'colour' is not a known field",
        ),
        ({"path": "a", "size": 1, "md5": "0" * 32, "datasets": []}, "key 'url' is missing"),
        ({"url": "http://x/a", "path": "a", "size": 1, "md5": "xyz", "datasets": []}, "key 'md5' must be 32"),
        (
            {"url": "http://x/a", "path": "../a", "size": 1, "md5": "0" * 32, "datasets": []},
            "key 'path' must be a relative",
        ),
        ({"url": "http://x/a", "path": "a", "size": -3, "md5": "0" * 32, "datasets": []}, "key 'size'"),
        ({"url": "http://x/a", "path": "a", "size": 1, "datasets": []}, "'sha256: null'"),
        (
            {"url": "http://x/a", "path": "a", "size": 1, "md5": "0" * 32, "datasets": ["nope"]},
            "unknown dataset 'nope'",
        ),
        (
            {"url": "ftp://x/a", "path": "a", "size": 1, "md5": "0" * 32, "datasets": []},
            "key 'url' must be an http",
        ),
    ],
)
def test_manifest_errors_name_the_asset_and_key(tmp_path, entry, needle):
    p = tmp_path / "assets.yaml"
    p.write_text(yaml.safe_dump({"assets": {"thing": entry}}))
    with pytest.raises(GanreproError, match="assets.thing") as e:
        assets.load_manifest(p)
    assert needle in str(e.value) and str(p) in str(e.value)


def test_sha256_null_is_allowed_and_reported_unpinned(tmp_path):
    p = tmp_path / "assets.yaml"
    p.write_text(
        "assets:\n  z:\n    url: http://x/z.zip\n    path: z.zip\n    size: null\n"
        "    sha256: null   # unknown yet\n    datasets: []\n"
    )
    a = assets.load_manifest(p)["z"]
    f = tmp_path / "z.zip"
    f.write_bytes(PAYLOAD)
    v = assets.check(f, a)
    assert v.method == "unpinned" and v.digest == _sha(PAYLOAD) and "UNVERIFIED" in v.describe()
    assert assets.pin_lines([v], {"z": a}) == [f"z:  sha256: {_sha(PAYLOAD)}   size: {len(PAYLOAD)}"]


# ---------------------------------------------------------------------------------------------------- verify / locate
def test_verify_ok_and_mismatch_message(tmp_path):
    f = tmp_path / "blob.bin"
    f.write_bytes(PAYLOAD)
    a = _asset("http://example.invalid/blob.bin")
    assets.check(f, a)
    bad = _asset("http://example.invalid/blob.bin", sha256="0" * 64)
    with pytest.raises(GanreproError) as e:
        assets.check(f, bad, data_root=tmp_path / "root")
    msg = str(e.value)
    for needle in (
        str(f),
        str(tmp_path / "root" / "blobs/blob.bin"),
        "0" * 64,
        _sha(PAYLOAD),
        "http://example.invalid/blob.bin",
        "ganrepro prefetch",
    ):
        assert needle in msg


def test_sha256_prefix_check_says_prefix_only(tmp_path):
    f = tmp_path / "w.pth"
    f.write_bytes(PAYLOAD)
    good = _asset("http://x/w.pth", sha256=None, sha256_prefix=_sha(PAYLOAD)[:8], size=None)
    v = assets.check(f, good)
    assert v.method == "sha256-prefix" and "prefix only" in v.describe()
    assert "prefix only" in assets.summary([v])
    bad = _asset("http://x/w.pth", sha256=None, sha256_prefix="6726825d", size=None)
    with pytest.raises(GanreproError, match=r"does not start with 6726825d \(prefix only"):
        assets.check(f, bad)


def test_recompressed_gz_passes_by_content_md5(tmp_path):
    content = b"IDX" * 1000
    official = gzip.compress(content, mtime=0)
    repacked = gzip.compress(content, compresslevel=1, mtime=12345)  # a distribution's recompression
    assert official != repacked
    f = tmp_path / "x.gz"
    f.write_bytes(repacked)
    a = Asset(
        name="x",
        url="http://x/x.gz",
        path="x.gz",
        size=len(official),
        datasets=(),
        md5=_md5(official),
        content_md5=_md5(content),
    )
    v = assets.check(f, a)
    assert v.method == "content-md5" and v.digest == _md5(content)
    f.write_bytes(gzip.compress(b"other" * 10))
    with pytest.raises(GanreproError, match="gunzipped content md5"):
        assets.check(f, a)


def test_locate_searches_sources_flat_and_layout_then_data_root(tmp_path):
    a = _asset("http://x/blob.bin")
    root, src = tmp_path / "root", tmp_path / "src"
    assert assets.locate(a, root, {"mnist": str(src)}) is None
    (root / "blobs").mkdir(parents=True)
    (root / "blobs" / "blob.bin").write_bytes(PAYLOAD)
    assert assets.locate(a, root, {"mnist": str(src)}) == root / "blobs" / "blob.bin"
    src.mkdir()
    (src / "blob.bin").write_bytes(PAYLOAD)  # flat, as in /usr/share/datasets/fashion-mnist
    assert assets.locate(a, root, {"mnist": str(src)}) == src / "blob.bin"
    (src / "blobs").mkdir()
    (src / "blobs" / "blob.bin").write_bytes(PAYLOAD)  # torchvision layout wins over flat
    assert assets.locate(a, root, {"mnist": str(src)}) == src / "blobs" / "blob.bin"
    assert assets.locate(a, root, {"other": str(src)}) == root / "blobs" / "blob.bin"  # only the asset's datasets


def test_missing_file_message_names_file_location_checksum_url(tmp_path):
    m = {"blob": _asset("http://example.invalid/blob.bin")}
    with pytest.raises(GanreproError) as e:
        assets.require("mnist", tmp_path / "root", {"mnist": str(tmp_path / "src")}, manifest=m)
    msg = str(e.value)
    for needle in (
        "missing file blob.bin",
        str(tmp_path / "root" / "blobs" / "blob.bin"),
        str(tmp_path / "src" / "blob.bin"),
        f"sha256 {_sha(PAYLOAD)}",
        f"{len(PAYLOAD)} bytes",
        "http://example.invalid/blob.bin",
        "ganrepro prefetch --datasets mnist",
        "allow_download is false",
    ):
        assert needle in msg, needle


def test_require_reads_source_folder_without_writing_there_and_rehashes_changed_files(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "blob.bin").write_bytes(PAYLOAD)
    m = {"blob": _asset("http://x/blob.bin")}
    before = sorted(p.name for p in src.rglob("*"))
    v = assets.require("mnist", tmp_path / "root", {"mnist": str(src)}, manifest=m)
    assert v[0].path == str(src / "blob.bin") and v[0].checked == "now"
    assert sorted(p.name for p in src.rglob("*")) == before  # stamps live under data_root
    again = assets.require("mnist", tmp_path / "root", {"mnist": str(src)}, manifest=m)
    assert again[0].checked.startswith("stamp")
    (src / "blob.bin").write_bytes(PAYLOAD[:-1] + b"\x00")  # same size, new content and mtime
    with pytest.raises(GanreproError, match="checksum/size mismatch"):
        assets.require("mnist", tmp_path / "root", {"mnist": str(src)}, manifest=m)


# ---------------------------------------------------------------------------------------------------- downloads
def test_download_good_file(server, tmp_path):
    url, www, log = server
    (www / "blob.bin").write_bytes(PAYLOAD)
    a = _asset(f"{url}/blob.bin")
    dest = assets.fetch(a, tmp_path / "root", allow_download=True, progress=False)
    assert dest == tmp_path / "root" / "blobs" / "blob.bin" and dest.read_bytes() == PAYLOAD
    assets.check(dest, a)
    assert log == ["/blob.bin"]
    assert [p.name for p in dest.parent.iterdir()] == ["blob.bin"]  # no temporary file left


def test_download_truncated_file_fails_naming_the_file(server, tmp_path):
    url, www, _ = server
    (www / "blob.bin").write_bytes(PAYLOAD[: len(PAYLOAD) // 3])
    a = _asset(f"{url}/blob.bin")
    with pytest.raises(GanreproError) as e:
        assets.fetch(a, tmp_path / "root", allow_download=True, progress=False)
    msg = str(e.value)
    assert "blob.bin" in msg and f"expected {len(PAYLOAD)}" in msg and f"{url}/blob.bin" in msg
    folder = tmp_path / "root" / "blobs"
    assert not folder.exists() or list(folder.iterdir()) == []  # neither the final name nor a .part file


def test_download_cut_connection_fails_naming_the_file(server, tmp_path):
    url, _, _ = server
    a = _asset(f"{url}/cut.bin")
    with pytest.raises(GanreproError, match=r"cut.bin.*failed") as e:
        assets.fetch(a, tmp_path / "root", allow_download=True, progress=False)
    assert "expected location" in str(e.value)
    folder = tmp_path / "root" / "blobs"
    assert not folder.exists() or list(folder.iterdir()) == []


def test_download_wrong_checksum_fails(server, tmp_path):
    url, www, _ = server
    (www / "blob.bin").write_bytes(PAYLOAD)
    a = _asset(f"{url}/blob.bin", sha256="ab" * 32)
    with pytest.raises(GanreproError) as e:
        assets.fetch(a, tmp_path / "root", allow_download=True, progress=False)
    msg = str(e.value)
    assert "ab" * 32 in msg and _sha(PAYLOAD) in msg and "blob.bin" in msg
    assert not (tmp_path / "root" / "blobs" / "blob.bin").exists()


def test_download_refused_when_not_allowed(server, tmp_path):
    url, www, log = server
    (www / "blob.bin").write_bytes(PAYLOAD)
    a = _asset(f"{url}/blob.bin")
    with pytest.raises(GanreproError, match="download refused.*allow_download is false") as e:
        assets.fetch(a, tmp_path / "root", progress=False)
    assert f"{url}/blob.bin" in str(e.value)
    assert log == []  # nothing touched the network


def test_download_http_error_names_the_url(server, tmp_path):
    url, _, _ = server
    a = _asset(f"{url}/nope.bin")
    with pytest.raises(GanreproError, match=r"nope.bin.*failed.*404"):
        assets.fetch(a, tmp_path / "root", allow_download=True, progress=False)


def test_require_downloads_when_allowed(server, tmp_path):
    url, www, _ = server
    (www / "blob.bin").write_bytes(PAYLOAD)
    m = {"blob": _asset(f"{url}/blob.bin")}
    v = assets.require("mnist", tmp_path / "root", {}, allow_download=True, manifest=m)
    assert v[0].method == "sha256" and Path(v[0].path).read_bytes() == PAYLOAD


# ---------------------------------------------------------------------------------------------------- prefetch
def _local_manifest(repo: Path, url: str, entries: dict) -> None:
    (repo / "config" / "assets.yaml").write_text(yaml.safe_dump({"assets": entries}))


def test_prefetch_cli_downloads_verifies_and_writes_marker(repo_copy, server, tmp_path, capsys):
    url, www, log = server
    (www / "blob.bin").write_bytes(PAYLOAD)
    _local_manifest(
        repo_copy,
        url,
        {
            "blob": {
                "url": f"{url}/blob.bin",
                "path": "MNIST/raw/blob.bin",
                "size": len(PAYLOAD),
                "sha256": None,
                "datasets": ["mnist"],
            },
            "weights": {
                "url": f"{url}/w.pth",
                "path": "w.pth",
                "size": None,
                "sha256": None,
                "sha256_prefix": _sha(b"w")[:8],
                "datasets": [],
            },
        },
    )
    (www / "w.pth").write_bytes(b"w")
    root = tmp_path / "dl"
    marker = tmp_path / "m.ok"
    argv = [
        "prefetch",
        "--datasets",
        "mnist",
        "--assets",
        "weights",
        "--pin",
        "--marker",
        str(marker),
        "--config",
        f"data_root={root}",
    ]
    assert cli.main(argv + ["allow_download=false"]) == 2
    out = capsys.readouterr()
    assert "missing" in out.out and "allow_download is false" in out.err
    assert not marker.exists() and log == []
    assert cli.main(argv + ["allow_download=true"]) == 0
    out = capsys.readouterr().out
    assert "UNPINNED" in out and "prefix only" in out and f"blob:  sha256: {_sha(PAYLOAD)}" in out
    assert (root / "MNIST" / "raw" / "blob.bin").read_bytes() == PAYLOAD
    rec = json.loads(marker.read_text())["verified"]
    assert {r["asset"]: r["method"] for r in rec} == {"blob": "unpinned", "weights": "sha256-prefix"}


def test_prefetch_cli_fails_on_corrupt_file(repo_copy, server, tmp_path, capsys):
    url, _, _ = server
    _local_manifest(
        repo_copy,
        url,
        {
            "blob": {
                "url": f"{url}/blob.bin",
                "path": "blob.bin",
                "size": len(PAYLOAD),
                "sha256": _sha(PAYLOAD),
                "datasets": ["mnist"],
            },
        },
    )
    root = tmp_path / "dl"
    root.mkdir()
    (root / "blob.bin").write_bytes(b"junk")
    assert cli.main(["prefetch", "--datasets", "mnist", "--config", f"data_root={root}"]) == 2
    captured = capsys.readouterr()
    assert "FAILED" in captured.out and "checksum/size mismatch" in captured.err


def test_prefetch_prints_one_line_per_asset_and_a_one_line_error(repo_copy, tmp_path, capsys):
    from ganrepro.data.assets import format_size

    entry = {"size": len(PAYLOAD), "sha256": _sha(PAYLOAD), "datasets": ["mnist"]}
    _local_manifest(
        repo_copy,
        "",
        {
            "have_it": {**entry, "url": "http://127.0.0.1:9/a.bin", "path": "a.bin"},
            "gone": {**entry, "url": "http://127.0.0.1:9/b.bin", "path": "b.bin", "size": 2_500_000},
        },
    )
    root = tmp_path / "dl"
    root.mkdir()
    (root / "a.bin").write_bytes(PAYLOAD)
    assert cli.main(["prefetch", "--datasets", "mnist", "--config", f"data_root={root}"]) == 2
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert len(lines) == 5, captured.out  # datasets line, table header, one row per asset, the total
    assert lines[1].split()[:4] == ["asset", "status", "size", "checked"]
    row = {line.split()[0]: line for line in lines[2:4]}
    assert row["have_it"].split()[1:5] == ["have", *format_size(len(PAYLOAD)).split(), "sha256"]
    assert row["have_it"].endswith(str(root / "a.bin"))
    assert row["gone"].split()[1:4] == ["missing", "2.5", "MB"] and row["gone"].endswith(str(root / "b.bin"))
    assert lines[4] == f"2 assets: 1 have ({format_size(len(PAYLOAD))}), 1 missing (2.5 MB)"
    err = captured.err.strip().splitlines()
    assert len(err) == 1 and "1 missing (gone) and allow_download is false" in err[0] and "--verbose" in err[0]
    assert cli.main(["prefetch", "--datasets", "mnist", "--verbose", "--config", f"data_root={root}"]) == 2
    assert "expected checksum" in capsys.readouterr().out  # --verbose: the full detail under each row


def test_prefetch_rule_is_local_and_only_an_input_when_downloads_are_allowed(repo_copy):
    if shutil.which("snakemake") is None:
        pytest.skip("snakemake not installed")
    out = subprocess.run(
        ["snakemake", "-n", "-p", "prefetch", "--cores", "1"],
        cwd=repo_copy,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert "ganrepro prefetch" in out.stdout and "--marker results/prefetch/" in out.stdout
    smk = (repo_copy / "workflow" / "rules" / "data.smk").read_text()
    assert "localrule: True" in smk
    # allow_download false (the default): compute nodes verify on their own, nothing waits for prefetch
    # (the allow_download=True case is tested in tests/test_evaluate.py)
    dry = subprocess.run(
        ["snakemake", "-n", "--cores", "1"], cwd=repo_copy, capture_output=True, text=True, timeout=300
    )
    assert dry.returncode == 0, dry.stderr
    assert "results/prefetch/" not in dry.stdout


def test_cli_sources_accepts_json_and_key_value_items():
    assert cli._sources(None) is None
    assert cli._sources(['{"mnist": "/a"}', "fashion_mnist=/b=c"]) == {"mnist": "/a", "fashion_mnist": "/b=c"}
    with pytest.raises(GanreproError, match="DATASET=FOLDER"):
        cli._sources(["mnist"])


def test_unknown_source_dataset_is_named(tmp_path):
    with pytest.raises(GanreproError, match="unknown dataset 'mnsit'"):
        assets.default_locations(tmp_path, {"mnsit": "/x"})


def test_an_endless_body_is_cut_at_the_manifest_size(server, tmp_path):
    url, _, _ = server
    a = _asset(f"{url}/endless.bin")
    t0 = time.monotonic()
    with pytest.raises(GanreproError, match="runs past the manifest"):
        assets.fetch(a, tmp_path / "root", allow_download=True, progress=False)
    assert time.monotonic() - t0 < 30
    folder = tmp_path / "root" / "blobs"
    assert not folder.exists() or list(folder.iterdir()) == []


def test_a_dripping_server_hits_the_overall_deadline(server, tmp_path):
    url, _, _ = server
    a = _asset(f"{url}/drip.bin")
    with pytest.raises(GanreproError, match="not finished after 1 s"):
        assets.fetch(a, tmp_path / "root", allow_download=True, progress=False, deadline=1.0)
