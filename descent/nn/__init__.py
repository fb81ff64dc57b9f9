"""Neural networks in PyTorch's manner: Module, Parameter, layers, initializers, losses."""
from descent import functional  # noqa: F401  (descent.nn.functional, as in PyTorch)
from descent.nn import init  # noqa: F401
from descent.nn.activation import ELU, GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, SiLU, Softmax, Softplus, Tanh
from descent.nn.attention import MultiheadAttention, TransformerEncoder, TransformerEncoderLayer
from descent.nn.conv import AdaptiveAvgPool2d, AvgPool2d, Conv1d, Conv2d, ConvTranspose2d, MaxPool2d
from descent.nn.linear import Flatten, Identity, Linear, Unflatten
from descent.nn.loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, KLDivLoss, L1Loss,
                             MSELoss, NLLLoss, SmoothL1Loss)
from descent.nn.module import Module, ModuleDict, ModuleList, Parameter, Sequential
from descent.nn.normalization import BatchNorm1d, BatchNorm2d, Dropout, Embedding, GroupNorm, LayerNorm
from descent.nn.recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell

import sys as _sys

_sys.modules[__name__ + ".functional"] = functional  # `import descent.nn.functional as F` works
