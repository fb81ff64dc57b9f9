"""Specifications of checksummed downloads, against a local HTTP server (never the internet)."""
import gzip
import hashlib

import pytest

from descent.data import ChecksumError, DownloadError, download, sha256_of

PAYLOAD = b"descent test payload\n" * 1000


@pytest.fixture
def site(tmp_path, serve):
    served = tmp_path / "site"
    served.mkdir()
    (served / "good.bin").write_bytes(PAYLOAD)
    (served / "corrupt.bin").write_bytes(PAYLOAD[:-1] + b"X")
    (served / "good.gz").write_bytes(gzip.compress(PAYLOAD, mtime=0))
    (served / "regzipped.gz").write_bytes(gzip.compress(PAYLOAD, compresslevel=1, mtime=12345))
    return serve(served)


def leftovers(directory):
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def test_good_file_lands_in_place(site, tmp_path):
    cache = tmp_path / "cache" / "deep"
    path = download(f"{site.url}/good.bin", cache / "good.bin", hashlib.sha256(PAYLOAD).hexdigest())
    assert path == cache / "good.bin"
    assert path.read_bytes() == PAYLOAD
    assert leftovers(cache) == ["good.bin"]  # no temporary file left beside it


def test_corrupted_file_is_rejected_and_nothing_is_left(site, tmp_path):
    cache = tmp_path / "cache"
    with pytest.raises(ChecksumError, match=r"corrupt\.bin.*expected SHA-256"):
        download(f"{site.url}/corrupt.bin", cache / "corrupt.bin", hashlib.sha256(PAYLOAD).hexdigest())
    assert leftovers(cache) == []


def test_existing_good_file_is_not_fetched_again(site, tmp_path):
    digest = hashlib.sha256(PAYLOAD).hexdigest()
    download(f"{site.url}/good.bin", tmp_path / "good.bin", digest)
    download(f"{site.url}/good.bin", tmp_path / "good.bin", digest)
    assert site.requests == ["/good.bin"]


def test_existing_bad_file_is_replaced(site, tmp_path):
    (tmp_path / "good.bin").write_bytes(b"stale")
    download(f"{site.url}/good.bin", tmp_path / "good.bin", hashlib.sha256(PAYLOAD).hexdigest())
    assert (tmp_path / "good.bin").read_bytes() == PAYLOAD


def test_failed_download_over_existing_bad_file_leaves_it_untouched(site, tmp_path):
    (tmp_path / "x.bin").write_bytes(b"old")
    with pytest.raises(ChecksumError):
        download(f"{site.url}/corrupt.bin", tmp_path / "x.bin", hashlib.sha256(PAYLOAD).hexdigest())
    assert leftovers(tmp_path) == ["site", "x.bin"] and (tmp_path / "x.bin").read_bytes() == b"old"


@pytest.mark.parametrize("name", ["good.gz", "regzipped.gz"])
def test_decompressed_digest_accepts_any_gzip_of_the_content(site, tmp_path, name):
    content_digest = hashlib.sha256(PAYLOAD).hexdigest()
    path = download(f"{site.url}/{name}", tmp_path / "c" / name, content_digest, decompress=True)
    assert gzip.decompress(path.read_bytes()) == PAYLOAD
    assert sha256_of(path, decompress=True) == content_digest


def test_decompressed_digest_rejects_plain_bytes(site, tmp_path):
    with pytest.raises(ChecksumError, match="gzip"):
        download(f"{site.url}/good.bin", tmp_path / "c" / "x.gz", hashlib.sha256(PAYLOAD).hexdigest(),
                 decompress=True)
    assert leftovers(tmp_path / "c") == []


def test_missing_file_raises_download_error_and_leaves_nothing(site, tmp_path):
    with pytest.raises(DownloadError, match=r"nope\.bin"):
        download(f"{site.url}/nope.bin", tmp_path / "c" / "nope.bin", "0" * 64)
    assert leftovers(tmp_path / "c") == []


def test_sha256_of_matches_hashlib(tmp_path):
    (tmp_path / "f").write_bytes(PAYLOAD)
    assert sha256_of(tmp_path / "f") == hashlib.sha256(PAYLOAD).hexdigest()
