"""RMSprop: divide the gradient by a running root mean square of recent gradients."""
import numpy as np

from descent.optim.optimizer import Optimizer, check_hyperparameters, descent_direction, scalars, scratch


class RMSprop(Optimizer):
    """RMSprop (Hinton, Lecture 6e of "Neural Networks for Machine Learning", 2012), as
    `torch.optim.RMSprop`; centered as in Graves (2013).

    With g the gradient (plus `weight_decay * x`)::

        v <- alpha * v + (1 - alpha) * g**2
        a <- alpha * a + (1 - alpha) * g;  s = sqrt(v - a**2) + eps     if centered
                                          s = sqrt(v) + eps             otherwise
        b <- momentum * b + g / s;  x <- x - lr * b                     if momentum > 0
        x <- x - lr * g / s                                             otherwise

    Parameters
    ----------
    params : iterable of Tensor or of dict (parameter groups)
    lr : float
    alpha : float
        Decay rate of the running averages.
    eps : float
    weight_decay : float
    momentum : float
    centered : bool
        Normalize by an estimate of the gradient's variance instead of its second moment.
    maximize : bool
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False, *,
                 maximize=False):
        check_hyperparameters("RMSprop", lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                              momentum=momentum)
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered, maximize=maximize))

    def _init_state(self, x):
        return {"step": 0, "square_avg": np.zeros_like(x)}

    def _update_group(self, group):
        changes_g = group["weight_decay"] != 0 or group["maximize"]
        centered, maximize, has_momentum = group["centered"], group["maximize"], group["momentum"] > 0
        dtype = None  # of the parameters the scalars below were made for
        for x, g, state in self._with_grads(group):
            state["step"] += 1
            if dtype is None or x.dtype != dtype:  # as a rule once per group
                dtype = x.dtype
                lr, rate, eps, mu, weight_decay = scalars(dtype, group["lr"], 1.0 - group["alpha"], group["eps"],
                                                          group["momentum"], group["weight_decay"])
            if changes_g:
                g = descent_direction(x, g, weight_decay, maximize)
            v = state["square_avg"]
            s = np.multiply(g, g, out=scratch(x))
            _move_toward(v, s, rate, s)
            if centered:
                a = state.get("grad_avg")
                if a is None:
                    a = state["grad_avg"] = np.zeros_like(x)
                _move_toward(a, g, rate, s)
                np.multiply(a, a, out=s)
                np.subtract(v, s, out=s)
                np.sqrt(s, out=s)
            else:
                np.sqrt(v, out=s)
            s += eps
            np.divide(g, s, out=s)  # s is now the normalized gradient
            if has_momentum:
                b = state.get("momentum_buffer")
                if b is None:
                    b = state["momentum_buffer"] = np.zeros_like(x)
                b *= mu
                b += s
                np.multiply(b, lr, out=s)
            else:
                s *= lr
            x -= s


def _move_toward(average, target, rate, s):
    """average <- average + rate * (target - average), in place, through scratch `s` (may be `target`).

    With rate = 1 - alpha, that is alpha * average + (1 - alpha) * target in one ufunc fewer.
    """
    np.subtract(target, average, out=s)
    s *= rate
    average += s
