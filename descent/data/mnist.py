"""MNIST and Fashion-MNIST: 28x28 grey images in 10 classes, 60,000 to train and 10,000 to test.

MNIST: LeCun, Bottou, Bengio and Haffner, "Gradient-based learning applied to
document recognition", Proc. IEEE 1998. Fashion-MNIST: Xiao, Rasul and Vollgraf,
"Fashion-MNIST: a novel image dataset for benchmarking machine learning
algorithms", arXiv:1708.07747, 2017. Both ship as four IDX files.

The files are looked for, in order, in
  1. the `root` directory given (itself, then `root/<name>`),
  2. `$DESCENT_DATA/<name>`,
  3. the user cache, `$XDG_CACHE_HOME/descent/<name>` or `~/.cache/descent/<name>`,
  4. `/usr/share/datasets/<name>` (where Debian's dataset-fashion-mnist installs),
and, failing all of those, downloaded into the user cache, each file checked by
SHA-256. `<name>` is `mnist` or `fashion-mnist`; every file may be gzipped (`.gz`)
or not. Setting `$DESCENT_DATA_MIRROR` to a URL makes downloads come from
`$DESCENT_DATA_MIRROR/<name>/<file>.gz` instead of the dataset's home.

Downloads are checked against the SHA-256 of the uncompressed content; files found
locally are trusted as supplied, and only checked for a well-formed IDX layout
(28x28 images, one label in 0..9 per image).
"""
import os
from pathlib import Path

import numpy as np

from descent.backend import get_default_dtype
from descent.data.dataset import Dataset
from descent.data.download import DownloadError, cache_dir, download as fetch_file
from descent.data.readers import read_idx

DATA_ENV = "DESCENT_DATA"
MIRROR_ENV = "DESCENT_DATA_MIRROR"
SYSTEM_DATA_DIR = Path("/usr/share/datasets")

_SPLITS = {
    True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}

# Parsed IDX files, kept for the life of the process: (path, mtime, size) -> uint8 array.
_parsed = {}


class MNIST(Dataset):
    """The MNIST handwritten digits, as arrays.

    Parameters
    ----------
    root : str or os.PathLike, optional
        A directory to look in first (see the module's docstring for the order).
    train : bool
        The 60,000 training images when True, the 10,000 test images when False.
    download : bool
        Download the files into the user cache when they are found nowhere else.
    dtype : dtype, optional
        The floating dtype of the images; descent's default (float32) when omitted.
    flatten : bool
        Give each image as a vector of 784 pixels instead of a (1, 28, 28) array.

    Attributes
    ----------
    data : ndarray of shape (N, 1, 28, 28), or (N, 784) with `flatten`
        Pixels scaled to [0, 1].
    targets : ndarray of shape (N,), int64
        The class of each image, 0 to 9.
    classes : list of str

    `dataset[i]` is `(data[i], targets[i])`; `i` may be an int, a slice, or an
    integer array (one fancy index per batch).
    """

    name = "mnist"
    url = "https://ossci-datasets.s3.amazonaws.com/mnist"  # the mirror torchvision uses
    # SHA-256 of each file's *uncompressed* IDX bytes: the same data is distributed
    # gzipped in several ways (with different .gz digests), and this accepts all of them.
    sha256 = {
        "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    }
    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four",
               "5 - five", "6 - six", "7 - seven", "8 - eight", "9 - nine"]

    supports_array_index = True

    def __init__(self, root=None, train=True, download=True, dtype=None, flatten=False):
        self.root = root
        self.train = train
        self.dtype = np.dtype(dtype or get_default_dtype())
        if not np.issubdtype(self.dtype, np.floating):
            raise TypeError(f"{type(self).__name__}: dtype must be a floating dtype, got {self.dtype}")
        images, labels = self.load_raw(root, train, download)
        n = len(images)
        pixels = np.divide(images, self.dtype.type(255), dtype=self.dtype)  # [0, 255] -> [0, 1]
        self.data = pixels.reshape(n, 784) if flatten else pixels.reshape(n, 1, 28, 28)
        self.targets = labels.astype(np.int64)

    def __getitem__(self, index):
        return self.data[index], self.targets[index]

    def __len__(self):
        return len(self.targets)

    def __repr__(self):
        split = "train" if self.train else "test"
        return f"{type(self).__name__}({split}, {len(self)} images, data {self.data.shape} {self.dtype})"

    @classmethod
    def load_raw(cls, root=None, train=True, download=True):
        """The split's images (N, 28, 28) and labels (N,), both uint8, as stored."""
        names = _SPLITS[bool(train)]
        paths = cls.find(names, root)
        if paths is None:
            paths = cls._download_or_explain(names, root, download)
        images, labels = (_read_cached(p) for p in paths)
        _check_split(cls.__name__, paths, images, labels)
        return images, labels

    @classmethod
    def search_dirs(cls, root=None):
        """The directories looked in, in order, each with a short description."""
        places = []
        if root is not None:
            places += [(Path(root), "root"), (Path(root) / cls.name, f"root/{cls.name}")]
        data_dir = os.environ.get(DATA_ENV)
        places.append((Path(data_dir) / cls.name if data_dir else None, f"${DATA_ENV}/{cls.name}"))
        places.append((cache_dir() / cls.name, "user cache"))
        places.append((SYSTEM_DATA_DIR / cls.name, "system datasets"))
        return places

    @classmethod
    def find(cls, names, root=None):
        """Paths of the files `names` from the first directory holding all of them, or None."""
        for directory, _ in cls.search_dirs(root):
            if directory is None:
                continue
            paths = [_existing(directory, name) for name in names]
            if all(paths):
                return paths
        return None

    @classmethod
    def download_base(cls):
        """Where downloads come from: `$DESCENT_DATA_MIRROR/<name>`, else the dataset's home."""
        mirror = os.environ.get(MIRROR_ENV)
        return f"{mirror.rstrip('/')}/{cls.name}" if mirror else cls.url.rstrip("/")

    @classmethod
    def _download_or_explain(cls, names, root, download):
        reason = "download=False was given"
        if download:
            target = cache_dir() / cls.name
            try:
                return [fetch_file(f"{cls.download_base()}/{name}.gz", target / f"{name}.gz",
                                   cls.sha256[name], decompress=True) for name in names]
            except (DownloadError, ValueError) as error:
                reason = f"the download failed: {error}"
        raise FileNotFoundError(cls._not_found_message(names, root, reason))

    @classmethod
    def _not_found_message(cls, names, root, reason):
        looked = "\n".join(f"  - {what}: {directory or f'(${DATA_ENV} is not set)'}"
                           for directory, what in cls.search_dirs(root))
        wanted = ", ".join(f"{name}[.gz]" for name in names)
        return (f"{cls.__name__}: could not find {wanted}.\nLooked in:\n{looked}\n"
                f"and {reason}.\nTo supply the files, put them (gzipped or not) in one of those "
                f"directories: pass root=DIR, or set ${DATA_ENV} to a directory holding "
                f"{cls.name}/, or let download=True fetch them from {cls.download_base()} "
                f"(set ${MIRROR_ENV} to use another server).")


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: clothing images with the layout and API of `MNIST`."""

    name = "fashion-mnist"
    url = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com"  # Zalando Research's bucket
    sha256 = {
        "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    }
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def _existing(directory, name):
    """`directory/name.gz` or `directory/name`, whichever exists (gzipped first), else None."""
    for candidate in (directory / f"{name}.gz", directory / name):
        if candidate.is_file():
            return candidate
    return None


def _read_cached(path):
    """`read_idx(path)`, parsed once per process (until the file changes)."""
    stat = Path(path).stat()
    key = (str(Path(path).resolve()), stat.st_mtime_ns, stat.st_size)
    if key not in _parsed:
        array = read_idx(path)
        array.flags.writeable = False  # shared by every dataset built from this file
        _parsed[key] = array
    return _parsed[key]


def _check_split(dataset, paths, images, labels):
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(f"{dataset}: {paths[0]} holds shape {images.shape}, expected (N, 28, 28) images")
    if labels.shape != (len(images),):
        raise ValueError(f"{dataset}: {paths[1]} holds shape {labels.shape}, expected ({len(images)},) "
                         f"labels to match {paths[0]}")
    if labels.size and labels.max() > 9:
        raise ValueError(f"{dataset}: {paths[1]} holds label {labels.max()}, expected 0 to 9")
