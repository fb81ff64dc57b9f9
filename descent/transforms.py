"""Functional transforms, as in JAX: grad, value_and_grad, vjp, jvp, hvp, jacobian, hessian.

They turn a function of Tensors (or arrays) into a function of the same arguments that
returns derivatives. They compose: `grad(grad(f))` is the second derivative, because a
transform applied to Tensors that are already being differentiated keeps the graph of
its own backward pass (`create_graph=True`) for the outer transform to go through.

Forward mode (`jvp`) uses the "double VJP" identity: g(u) = Jᵀu is linear in u, so the
VJP of g with respect to u, at the tangent v, is (Jᵀ)ᵀv = Jv.
"""
import numpy as np

from descent import autograd, ops
from descent.tensor import Tensor, enable_grad, is_grad_enabled


def _as_variable(x, who):
    """(Tensor to differentiate by, whether it is already being differentiated by an outer transform)."""
    if isinstance(x, Tensor) and x.requires_grad and is_grad_enabled():
        return x, True
    t = Tensor(x.data if isinstance(x, Tensor) else x)
    if t.dtype.kind != "f":
        raise TypeError(f"{who}: can only differentiate with respect to floating inputs, got {t.dtype}")
    return t.requires_grad_(), False


def _variables(args, argnums, who):
    args = list(args)
    nested = False
    for i in argnums:
        if i >= len(args):
            raise ValueError(f"{who}: argnums {argnums} but only {len(args)} arguments were given")
        args[i], outer = _as_variable(args[i], who)
        nested = nested or outer
    return args, nested


def _zeros_for_unused(grads, variables):
    return tuple(ops.zeros_like(v) if g is None else g for g, v in zip(grads, variables))


def _check_scalar(out, who):
    if not isinstance(out, Tensor) or out.size != 1:
        shape = out.shape if isinstance(out, Tensor) else type(out).__name__
        raise TypeError(f"{who}: the function must return a scalar Tensor, got {shape}")


def value_and_grad(f, argnums=0, has_aux=False):
    """A function returning (f(*args), ∂f/∂args[argnums]); f must return a scalar Tensor."""
    single = isinstance(argnums, int)
    nums = (argnums,) if single else tuple(argnums)

    def wrapped(*args, **kwargs):
        args, nested = _variables(args, nums, "grad")
        with enable_grad():
            out = f(*args, **kwargs)
        aux = None
        if has_aux:
            out, aux = out
        _check_scalar(out, "grad")
        variables = [args[i] for i in nums]
        grads = autograd.grad(out, variables, create_graph=nested, allow_unused=True)
        grads = _zeros_for_unused(grads, variables)
        value = out if nested else out.detach()
        result = grads[0] if single else grads
        return ((value, aux), result) if has_aux else (value, result)

    return wrapped


def grad(f, argnums=0, has_aux=False):
    """∂f/∂args[argnums] as a function of args, as `jax.grad`; f must return a scalar Tensor."""
    both = value_and_grad(f, argnums, has_aux)

    def wrapped(*args, **kwargs):
        value, g = both(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    return wrapped


def vjp(f, *primals):
    """(f(*primals), vjp_fn) where vjp_fn(v) gives vᵀJ for each primal, as `jax.vjp`."""
    variables, nested = _variables(primals, range(len(primals)), "vjp")
    with enable_grad():
        out = f(*variables)

    def vjp_fn(cotangent):
        grads = autograd.grad(out, variables, grad_outputs=_as_tensor(cotangent), retain_graph=True,
                              create_graph=nested, allow_unused=True)
        return _zeros_for_unused(grads, variables)

    return (out if nested else out.detach()), vjp_fn


def jvp(f, primals, tangents):
    """(f(*primals), J·tangents): forward-mode derivative, as `jax.jvp`."""
    variables, nested = _variables(primals, range(len(primals)), "jvp")
    with enable_grad():
        out = f(*variables)
        u = ops.zeros_like(out).requires_grad_()  # a dummy cotangent: Jᵀu is linear in u
        grads = autograd.grad(out, variables, grad_outputs=u, create_graph=True, allow_unused=True)
        pairs = [(g, _as_tensor(v)) for g, v in zip(grads, tangents) if g is not None]
        if not pairs:
            return out, ops.zeros_like(out)
        inner = sum((g * v).sum() for g, v in pairs)
        (tangent_out,) = autograd.grad(inner, [u], create_graph=nested, allow_unused=True)
    tangent_out = ops.zeros_like(out) if tangent_out is None else tangent_out
    return (out if nested else out.detach()), tangent_out


def hvp(f, primals, tangents):
    """(∇f, H·tangents) at primals: a Hessian-vector product without forming H."""
    variables, nested = _variables(primals, range(len(primals)), "hvp")
    with enable_grad():
        out = f(*variables)
        _check_scalar(out, "hvp")
        grads = autograd.grad(out, variables, create_graph=True, allow_unused=True)
        pairs = [(g, _as_tensor(v)) for g, v in zip(grads, tangents) if g is not None]
        inner = sum((g * v).sum() for g, v in pairs)
        products = autograd.grad(inner, variables, create_graph=nested, allow_unused=True)
    return _zeros_for_unused(grads, variables), _zeros_for_unused(products, variables)


def jacobian(f, argnums=0):
    """A function returning ∂f/∂x of shape f(x).shape + x.shape, one VJP per output element.

    Meant for small inputs and outputs: it runs one backward pass per output element.
    """
    def wrapped(*args):
        args, nested = _variables(args, (argnums,), "jacobian")
        x = args[argnums]
        with enable_grad():
            out = f(*args)
        rows = []
        for i in range(out.size):
            basis = np.zeros(out.size, dtype=out.dtype)
            basis[i] = 1
            (row,) = autograd.grad(out, [x], grad_outputs=Tensor(basis.reshape(out.shape)), retain_graph=True,
                                   create_graph=nested, allow_unused=True)
            rows.append(ops.zeros_like(x) if row is None else row)
        jac = ops.stack(rows).reshape(out.shape + x.shape) if rows else ops.zeros(out.shape + x.shape)
        return jac if nested else jac.detach()

    return wrapped


def hessian(f, argnums=0):
    """The matrix of second derivatives of a scalar f, shape x.shape + x.shape."""
    return jacobian(grad(f, argnums), argnums)


def _as_tensor(v):
    return v if isinstance(v, Tensor) else Tensor(v)
