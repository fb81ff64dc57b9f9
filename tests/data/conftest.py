"""Fixtures for the data tests: an IDX writer, fake MNIST folders and a local HTTP server."""
import functools
import gzip
import http.server
import struct
import threading
from pathlib import Path

import numpy as np
import pytest

SHARED_DATASETS = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"

# The IDX dtype codes, written out from the format's description (not from descent).
IDX_CODES = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C,
             np.float32: 0x0D, np.float64: 0x0E}


def write_idx(path, array):
    """Write `array` as an IDX file, gzipped when `path` ends in .gz."""
    array = np.asarray(array)
    header = bytes([0, 0, IDX_CODES[array.dtype.type], array.ndim])
    header += struct.pack(f">{array.ndim}I", *array.shape)
    body = array.astype(array.dtype.newbyteorder(">")).tobytes()
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "wb") as f:
        f.write(header + body)
    return Path(path)


@pytest.fixture
def idx_writer():
    return write_idx


def write_fake_mnist(directory, n=5, label=0, train=True, gz=True, seed=0):
    """A small MNIST-shaped split in `directory` whose labels are all `label` (a marker)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    prefix = "train" if train else "t10k"
    suffix = ".gz" if gz else ""
    images = np.random.default_rng(seed).integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = np.full(n, label, dtype=np.uint8)
    write_idx(directory / f"{prefix}-images-idx3-ubyte{suffix}", images)
    write_idx(directory / f"{prefix}-labels-idx1-ubyte{suffix}", labels)
    return images, labels


@pytest.fixture
def fake_mnist():
    return write_fake_mnist


class _Handler(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        self.server.requests.append(self.path)
        super().do_GET()

    def log_message(self, *args):  # keep test output quiet
        pass


class LocalServer:
    """A static file server on 127.0.0.1 at a free port; `requests` lists the paths asked for."""

    def __init__(self, directory):
        handler = functools.partial(_Handler, directory=str(directory))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.requests = self.requests = []
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture
def serve(monkeypatch):
    """Start local servers over directories; no request may go through a proxy to the internet."""
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("no_proxy", "*")
    servers = []

    def start(directory):
        servers.append(LocalServer(directory))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def isolated_places(tmp_path, monkeypatch):
    """Point every place MNIST looks at into `tmp_path`, so the real machine is never used."""
    from descent.data import mnist

    places = {"cache": tmp_path / "cache", "data": tmp_path / "data", "system": tmp_path / "system",
              "root": tmp_path / "root"}
    monkeypatch.setenv("XDG_CACHE_HOME", str(places["cache"]))
    monkeypatch.delenv("DESCENT_DATA", raising=False)
    monkeypatch.delenv("DESCENT_DATA_MIRROR", raising=False)
    monkeypatch.setattr(mnist, "SYSTEM_DATA_DIR", places["system"])
    # Downloads in these tests must never leave the machine: an unroutable mirror by default.
    monkeypatch.setattr(mnist.MNIST, "url", "http://127.0.0.1:9/nothing")
    monkeypatch.setattr(mnist.FashionMNIST, "url", "http://127.0.0.1:9/nothing")
    return places
