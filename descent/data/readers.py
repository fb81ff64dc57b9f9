"""Readers for the file formats datasets come in: IDX, CSV, and NumPy's npz.

IDX is the format of MNIST and Fashion-MNIST (LeCun et al., "Gradient-based
learning applied to document recognition", 1998; format described on the MNIST
page): a 4-byte magic number `0x00 0x00 <dtype code> <ndim>`, then `ndim`
big-endian uint32 dimensions, then the values in C order, big-endian.
"""
import gzip
import os

import numpy as np

from descent.backend import get_default_dtype

# The dtype code (third byte of the magic number) -> the big-endian dtype of the values.
IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

_GZIP_MAGIC = b"\x1f\x8b"


def open_maybe_gzip(path):
    """Open `path` for binary reading, decompressing it if it is gzip (by its first bytes)."""
    with open(path, "rb") as f:
        compressed = f.read(2) == _GZIP_MAGIC
    return gzip.open(path, "rb") if compressed else open(path, "rb")


def read_idx(path):
    """Read an IDX file (gzip-compressed or raw) into a NumPy array.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    ndarray of shape (d0, d1, ...)
        Values in native byte order: uint8 for MNIST images (N, 28, 28) and labels (N,).

    Raises
    ------
    ValueError
        If the magic number is not an IDX one, or the file is truncated or too long;
        the message names the file.
    """
    path = os.fspath(path)
    try:
        with open_maybe_gzip(path) as f:
            dtype, shape = _read_idx_header(f, path)
            values = np.empty(shape, dtype=dtype)
            expected = values.nbytes
            got = _read_into(f, values)
            if got < expected:
                raise ValueError(f"read_idx: {path!r} is truncated: its header promises shape {shape} "
                                 f"({expected} bytes of data) but only {got} bytes follow")
            if f.read(1):
                raise ValueError(f"read_idx: {path!r} has more data than its header's shape {shape} "
                                 f"({expected} bytes) allows")
    except (EOFError, gzip.BadGzipFile) as error:
        raise ValueError(f"read_idx: {path!r} is a damaged or truncated gzip file ({error})") from error
    return values.astype(dtype.newbyteorder("="), copy=False)


def _read_idx_header(f, path):
    magic = f.read(4)
    if len(magic) < 4 or magic[:2] != b"\x00\x00" or magic[2] not in IDX_DTYPES:
        codes = ", ".join(f"0x{c:02X}" for c in IDX_DTYPES)
        raise ValueError(f"read_idx: {path!r} is not an IDX file: bad magic number {magic.hex()!r} "
                         f"(expected 0000 then a dtype code in {codes} then the number of dimensions)")
    ndim = magic[3]
    dims = f.read(4 * ndim)
    if len(dims) < 4 * ndim:
        raise ValueError(f"read_idx: {path!r} is truncated inside its header "
                         f"({ndim} dimensions need {4 * ndim} bytes, got {len(dims)})")
    shape = tuple(int(d) for d in np.frombuffer(dims, dtype=">u4"))
    return IDX_DTYPES[magic[2]], shape


def _read_into(f, array):
    """Fill `array` from the stream `f`; the number of bytes read (less at end of file)."""
    buffer = memoryview(array.reshape(-1).view(np.uint8))
    filled = 0
    while filled < len(buffer):
        n = f.readinto(buffer[filled:])
        if not n:
            break
        filled += n
    return filled


def read_csv(path, delimiter=",", header=False, dtype=None, usecols=None, skip_rows=0):
    """Read a numeric CSV file (optionally gzip-compressed) into a 2-D array.

    Parameters
    ----------
    path : str or os.PathLike
    delimiter : str
    header : bool
        When True the first line (after `skip_rows`) holds column names, and they
        are returned too.
    dtype : dtype, optional
        The dtype of the values; the default floating dtype when omitted.
    usecols : sequence of int, optional
        Which columns to keep.
    skip_rows : int
        Lines to skip at the top, before the header.

    Returns
    -------
    values : ndarray of shape (n_rows, n_columns)
    names : list of str
        Only when `header` is True.
    """
    path = os.fspath(path)
    dtype = np.dtype(dtype or get_default_dtype())
    names = _csv_header(path, delimiter, skip_rows) if header else None
    try:
        values = np.loadtxt(path, delimiter=delimiter, dtype=dtype, usecols=usecols,
                            skiprows=skip_rows + bool(header), ndmin=2, comments=None)
    except ValueError as error:
        raise ValueError(f"read_csv: could not read {path!r} as numbers with delimiter "
                         f"{delimiter!r}: {error}") from error
    if names is not None and usecols is not None:
        names = [names[i] for i in usecols]
    return (values, names) if header else values


def _csv_header(path, delimiter, skip_rows):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        for _ in range(skip_rows):
            f.readline()
        line = f.readline()
    if not line:
        raise ValueError(f"read_csv: {path!r} has no header line")
    return [name.strip().strip('"') for name in line.rstrip("\r\n").split(delimiter)]


def load_npz(path):
    """The arrays of an `.npz` file, as a dict name -> ndarray.

    Pickled object arrays are refused (`allow_pickle=False`), so loading a file
    never runs code from it.
    """
    path = os.fspath(path)
    try:
        archive = np.load(path, allow_pickle=False)
    except ValueError as error:  # NumPy falls back to pickle for files it does not recognise
        raise ValueError(f"load_npz: {path!r} is not an .npz archive: {error}") from error
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(f"load_npz: {path!r} is a single .npy array, not an .npz archive")
    with archive:
        try:
            return {name: archive[name] for name in archive.files}
        except ValueError as error:
            raise ValueError(f"load_npz: {path!r} holds object arrays, which would need pickle "
                             f"to load and are refused: {error}") from error
