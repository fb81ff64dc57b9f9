"""Data: datasets, batching, file readers, batch transforms and checksummed downloads.

Everything here speaks NumPy arrays; the training layer above turns batches into Tensors.
"""
from descent.data.dataset import Dataset, Subset, TensorDataset, random_split
from descent.data.download import ChecksumError, DownloadError, cache_dir, download, sha256_of
from descent.data.loader import DataLoader, default_collate
from descent.data.mnist import MNIST, FashionMNIST
from descent.data.readers import load_npz, read_csv, read_idx
from descent.data.transforms import Compose, Normalize, RandomCrop, RandomHorizontalFlip

__all__ = [
    "Dataset", "TensorDataset", "Subset", "random_split",
    "DataLoader", "default_collate",
    "read_idx", "read_csv", "load_npz",
    "Compose", "Normalize", "RandomCrop", "RandomHorizontalFlip",
    "MNIST", "FashionMNIST",
    "download", "cache_dir", "sha256_of", "ChecksumError", "DownloadError",
]
