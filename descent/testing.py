"""Checking derivatives against finite differences.

`gradcheck(f, *inputs)` compares the gradient that backward() computes with central
differences in float64:

    ∂/∂x_k ⟨v, f(x)⟩ ≈ (⟨v, f(x + ε e_k)⟩ - ⟨v, f(x - ε e_k)⟩) / 2ε

for a random vector v (a random projection of the Jacobian: a wrong Jacobian passes
only by an accident of measure zero). `gradgradcheck` does the same for the gradient
itself, which checks second derivatives (`create_graph=True`).
"""
import numpy as np

from descent import autograd
from descent.ops import concatenate
from descent.tensor import Tensor, enable_grad, no_grad


class GradcheckError(AssertionError):
    """The analytical and numerical gradients disagree."""


def _prepare(inputs):
    """Floating inputs as float64 Tensors that require grad (views stay views); others as given."""
    prepared = []
    for x in inputs:
        data = x.data if isinstance(x, Tensor) else x
        if isinstance(data, (float, np.floating)) or (isinstance(data, np.ndarray) and data.dtype.kind == "f"):
            array = np.asarray(data)
            if array.dtype != np.float64:
                array = array.astype(np.float64)
            prepared.append(Tensor(array, dtype=np.float64).requires_grad_())
        else:
            prepared.append(x)
    return prepared


def _projection(f, inputs, v):
    out = f(*inputs)
    return out, (out * v).sum() if v is not None else out.sum()


def gradcheck(f, *inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0, raise_exception=True):
    """True if f's analytical gradients match central differences for every floating input.

    Parameters
    ----------
    f : callable(*Tensors) -> Tensor
    inputs : arrays or Tensors; floating ones are checked (in float64), others passed as given.
    eps, atol, rtol : step and tolerances; an element fails if |a - n| > atol + rtol·|n|.

    Raises GradcheckError naming the input, the worst element and both values (unless
    `raise_exception=False`, when it returns False instead).
    """
    inputs = _prepare(inputs)
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    with enable_grad():
        out = f(*inputs)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: f must return a Tensor, got {type(out).__name__}")
    v = np.random.default_rng(seed).standard_normal(out.shape) if out.ndim else np.float64(1.5)
    with enable_grad():
        total = (out * Tensor(np.asarray(v), dtype=np.float64)).sum()
    if total.requires_grad:
        analytical = autograd.grad(total, [inputs[i] for i in checked], allow_unused=True)
    else:  # f is constant in its inputs (a linear op's derivative, say): compare against zeros
        analytical = [None] * len(checked)
    for i, a in zip(checked, analytical):
        numerical = _numerical_gradient(f, inputs, i, v, eps)
        a = np.zeros_like(numerical) if a is None else a.data
        if a.shape != numerical.shape:
            raise GradcheckError(f"gradcheck: gradient of input {i} has shape {a.shape}, "
                                 f"expected {numerical.shape}")
        excess = np.abs(a - numerical) - (atol + rtol * np.abs(numerical))
        if (excess > 0).any() or not np.isfinite(a).all():
            k = np.unravel_index(np.nanargmax(np.where(np.isfinite(excess), excess, np.inf)), a.shape)
            message = (f"gradcheck: input {i} (shape {a.shape}) at index {tuple(int(j) for j in k)}: "
                       f"analytical {a[k]:.8g}, numerical {numerical[k]:.8g} "
                       f"(tolerance {atol} + {rtol}·|numerical|)")
            if raise_exception:
                raise GradcheckError(message)
            return False
    return True


def _numerical_gradient(f, inputs, i, v, eps):
    x = inputs[i].data
    gradient = np.zeros(x.shape)
    flat_index = np.ndindex(*x.shape) if x.ndim else [()]
    with no_grad():
        for k in flat_index:
            original = x[k]
            x[k] = original + eps
            plus = float(np.sum(f(*inputs).data * v))
            x[k] = original - eps
            minus = float(np.sum(f(*inputs).data * v))
            x[k] = original
            gradient[k] = (plus - minus) / (2 * eps)
    return gradient


def gradgradcheck(f, *inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=1):
    """gradcheck of the gradient itself: checks that f's backward pass is correctly differentiable."""
    inputs = _prepare(inputs)
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]

    def first_derivative(*xs):
        with enable_grad():
            out = f(*xs)
            w = np.random.default_rng(seed).standard_normal(out.shape) if out.ndim else np.float64(0.7)
            total = (out * Tensor(np.asarray(w), dtype=np.float64)).sum()
            grads = autograd.grad(total, [xs[i] for i in checked], create_graph=True, allow_unused=True)
            parts = [g.reshape(-1) for g in grads if g is not None]
        if not parts:
            raise GradcheckError("gradgradcheck: no input has a gradient")
        return concatenate(parts)

    return gradcheck(first_derivative, *inputs, eps=eps, atol=atol, rtol=rtol, seed=seed + 1)
