"""Module and Parameter: models as trees of layers holding Tensors, in PyTorch's manner.

A Module's attributes that are Parameters or Modules are registered as they are set,
so `parameters()`, `state_dict()` and `train()` / `eval()` walk the tree without any
declaration. Buffers (running statistics) are arrays saved in the state dict but not
trained.
"""
from collections import OrderedDict

import numpy as np

from descent.tensor import Tensor


class Parameter(Tensor):
    """A Tensor that a Module trains: it requires grad, and Modules register it."""

    __slots__ = ()

    def __init__(self, data, requires_grad=True):
        super().__init__(data)
        self.requires_grad_(requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


class Module:
    """Base of every layer and model: subclasses set Parameters and Modules in __init__
    and define `forward`; calling the module calls `forward`."""

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "training", True)

    # --- registration -----------------------------------------------------------
    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}: call super().__init__() before setting attributes")
        if name in self._buffers and not isinstance(value, (Parameter, Module)):
            self._buffers[name] = value  # a buffer given a new array stays a buffer
        else:
            for registry in (self._parameters, self._modules, self._buffers):
                registry.pop(name, None)
            if isinstance(value, Parameter):
                self._parameters[name] = value
            elif isinstance(value, Module):
                self._modules[name] = value
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        for registry in (self._parameters, self._modules, self._buffers):
            registry.pop(name, None)
        object.__delattr__(self, name)

    def register_parameter(self, name, parameter):
        """Register `parameter` (or None, for an optional one such as a missing bias)."""
        if parameter is None:
            self._parameters.pop(name, None)
            object.__setattr__(self, name, None)
        else:
            setattr(self, name, parameter)

    def register_buffer(self, name, array):
        """An array that belongs to the state (saved, loaded) but is not trained."""
        object.__setattr__(self, name, array)
        if array is None:
            self._buffers.pop(name, None)
        else:
            self._buffers[name] = array

    def add_module(self, name, module):
        setattr(self, name, module)

    # --- calling ----------------------------------------------------------------
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # --- walking the tree -------------------------------------------------------
    def named_modules(self, prefix=""):
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                yield from module.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self):
        return (m for _, m in self.named_modules())

    def named_children(self):
        return ((n, m) for n, m in self._modules.items() if m is not None)

    def children(self):
        return (m for _, m in self.named_children())

    def named_parameters(self, prefix="", recurse=True):
        seen = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, p in module._parameters.items():
                if p is not None and id(p) not in seen:  # a shared parameter is listed once
                    seen.add(id(p))
                    yield (f"{module_prefix}.{name}" if module_prefix else name), p

    def parameters(self, recurse=True):
        return (p for _, p in self.named_parameters(recurse=recurse))

    def named_buffers(self, prefix=""):
        for module_prefix, module in self.named_modules(prefix):
            for name, b in module._buffers.items():
                yield (f"{module_prefix}.{name}" if module_prefix else name), b

    def buffers(self):
        return (b for _, b in self.named_buffers())

    # --- modes and gradients ----------------------------------------------------
    def train(self, mode=True):
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.data[...] = 0

    def apply(self, fn):
        """Call fn on every submodule (children first) and on self, e.g. for initialization."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def to(self, dtype):
        """Cast floating parameters and buffers to `dtype` in place."""
        for p in self.parameters():
            if p.data.dtype.kind == "f":
                p.data = p.data.astype(dtype)
        for module in self.modules():
            for name, b in list(module._buffers.items()):
                if b is not None and b.dtype.kind == "f":
                    module.register_buffer(name, b.astype(dtype))
        return self

    def float(self):
        return self.to(np.float32)

    def double(self):
        return self.to(np.float64)

    # --- state ------------------------------------------------------------------
    def state_dict(self):
        """name -> array for every parameter and buffer (arrays shared, not copied)."""
        state = OrderedDict((name, p.data) for name, p in self.named_parameters())
        state.update((name, b) for name, b in self.named_buffers() if b is not None)
        return state

    def load_state_dict(self, state_dict, strict=True):
        """Copy arrays into the parameters and buffers of the same names.

        With `strict`, a missing, unexpected or mis-shaped key is an error that lists
        them all. Returns (missing_keys, unexpected_keys).
        """
        own = dict(self.named_parameters())
        own_buffers = {name: (module, key) for prefix, module in self.named_modules()
                       for key in module._buffers for name in [f"{prefix}.{key}" if prefix else key]}
        expected = set(own) | set(own_buffers)
        missing = sorted(expected - set(state_dict))
        unexpected = sorted(set(state_dict) - expected)
        mismatched = [f"{name}: expected {self._shape_of(name, own, own_buffers)}, got {np.shape(v)}"
                      for name, v in state_dict.items() if name in expected
                      and np.shape(v) != self._shape_of(name, own, own_buffers)]
        if mismatched or (strict and (missing or unexpected)):
            problems = []
            if missing:
                problems.append(f"missing keys: {missing}")
            if unexpected:
                problems.append(f"unexpected keys: {unexpected}")
            if mismatched:
                problems.append(f"mis-shaped keys: {mismatched}")
            raise KeyError(f"load_state_dict for {type(self).__name__}: " + "; ".join(problems))
        for name, value in state_dict.items():
            value = np.asarray(value.data if isinstance(value, Tensor) else value)
            if name in own:
                own[name].data[...] = value
            elif name in own_buffers:
                module, key = own_buffers[name]
                getattr(module, key)[...] = value
        return missing, unexpected

    @staticmethod
    def _shape_of(name, own, own_buffers):
        if name in own:
            return own[name].shape
        module, key = own_buffers[name]
        return getattr(module, key).shape

    # --- printing ---------------------------------------------------------------
    def extra_repr(self):
        """The layer's own settings, shown in its repr (e.g. 'in_features=784, out_features=10')."""
        return ""

    def __repr__(self):
        lines = [f"({name}): " + repr(module).replace("\n", "\n  ") for name, module in self.named_children()]
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"


class Sequential(Module):
    """Modules applied one after the other."""

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], (dict, OrderedDict)):
            for name, module in modules[0].items():
                self.add_module(name, module)
        else:
            for i, module in enumerate(modules):
                self.add_module(str(i), module)

    def forward(self, x):
        for module in self._modules.values():
            x = module(x)
        return x

    def __getitem__(self, i):
        modules = list(self._modules.values())
        if isinstance(i, slice):
            return Sequential(*modules[i])
        return modules[i]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self


class ModuleList(Module):
    """A list of Modules whose parameters are registered."""

    def __init__(self, modules=()):
        super().__init__()
        for module in modules:
            self.append(module)

    def append(self, module):
        self.add_module(str(len(self._modules)), module)
        return self

    def extend(self, modules):
        for module in modules:
            self.append(module)
        return self

    def __getitem__(self, i):
        modules = list(self._modules.values())
        return ModuleList(modules[i]) if isinstance(i, slice) else modules[i]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())


class ModuleDict(Module):
    """A dict of Modules whose parameters are registered."""

    def __init__(self, modules=None):
        super().__init__()
        for name, module in (modules or {}).items():
            self[name] = module

    def __getitem__(self, name):
        return self._modules[name]

    def __setitem__(self, name, module):
        self.add_module(name, module)

    def __contains__(self, name):
        return name in self._modules

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()
