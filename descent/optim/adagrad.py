"""Adagrad: per-coordinate steps shrinking with the sum of that coordinate's squared gradients."""
import numpy as np

from descent.optim.optimizer import Optimizer, check_hyperparameters, descent_direction, scalars, scratch


class Adagrad(Optimizer):
    """Adagrad (Duchi, Hazan & Singer, 2011), as `torch.optim.Adagrad`.

    With g the gradient (plus `weight_decay * x`) at step t::

        lr_t = lr / (1 + (t - 1) * lr_decay)
        G <- G + g**2                       (G starts at initial_accumulator_value)
        x <- x - lr_t * g / (sqrt(G) + eps)

    Parameters
    ----------
    params : iterable of Tensor or of dict (parameter groups)
    lr : float
    lr_decay : float
    weight_decay : float
    initial_accumulator_value : float
        Unlike PyTorch, which fills every accumulator with the constructor's value, a
        parameter group's own value is honoured.
    eps : float
    maximize : bool
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10, *,
                 maximize=False):
        check_hyperparameters("Adagrad", lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                              initial_accumulator_value=initial_accumulator_value, eps=eps)
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, eps=eps,
                                      maximize=maximize))

    def add_param_group(self, param_group):
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        # As in PyTorch, the accumulator exists from the start.
        for p in group["params"]:
            self.state[p] = {"step": 0, "sum": np.full_like(p.data, group["initial_accumulator_value"])}

    def _init_state(self, x):  # only for a parameter whose state was dropped
        return {"step": 0, "sum": np.full_like(x, self.defaults["initial_accumulator_value"])}

    def _update_group(self, group):
        changes_g = group["weight_decay"] != 0 or group["maximize"]
        lr, lr_decay, maximize = group["lr"], group["lr_decay"], group["maximize"]
        key = None
        for x, g, state in self._with_grads(group):
            t = state["step"] = state["step"] + 1
            if key != (t, x.dtype):  # as a rule once per group
                key = (t, x.dtype)
                lr_t, eps, weight_decay = scalars(x.dtype, lr / (1.0 + (t - 1) * lr_decay), group["eps"],
                                                  group["weight_decay"])
            if changes_g:
                g = descent_direction(x, g, weight_decay, maximize)
            G = state["sum"]
            s = np.multiply(g, g, out=scratch(x))
            G += s
            np.sqrt(G, out=s)
            s += eps
            np.divide(g, s, out=s)
            s *= lr_t
            x -= s
