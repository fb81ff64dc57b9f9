"""Optimizer: the base of every gradient-descent update rule.

An optimizer holds parameter groups (lists of Tensors, each with its hyperparameters)
and a per-parameter state (moment estimates, step counts). `step()` reads each
parameter's `.grad` and changes its `.data` in place. Updates work on the arrays
directly, never through the autograd graph, and stay in the parameter's dtype.

The interface follows `torch.optim.Optimizer`, including the layout of `state_dict()`:
parameters are named by their index in the order of the groups, so a saved state maps
back onto any model with the same parameter order, and holds only numbers, strings,
lists and arrays (it can be saved without pickle).
"""
import numpy as np

from descent.tensor import Tensor, bump_version, enable_grad


class Optimizer:
    """Base class of optimizers.

    Parameters
    ----------
    params : iterable of Tensor, or iterable of dict
        The Tensors to optimize, or parameter groups: dicts with a 'params' entry (the
        group's Tensors) and any hyperparameters that should differ from `defaults`.
    defaults : dict
        Hyperparameters of every group that does not set its own.

    Subclasses implement `_update_group(group)`, the update rule applied to one group.
    """

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.state = {}           # Tensor -> dict of that parameter's state
        self.param_groups = []
        if isinstance(params, Tensor):
            raise TypeError(f"{type(self).__name__}: params must be an iterable of Tensors or of dicts, "
                            "got a single Tensor; wrap it in a list")
        groups = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {key}: {group[key]}" for key in sorted(group) if key != "params"]
        return "\n".join(lines) + "\n)"

    # --- groups -------------------------------------------------------------------
    def add_param_group(self, param_group):
        """Add a group of parameters, with hyperparameters defaulting to `self.defaults`."""
        if not isinstance(param_group, dict):
            raise TypeError(f"add_param_group: a parameter group must be a dict, got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError(f"add_param_group: a parameter group needs a 'params' entry, got keys {list(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError("add_param_group: parameters must be given in a sequence with a stable order, "
                            "not a set")
        params = list(params)
        for p in params:
            _check_parameter(p)
        seen = {id(p) for group in self.param_groups for p in group["params"]}
        ids = [id(p) for p in params]
        if len(set(ids)) != len(ids) or seen.intersection(ids):
            raise ValueError("add_param_group: some parameters appear more than once "
                             "(within a group or in more than one group)")
        group = {**self.defaults, **param_group, "params": params}
        self.param_groups.append(group)

    # --- the update ---------------------------------------------------------------
    def zero_grad(self, set_to_none=True):
        """Forget every parameter's gradient: set it to None (default), or to zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                elif p.grad.is_leaf:
                    p.grad.data.fill(0)
                else:  # a gradient with a graph of its own (create_graph=True): cut it off
                    p.grad = Tensor(np.zeros_like(p.grad.data))

    def step(self, closure=None):
        """Update every parameter that has a gradient, once.

        Parameters
        ----------
        closure : callable, optional
            Recomputes the loss (and its gradients) and returns it; called, with
            gradients recorded, before the update.

        Returns
        -------
        The closure's loss, or None.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            self._update_group(group)
        return loss

    def _update_group(self, group):
        raise NotImplementedError(f"{type(self).__name__} must define _update_group(group)")

    def _init_state(self, x):
        """The state of a parameter (with array `x`) before its first update."""
        return {}

    def _with_grads(self, group):
        """(array, gradient array, state) of each parameter of `group` that has a gradient.

        The caller changes the array in place; the change is recorded in the parameter's
        version counter so that a graph which saved the old values refuses to use them.
        """
        state = self.state
        for p in group["params"]:
            grad = p.grad
            if grad is None:
                continue
            s = state.get(p)
            if s is None:
                s = state[p] = self._init_state(p.data)
            bump_version(p)
            yield p.data, grad.data, s

    # --- saving and loading -------------------------------------------------------
    def state_dict(self):
        """The optimizer's state as plain data, parameters named by index.

        Returns
        -------
        dict with
            'state': {index: {name: ndarray or number}} for each parameter with state;
            'param_groups': [{hyperparameter: value, ..., 'params': [index, ...]}].
        Arrays are copies; tuples become lists.
        """
        index = {}
        groups = []
        for group in self.param_groups:
            saved = {key: _plain(value) for key, value in group.items() if key != "params"}
            saved["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(saved)
        state = {index[id(p)]: {key: _plain(value) for key, value in s.items()}
                 for p, s in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore a state saved by `state_dict()` onto this optimizer's parameters.

        The parameter groups must have the same sizes as the saved ones; state keys may
        be ints or their strings (as after a trip through JSON).
        """
        saved_groups = state_dict["param_groups"]
        name = type(self).__name__
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{name}.load_state_dict: the saved state has {len(saved_groups)} parameter groups, "
                             f"this optimizer has {len(self.param_groups)}")
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(f"{name}.load_state_dict: parameter group {i} has {len(saved['params'])} "
                                 f"parameters in the saved state and {len(group['params'])} in this optimizer")
        by_index = {}
        for saved, group in zip(saved_groups, self.param_groups):
            by_index.update(zip(saved["params"], group["params"]))
        self.state = {}
        for key, values in state_dict["state"].items():
            p = by_index.get(int(key))
            if p is None:
                raise ValueError(f"{name}.load_state_dict: state for parameter {key}, "
                                 "which no parameter group names")
            self.state[p] = {k: _restored(v, p, k, name) for k, v in values.items()}
        # Saved hyperparameters replace the present ones; any the saved state lacks are kept.
        self.param_groups = [
            {**group, **{k: _like(v, group.get(k)) for k, v in saved.items() if k != "params"},
             "params": group["params"]}
            for saved, group in zip(saved_groups, self.param_groups)]


def _check_parameter(p):
    if not isinstance(p, Tensor):
        raise TypeError(f"optimizer: can only optimize Tensors, got {type(p).__name__}")
    if not p.is_leaf:
        raise ValueError("optimizer: can't optimize a non-leaf Tensor (one made by an op that records)")


def _plain(value):
    """`value` as plain data: arrays copied, tuples as lists."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _restored(value, p, key, name):
    """A saved state entry for parameter `p`: float arrays take the parameter's dtype."""
    if not isinstance(value, np.ndarray):
        return value
    if value.ndim == 0 and (p.data.ndim != 0 or value.dtype.kind in "iub"):
        return value.item()  # a number (a step count) that went through an array format
    if value.shape != p.data.shape:
        raise ValueError(f"{name}.load_state_dict: state '{key}' has shape {value.shape}, "
                         f"its parameter has shape {p.data.shape}")
    dtype = p.data.dtype if value.dtype.kind == "f" else value.dtype
    return np.array(value, dtype=dtype, copy=True)


def _like(value, current):
    """A saved hyperparameter, as a tuple again where this optimizer keeps a tuple (betas)."""
    if isinstance(current, tuple) and isinstance(value, list):
        return tuple(value)
    return value


# --- helpers of the update rules ------------------------------------------------------
def check_hyperparameters(optimizer, **values):
    """Raise ValueError naming the optimizer and the value for any negative hyperparameter."""
    for key, value in values.items():
        for v in value if isinstance(value, tuple) else (value,):
            if not v >= 0.0:
                raise ValueError(f"{optimizer}: invalid {key} {value!r}; it must be >= 0")


def check_betas(optimizer, betas):
    if len(betas) != 2 or not all(0.0 <= b < 1.0 for b in betas):
        raise ValueError(f"{optimizer}: invalid betas {betas!r}; both must be in [0, 1)")


def descent_direction(x, g, weight_decay, maximize):
    """The gradient to descend along: g (negated if maximizing) plus L2 decay `weight_decay * x`.

    Returns `g` itself when nothing changes it, else a new array: never modify the result
    in place unless it is known to be new.
    """
    if weight_decay:
        d = np.multiply(x, weight_decay, out=scratch(x))
        return np.subtract(d, g, out=d) if maximize else np.add(d, g, out=d)
    return np.negative(g, out=scratch(x)) if maximize else g


# A new array like `x`, to be a ufunc's `out=` (without `out`, a ufunc turns 0-d results into
# scalars, which in-place operations cannot fill). An alias, not a function: it runs per parameter.
scratch = np.empty_like


def scalars(dtype, *values):
    """`values` as 0-d arrays of `dtype`, the form of a hyperparameter that an update uses.

    NumPy converts a Python float anew at every ufunc call; a 0-d array of the parameter's
    dtype costs nothing more than an array operand (about half the time for small
    parameters) and keeps float32 arithmetic in float32.
    """
    return tuple(np.array(v, dtype=dtype) for v in values)
