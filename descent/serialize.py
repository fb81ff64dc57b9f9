"""Model and checkpoint files: arrays in an open format, everything else as JSON, never pickle.

A descent file is ONE file holding

* the arrays (weights, optimizer moments), each under a short name `a0`, `a1`, ...;
* one JSON document: the saved structure, in which every array is replaced by
  `{"__array__": "a3"}`, a SHA-256 digest of every array's bytes, and a digest of
  the document itself (`checksum`, over its canonical JSON without that entry).

Two containers are used, chosen when writing and recognized by their first bytes
when reading:

* **safetensors** (`.safetensors`), when the `safetensors` package is installed
  (the optional extra `weights`); the JSON sits in the header's `__metadata__`
  under the key `"descent"`.
* **npz** (`.npz`) otherwise, written by `np.savez` and read with
  `allow_pickle=False`; the JSON is stored as the bytes of a uint8 array named
  `__descent__`, and the zip comment holds the SHA-256 of every byte before it
  (`descent-sha256:<hex>`), since zip readers ignore damage to many header fields.

Loading never executes code: JSON is parsed, arrays are read as plain numbers.
Every write goes to a temporary file in the target's directory and is moved into
place with `os.replace`, so a reader sees either the old file or the new one,
never half a file. A file that is truncated or altered (a flipped byte anywhere:
header, JSON or array data) fails its parse or its digests, and `load_tree`
raises `CorruptFileError` naming the file. (Digests catch damage, not tampering:
whoever can write the file can also rewrite its digests.)

Models are stored as a *spec* (see `build_model`): a JSON list of
`[layer name, keyword arguments]` pairs that rebuilds an `nn.Sequential` from
the classes of `descent.nn`, looked up by name in that one namespace.
"""
import hashlib
import io
import json
import os
import struct
import tempfile
from pathlib import Path

import numpy as np

FORMAT_VERSION = 1
_NPZ_META = "__descent__"
_ZIP_MAGIC = b"PK\x03\x04"
_TRAILER_TAG = b"descent-sha256:"


class CorruptFileError(ValueError):
    """A descent file that is truncated, altered, or not a descent file at all."""


def has_safetensors():
    """Whether the optional `safetensors` package (extra `weights`) can be imported."""
    try:
        import safetensors.numpy  # noqa: F401
    except ImportError:
        return False
    return True


def default_suffix():
    """'.safetensors' when safetensors is installed, else '.npz'."""
    return ".safetensors" if has_safetensors() else ".npz"


# --- trees of JSON values and arrays ---------------------------------------------------
def _split_arrays(tree, arrays):
    """`tree` with every ndarray moved into `arrays` and replaced by a reference to it."""
    if isinstance(tree, np.ndarray):
        if tree.dtype == object:
            raise TypeError("serialize: object arrays cannot be saved (they would need pickle)")
        name = f"a{len(arrays)}"
        arrays[name] = np.array(tree, order="C")  # a copy: later training must not change what is saved
        return {"__array__": name}
    if isinstance(tree, np.generic):
        return tree.item()
    if isinstance(tree, dict):
        for key in tree:
            if not isinstance(key, (str, int)):
                raise TypeError(f"serialize: dict keys must be str or int, got {key!r}")
        # int keys (optimizer state is keyed by parameter index) are kept as a list of pairs
        if any(isinstance(key, int) for key in tree):
            return {"__items__": [[key, _split_arrays(value, arrays)] for key, value in tree.items()]}
        return {key: _split_arrays(value, arrays) for key, value in tree.items()}
    if isinstance(tree, (list, tuple)):
        return [_split_arrays(value, arrays) for value in tree]
    if tree is None or isinstance(tree, (str, bool, int, float)):
        return tree
    if hasattr(tree, "data") and isinstance(tree.data, np.ndarray):  # a Tensor
        return _split_arrays(tree.data, arrays)
    raise TypeError(f"serialize: cannot save a value of type {type(tree).__name__}: {tree!r:.80}")


def _join_arrays(tree, arrays):
    """The inverse of `_split_arrays`: references replaced by the arrays they name."""
    if isinstance(tree, dict):
        if set(tree) == {"__array__"}:
            return arrays[tree["__array__"]]
        if set(tree) == {"__items__"}:
            return {key: _join_arrays(value, arrays) for key, value in tree["__items__"]}
        return {key: _join_arrays(value, arrays) for key, value in tree.items()}
    if isinstance(tree, list):
        return [_join_arrays(value, arrays) for value in tree]
    return tree


def _document_digest(document):
    """SHA-256 of the JSON document (without its 'checksum' entry), in a canonical form."""
    body = {key: value for key, value in document.items() if key != "checksum"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, allow_nan=True).encode()).hexdigest()


def _digest(array):
    header = f"{array.dtype.str}{array.shape}".encode()
    return hashlib.sha256(header + array.tobytes(order="C")).hexdigest()


# --- writing ---------------------------------------------------------------------------
def save_tree(path, tree, kind="tree"):
    """Write `tree` (nested dicts/lists of JSON values and ndarrays) to `path`, atomically.

    Parameters
    ----------
    path : str or os.PathLike
        Ends in '.safetensors' or '.npz', which picks the container; any other
        suffix gets the default container (safetensors if installed, else npz).
    tree : dict
    kind : str
        What the file holds ('model', 'checkpoint', ...), checked by `load_tree`.

    Returns
    -------
    Path : where the file was written.
    """
    path = Path(path)
    arrays = {}
    document = {"format": "descent", "version": FORMAT_VERSION, "kind": kind,
                "tree": _split_arrays(tree, arrays)}
    document["sha256"] = {name: _digest(a) for name, a in arrays.items()}
    document["checksum"] = _document_digest(document)
    text = json.dumps(document, allow_nan=True)
    use_safetensors = path.suffix == ".safetensors" or (path.suffix != ".npz" and has_safetensors())
    payload = _safetensors_bytes(arrays, text) if use_safetensors else _npz_bytes(arrays, text)
    _atomic_write(path, payload)
    return path


def _safetensors_bytes(arrays, text):
    try:
        import safetensors.numpy
    except ImportError:
        raise ImportError("serialize: writing .safetensors needs the safetensors package "
                          "(pip install 'descent[weights]'), or save as .npz") from None
    return safetensors.numpy.save(arrays, metadata={"descent": text})


def _npz_bytes(arrays, text):
    buffer = io.BytesIO()
    meta = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    np.savez(buffer, **{_NPZ_META: meta}, **arrays)
    return _with_trailer(buffer.getvalue())


def _atomic_write(path, payload):
    """Write `payload` to a temporary file beside `path`, then rename it over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise


def atomic_write_text(path, text):
    """Write `text` (UTF-8) to `path` through a temporary file and `os.replace`."""
    _atomic_write(Path(path), text.encode("utf-8"))


# --- reading ---------------------------------------------------------------------------
def load_tree(path, kind=None):
    """Read a file written by `save_tree`; the tree with its arrays.

    Raises
    ------
    FileNotFoundError
        When there is no file at `path`.
    CorruptFileError
        When the file is truncated, altered, or not a descent file (of `kind`, if given).
    """
    path = Path(path)
    data = path.read_bytes()
    try:
        arrays, text = _read_npz(data) if data[:4] == _ZIP_MAGIC else _read_safetensors(data, path)
        document = json.loads(text)
    except CorruptFileError as error:
        raise CorruptFileError(f"{path}: not a readable descent file: {error}") from None
    except ImportError:
        raise
    except Exception as error:  # any parse failure of a damaged file
        raise CorruptFileError(f"{path}: not a readable descent file (truncated or corrupt?): "
                               f"{type(error).__name__}: {error}") from error
    _check_document(path, document, arrays, kind)
    return _join_arrays(document["tree"], arrays)


def _read_npz(data):
    _check_trailer(data)
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in npz.files}  # reading checks each member's CRC
    meta = arrays.pop(_NPZ_META, None)
    if meta is None:
        raise CorruptFileError(f"the npz file has no '{_NPZ_META}' entry")
    return arrays, meta.tobytes().decode("utf-8")


def _with_trailer(zip_bytes):
    """Append the SHA-256 of the whole archive as its zip comment.

    Zip readers skip most header fields (dates, versions, attributes), so damage there
    would pass unnoticed; a digest of every byte catches it. The comment's length, in
    the last two bytes of the end-of-central-directory record, is set before hashing.
    """
    data = bytearray(zip_bytes)
    if data[-22:-18] != b"PK\x05\x06":
        raise RuntimeError("serialize: np.savez wrote an archive with a comment or trailing bytes")
    data[-2:] = struct.pack("<H", len(_TRAILER_TAG) + 64)
    return bytes(data) + _TRAILER_TAG + hashlib.sha256(data).hexdigest().encode()


def _check_trailer(data):
    size = len(_TRAILER_TAG) + 64
    if len(data) < size + 22 or data[-size:-64] != _TRAILER_TAG:
        raise CorruptFileError("the archive does not end with its SHA-256 (truncated?)")
    if hashlib.sha256(data[:-size]).hexdigest().encode() != data[-64:]:
        raise CorruptFileError("the archive fails its SHA-256 check (the file is corrupt)")


def _read_safetensors(data, path):
    if len(data) < 8:
        raise CorruptFileError(f"only {len(data)} bytes, too short for a descent file")
    (header_size,) = struct.unpack("<Q", data[:8])
    if header_size > len(data) - 8:
        raise CorruptFileError(f"header of {header_size} bytes in a file of {len(data)} bytes "
                               "(truncated?)")
    header = json.loads(data[8:8 + header_size])
    text = header.get("__metadata__", {}).get("descent")
    if text is None:
        raise CorruptFileError("a safetensors file without descent metadata")
    try:
        import safetensors.numpy
    except ImportError:
        raise ImportError(f"serialize: reading {path} needs the safetensors package "
                          "(pip install 'descent[weights]')") from None
    return safetensors.numpy.load(data), text


def _check_document(path, document, arrays, kind):
    if not isinstance(document, dict) or document.get("format") != "descent":
        raise CorruptFileError(f"{path}: not a descent file")
    if document.get("version") != FORMAT_VERSION:
        raise CorruptFileError(f"{path}: format version {document.get('version')}, "
                               f"this descent reads version {FORMAT_VERSION}")
    if kind is not None and document.get("kind") != kind:
        raise CorruptFileError(f"{path}: holds a {document.get('kind')!r}, expected a {kind!r}")
    if document.get("checksum") != _document_digest(document):
        raise CorruptFileError(f"{path}: its JSON document fails its SHA-256 check (the file is corrupt)")
    digests = document.get("sha256", {})
    if set(digests) != set(arrays):
        raise CorruptFileError(f"{path}: its arrays {sorted(arrays)} differ from the ones it lists "
                               f"{sorted(digests)}")
    for name, array in arrays.items():
        if _digest(array) != digests[name]:
            raise CorruptFileError(f"{path}: array {name} fails its SHA-256 check (the file is corrupt)")


# --- models ----------------------------------------------------------------------------
def layer_classes():
    """name -> class for every layer `build_model` may use: the Module classes of descent.nn."""
    from descent import nn
    containers = {"Module", "ModuleList", "ModuleDict", "Sequential"}
    return {name: cls for name, cls in vars(nn).items()
            if isinstance(cls, type) and issubclass(cls, nn.Module) and not name.startswith("_")
            and name not in containers}


def build_model(spec):
    """An `nn.Sequential` built from a spec.

    Parameters
    ----------
    spec : list of [str, dict]
        Layer names from `descent.nn` and their keyword arguments, for example
        `[["Flatten", {}], ["Linear", {"in_features": 784, "out_features": 10}]]`.
        JSON lists among the arguments are passed as tuples (kernel sizes etc.).

    Returns
    -------
    nn.Sequential, with the spec kept as its attribute `spec`.
    """
    from descent import nn
    spec = validate_spec(spec)
    classes = layer_classes()
    layers = []
    for i, (name, kwargs) in enumerate(spec):
        arguments = {key: tuple(v) if isinstance(v, list) else v for key, v in kwargs.items()}
        try:
            layers.append(classes[name](**arguments))
        except TypeError as error:
            raise ValueError(f"build_model: layer {i} ({name}) rejects its arguments {kwargs}: {error}") from None
    model = nn.Sequential(*layers)
    object.__setattr__(model, "spec", spec)
    return model


def validate_spec(spec):
    """`spec` as a list of [name, dict] pairs of JSON values; ValueError if it is not one."""
    classes = layer_classes()
    if not isinstance(spec, (list, tuple)) or not spec:
        raise ValueError(f"model spec: expected a non-empty list of [layer, arguments] pairs, got {spec!r:.100}")
    checked = []
    for i, item in enumerate(spec):
        if not (isinstance(item, (list, tuple)) and len(item) in (1, 2) and isinstance(item[0], str)):
            raise ValueError(f"model spec: item {i} must be [layer name, {{arguments}}], got {item!r}")
        name, kwargs = item[0], (item[1] if len(item) == 2 else {})
        if name not in classes:
            raise ValueError(f"model spec: item {i} names {name!r}, which is not a layer of descent.nn "
                             f"(known: {', '.join(sorted(classes))})")
        if not isinstance(kwargs, dict):
            raise ValueError(f"model spec: the arguments of item {i} ({name}) must be a dict, got {kwargs!r}")
        checked.append([name, json.loads(json.dumps(kwargs))])  # plain JSON values only
    return checked


def save_model(model, path, spec=None, metadata=None):
    """Save `model`'s weights and spec (and any JSON `metadata`, e.g. class names) to one file.

    `spec` defaults to `model.spec`, which `build_model` sets. Returns the path written.
    """
    spec = spec if spec is not None else getattr(model, "spec", None)
    if spec is None:
        raise ValueError("save_model: the model has no spec; build it with build_model(spec) or pass spec=")
    tree = {"spec": validate_spec(spec), "state": dict(model.state_dict()), "metadata": metadata or {}}
    return save_tree(path, tree, kind="model")


def load_model(path):
    """Rebuild a model saved by `save_model`; returns (model, metadata)."""
    tree = load_tree(path, kind="model")
    model = build_model(tree["spec"])
    model.load_state_dict(tree["state"])
    return model, tree["metadata"]
