"""The backward walk: reverse-mode automatic differentiation over the record Tensors keep.

Each Tensor made by an op holds a record of it, `_node` (see `descent.tensor.Tensor`):
the op's arguments, keyword arguments, and one rule for each argument that needs a
gradient. A rule maps the gradient of the output to the gradient of one input:
`rule(g, ans, *inputs, **params)`.

Rules are written with operators and `descent.ops` functions, which work on NumPy
arrays and on Tensors alike. So the same rule runs two ways:
- on arrays (the default): fast, and nothing is recorded;
- on Tensors (`create_graph=True`): the backward pass is itself recorded, and can be
  differentiated again for higher-order derivatives.
"""
import numpy as np

from descent.tensor import FREED, INPLACE_CHANGES, RETAIN_GRAD, Tensor, enable_grad, no_grad


def topological_order(roots):
    """Every Tensor that requires grad and that `roots` depend on, inputs before outputs."""
    order, seen = [], set()
    stack = [(root, False) for root in roots]
    while stack:
        t, expanded = stack.pop()
        if expanded:
            order.append(t)
            continue
        if t in seen:
            continue
        seen.add(t)
        stack.append((t, True))
        if t._node is not None:
            for a, _ in t._node[2]:
                if a not in seen:
                    stack.append((a, False))
    return order


def run_backward(roots, root_grads, retain_graph=False, create_graph=False, inputs=None,
                 allow_unused=False):
    """Propagate `root_grads` from `roots` back through the graph.

    With `inputs=None`, gradients accumulate into the `.grad` of leaves (and of
    Tensors that called `retain_grad()`), as `Tensor.backward` does. With `inputs`,
    nothing accumulates: the gradients with respect to `inputs` are returned, as
    `torch.autograd.grad` does.
    """
    retain_graph = retain_graph or create_graph
    grads = {}
    for root, g in zip(roots, root_grads):
        grads[root] = _root_gradient(root, g, create_graph)
    wanted = None if inputs is None else set(inputs)
    found = {}
    owned = set()  # ids of arrays already stored in a .grad; storing one twice needs a copy
    with (enable_grad() if create_graph else no_grad()):
        for t in reversed(topological_order(roots)):
            g = grads.pop(t, None)
            if g is None:
                continue
            if t._hooks:
                g = _run_hooks(t, g, create_graph)
            node = t._node
            if wanted is not None:
                if t in wanted:
                    found[t] = g
            elif node is None or (t._hooks and RETAIN_GRAD in t._hooks):
                _accumulate_grad(t, g, create_graph, owned)
            if node is None:
                continue
            if node[1] is FREED:
                raise RuntimeError(
                    f"backward: trying to go back through the graph of {node[4]!r} a second time: its "
                    "saved values were freed by the first backward(); pass retain_graph=True to it")
            _propagate(t, node, g, grads, create_graph)
            if not retain_graph:
                t._node = (None, FREED, (), None, node[4], None)
    if wanted is None:
        return None
    return _gradients_of(inputs, found, allow_unused)


def _root_gradient(root, g, create_graph):
    if not isinstance(root, Tensor) or not root.requires_grad:
        raise RuntimeError("backward: the Tensor does not require grad and has no grad_fn "
                           "(did it come from no_grad, .detach(), or integer data?)")
    if g is None:
        if root.data.size != 1:
            raise RuntimeError(f"backward: a gradient can be implied only for a scalar output; this one "
                               f"has shape {root.shape}, so pass gradient= of that shape")
        g = np.ones_like(root.data)
    elif isinstance(g, Tensor):
        g = g if create_graph else g.data
    else:
        g = np.asarray(g, dtype=root.dtype)
    if g.shape != root.shape:
        raise RuntimeError(f"backward: gradient of shape {g.shape} does not match the output's shape {root.shape}")
    if create_graph and not isinstance(g, Tensor):
        g = Tensor._make(g)
    return g


def _propagate(t, node, g, grads, create_graph):
    """Apply the rules of t's op to g, adding each input's share into `grads`."""
    inputs, arrays, edges, params, op, versions = node
    _check_versions(inputs, versions, op)
    args, ans = (inputs, t) if create_graph else (arrays, t.data)
    for a, rule in edges:
        ga = rule(g, ans, *args, **params) if params else rule(g, ans, *args)
        if ga is None:
            continue
        if ga.dtype != a.data.dtype:  # e.g. a float32 input of a float64 op
            ga = ga.astype(a.data.dtype)
        previous = grads.get(a)
        # Sum out of place: the same array may have gone to several inputs.
        grads[a] = ga if previous is None else previous + ga


def _check_versions(inputs, versions, op):
    """Refuse to differentiate through an input that was changed in place after being saved."""
    all_zero = type(versions) is int
    if all_zero and versions == INPLACE_CHANGES[0]:
        return  # nothing anywhere changed in place since the op ran
    for i, a in enumerate(inputs):
        if isinstance(a, Tensor) and a._version is not None:
            then = 0 if all_zero or versions[i] is None else versions[i]
            if a._version[0] != then:
                raise RuntimeError(
                    f"backward: an input of {op!r} (shape {a.shape}, dtype {a.dtype}) saved for the "
                    f"gradient was modified by an in-place operation (version {then} -> {a._version[0]}); "
                    "compute the in-place change out of place, or clone the Tensor before it")


def _run_hooks(t, g, create_graph):
    for hook in list(t._hooks):
        if hook is RETAIN_GRAD:
            continue
        result = hook(g if create_graph else Tensor._make(g))
        if result is not None:
            if create_graph:
                g = result if isinstance(result, Tensor) else Tensor(result)
            else:
                g = result.data if isinstance(result, Tensor) else np.asarray(result)
    return g


def _accumulate_grad(t, g, create_graph, owned):
    if g.dtype != t.data.dtype:
        g = g.astype(t.data.dtype)
    if create_graph:
        t.grad = g if t.grad is None else t.grad + g
    elif t.grad is None:
        # A .grad must own its memory, since optimizers and clipping change it in place:
        # copy a view, a scalar, or an array already given to another .grad.
        if type(g) is not np.ndarray or g.base is not None or id(g) in owned:
            g = np.array(g, copy=True)
        owned.add(id(g))
        t.grad = Tensor._make(g)
    elif t.grad.shape == g.shape and t.grad.data.flags.writeable:
        t.grad.data += g
    else:
        t.grad = Tensor._make(t.grad.data + g)


def _gradients_of(inputs, found, allow_unused):
    result = []
    for i, t in enumerate(inputs):
        g = found.get(t)
        if g is None and not allow_unused:
            raise RuntimeError(f"grad: input {i} (shape {t.shape}) was not used to compute the outputs; "
                               "pass allow_unused=True to get None for it")
        if g is not None and not isinstance(g, Tensor):
            g = np.asarray(g)
            g = Tensor._make(g if g.base is None else g.copy())
        result.append(g)
    return tuple(result)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False):
    """Gradients of `outputs` with respect to `inputs`, returned rather than accumulated.

    As `torch.autograd.grad`: `outputs` and `inputs` are Tensors or sequences of them;
    `grad_outputs` gives the vector of the vector-Jacobian product for each output.
    """
    outputs = (outputs,) if isinstance(outputs, Tensor) else tuple(outputs)
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    if grad_outputs is None or isinstance(grad_outputs, Tensor):
        grad_outputs = (grad_outputs,) * len(outputs) if grad_outputs is None else (grad_outputs,)
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError(f"grad: input {i} does not require grad")
    retain = create_graph if retain_graph is None else retain_graph
    return run_backward(outputs, tuple(grad_outputs), retain_graph=retain, create_graph=create_graph,
                        inputs=inputs, allow_unused=allow_unused)
