"""Checksummed downloads into a cache directory.

A download is written to a temporary file beside its destination, checked
against its SHA-256, and only then renamed into place (an atomic rename on one
file system), so the cache never holds a partial or corrupted file, even when
the connection drops or the process is killed half-way.
"""
import gzip
import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

_CHUNK = 1 << 20


class ChecksumError(ValueError):
    """A downloaded file's SHA-256 is not the expected one."""


class DownloadError(OSError):
    """A file could not be fetched."""


def cache_dir():
    """descent's user cache: `$XDG_CACHE_HOME/descent`, or `~/.cache/descent`."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "descent"


def sha256_of(path, decompress=False):
    """The SHA-256 hex digest of a file's bytes (of its gunzipped bytes if `decompress`)."""
    digest = hashlib.sha256()
    with (gzip.open if decompress else open)(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download(url, path, sha256, decompress=False, timeout=60):
    """Fetch `url` to `path`, keeping it only if its SHA-256 is `sha256`.

    Parameters
    ----------
    url : str
    path : str or os.PathLike
        The destination; its directory is created if needed. An existing file
        with the right digest is kept and nothing is fetched.
    sha256 : str
        The expected hex digest.
    decompress : bool
        When True the digest is of the gunzipped content rather than of the bytes
        as sent, so any gzip of the same data passes (MNIST's files exist
        compressed in more than one way).
    timeout : float
        Seconds to wait for the server.

    Returns
    -------
    pathlib.Path
        `path`.

    Raises
    ------
    ChecksumError
        If the digest differs (nothing is left behind).
    DownloadError
        If the server cannot be reached or answers with an error.
    """
    path = Path(path)
    expected = sha256.lower()
    if path.is_file() and _digest_or_none(path, decompress) == expected:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            _fetch(url, out, timeout)
        actual = _digest_or_none(temporary, decompress)
        if actual != expected:
            what = "gunzipped content" if decompress else "file"
            found = f"SHA-256 {actual}" if actual else "no readable gzip content"
            raise ChecksumError(f"download: the {what} fetched from {url} has {found}, "
                                f"expected SHA-256 {expected}; it was discarded")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def _fetch(url, out, timeout):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            for chunk in iter(lambda: response.read(_CHUNK), b""):
                out.write(chunk)
    except (urllib.error.URLError, OSError) as error:
        raise DownloadError(f"download: could not fetch {url}: {error}") from error


def _digest_or_none(path, decompress):
    """The digest, or None for a file that does not even decompress."""
    try:
        return sha256_of(path, decompress)
    except (OSError, EOFError, gzip.BadGzipFile):
        return None
