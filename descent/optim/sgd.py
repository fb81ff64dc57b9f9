"""Stochastic gradient descent, with momentum (Polyak's heavy ball, or Nesterov's)."""
import numpy as np

from descent.optim.optimizer import Optimizer, check_hyperparameters, descent_direction, scalars, scratch


class SGD(Optimizer):
    """Stochastic gradient descent, as `torch.optim.SGD`.

    With g the gradient (plus `weight_decay * x`; negated when maximizing) and b the
    momentum buffer (b = g at the first step)::

        b <- momentum * b + (1 - dampening) * g
        x <- x - lr * (g + momentum * b)     if nesterov     (Sutskever et al., 2013)
        x <- x - lr * b                      otherwise       (Polyak, 1964)

    and, with momentum 0, plain x <- x - lr * g.

    Parameters
    ----------
    params : iterable of Tensor or of dict (parameter groups)
    lr : float
    momentum : float
    dampening : float
    weight_decay : float
        L2 penalty, added to the gradient.
    nesterov : bool
    maximize : bool
        Ascend the objective instead of descending it.
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False):
        check_hyperparameters("SGD", lr=lr, momentum=momentum, weight_decay=weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(f"SGD: Nesterov momentum needs momentum > 0 and dampening 0, "
                             f"got momentum={momentum}, dampening={dampening}")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov, maximize=maximize))

    def _update_group(self, group):
        changes_g = group["weight_decay"] != 0 or group["maximize"]
        nesterov, maximize, has_momentum = group["nesterov"], group["maximize"], group["momentum"] != 0
        undamped = group["dampening"] == 0
        dtype = None  # of the parameters the scalars below were made for
        for x, g, state in self._with_grads(group):
            if dtype is None or x.dtype != dtype:  # as a rule once per group
                dtype = x.dtype
                lr, mu, damping, weight_decay = scalars(dtype, group["lr"], group["momentum"],
                                                        1.0 - group["dampening"], group["weight_decay"])
            if changes_g:
                g = descent_direction(x, g, weight_decay, maximize)
            if has_momentum:
                b = state.get("momentum_buffer")
                if b is None:
                    b = state["momentum_buffer"] = np.array(g, dtype=dtype)
                else:
                    b *= mu
                    b += g if undamped else np.multiply(g, damping, out=scratch(x))
                if nesterov:
                    step = np.multiply(b, mu, out=scratch(x))
                    step += g
                else:
                    step = b
            else:
                step = g
            x -= np.multiply(step, lr, out=scratch(x))
