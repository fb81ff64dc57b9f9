"""The Adam family: Adam, AdamW and RAdam, which scale each coordinate's step by a running
estimate of its gradient's second moment."""
import math

import numpy as np

from descent.optim.optimizer import (Optimizer, check_betas, check_hyperparameters, descent_direction,
                                      scalars, scratch)


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015), as `torch.optim.Adam`; AMSGrad (Reddi et al., 2018) on request.

    With g the gradient (plus `weight_decay * x` unless the decay is decoupled) at step t::

        m <- beta1 * m + (1 - beta1) * g                       first moment
        v <- beta2 * v + (1 - beta2) * g**2                    second moment
        v_max <- max(v_max, v); use v_max for v                 (amsgrad)
        x <- x - lr * (m / (1 - beta1**t)) / (sqrt(v / (1 - beta2**t)) + eps)

    Parameters
    ----------
    params : iterable of Tensor or of dict (parameter groups)
    lr : float
    betas : (float, float)
        Decay rates (beta1, beta2) of the two moment estimates.
    eps : float
        Added to the denominator, for numerical stability.
    weight_decay : float
        L2 penalty added to the gradient (or, with `decoupled_weight_decay`, the
        AdamW shrinkage x <- x * (1 - lr * weight_decay) before the step).
    amsgrad : bool
    maximize : bool
    decoupled_weight_decay : bool
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 maximize=False, decoupled_weight_decay=False):
        name = type(self).__name__
        check_hyperparameters(name, lr=lr, eps=eps, weight_decay=weight_decay)
        check_betas(name, betas)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def _init_state(self, x):
        return {"step": 0, "exp_avg": np.zeros_like(x), "exp_avg_sq": np.zeros_like(x)}

    def _update_group(self, group):
        lr, eps, (beta1, beta2), amsgrad = group["lr"], group["eps"], group["betas"], group["amsgrad"]
        key = None
        for x, g, state in self._with_grads(group):
            t = state["step"] = state["step"] + 1
            if key != (t, x.dtype):  # as a rule once per group
                key = (t, x.dtype)
                # sqrt(v / c2) + eps = (sqrt(v) + eps * sqrt(c2)) / sqrt(c2): one pass fewer over v.
                sqrt_c2 = math.sqrt(1.0 - beta2 ** t)
                rate1, rate2, eps_t, lr_t = scalars(x.dtype, 1.0 - beta1, 1.0 - beta2, eps * sqrt_c2,
                                                    lr * sqrt_c2 / (1.0 - beta1 ** t))
                decay = Decay(group, x.dtype)
            if decay.active:
                g = decay(x, g)
            s = scratch(x)
            m, v = update_moments(state, g, rate1, rate2, s)
            if amsgrad:
                v_max = state.get("max_exp_avg_sq")
                if v_max is None:
                    v_max = state["max_exp_avg_sq"] = np.zeros_like(x)
                v = np.maximum(v_max, v, out=v_max)
            np.sqrt(v, out=s)
            s += eps_t
            np.divide(m, s, out=s)
            s *= lr_t
            x -= s


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019), as `torch.optim.AdamW`.

    Before each Adam step the parameters shrink, x <- x * (1 - lr * weight_decay), instead
    of an L2 term joining the gradient (where Adam's scaling would distort it).
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)


class RAdam(Optimizer):
    """Rectified Adam (Liu et al., 2019, "On the Variance of the Adaptive Learning Rate and
    Beyond"), as `torch.optim.RAdam`.

    Early on, the variance of Adam's adaptive scale 1 / sqrt(v) is large. RAdam tracks the
    length of the approximated simple moving average::

        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 t beta2**t / (1 - beta2**t)

    and while rho_t <= 5 takes plain momentum steps x <- x - lr * m_hat; afterwards Adam
    steps scaled by the rectification
    r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))::

        x <- x - lr * r_t * m_hat * sqrt(1 - beta2**t) / (sqrt(v) + eps)

    with m_hat = m / (1 - beta1**t). Parameters as `Adam` (no amsgrad).
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, maximize=False):
        check_hyperparameters("RAdam", lr=lr, eps=eps, weight_decay=weight_decay)
        check_betas("RAdam", betas)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      decoupled_weight_decay=decoupled_weight_decay, maximize=maximize))

    _init_state = Adam._init_state

    def _update_group(self, group):
        lr, eps, (beta1, beta2) = group["lr"], group["eps"], group["betas"]
        rho_inf = 2.0 / (1.0 - beta2) - 1.0
        key = None
        for x, g, state in self._with_grads(group):
            t = state["step"] = state["step"] + 1
            if key != (t, x.dtype):  # as a rule once per group
                key = (t, x.dtype)
                c1, c2 = 1.0 - beta1 ** t, 1.0 - beta2 ** t
                rho_t = rho_inf - 2.0 * t * beta2 ** t / c2
                rectified = rho_t > 5.0  # the variance of the adaptive scale is tractable
                if rectified:
                    r_t = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
                    lr_t = lr * r_t * math.sqrt(c2) / c1
                else:
                    lr_t = lr / c1
                rate1, rate2, epsilon, lr_t = scalars(x.dtype, 1.0 - beta1, 1.0 - beta2, eps, lr_t)
                decay = Decay(group, x.dtype)
            if decay.active:
                g = decay(x, g)
            s = scratch(x)
            m, v = update_moments(state, g, rate1, rate2, s)
            if rectified:
                np.sqrt(v, out=s)
                s += epsilon
                np.divide(m, s, out=s)
                s *= lr_t
            else:  # plain momentum
                np.multiply(m, lr_t, out=s)
            x -= s


class Decay:
    """Weight decay of a group, applied to (x, g): decoupled (shrinking x in place, AdamW) or
    as L2 (returning g + weight_decay * x); and the sign of g for `maximize`."""

    def __init__(self, group, dtype):
        weight_decay = group["weight_decay"]
        self.decoupled = group["decoupled_weight_decay"] and weight_decay != 0
        self.maximize = group["maximize"]
        self.shrink, self.weight_decay = scalars(dtype, 1.0 - group["lr"] * weight_decay, weight_decay)
        if group["decoupled_weight_decay"]:
            self.weight_decay = 0
        self.active = weight_decay != 0 or self.maximize

    def __call__(self, x, g):
        if self.decoupled:
            x *= self.shrink
        return descent_direction(x, g, self.weight_decay, self.maximize)


def update_moments(state, g, rate1, rate2, s):
    """Move the running moments toward g and g**2, in place; return them (m, v).

    m <- m + (1 - beta1) (g - m) is beta1 m + (1 - beta1) g in one ufunc fewer (rate1 = 1 - beta1);
    likewise v with g**2 and rate2 = 1 - beta2. `s` is scratch space like g.
    """
    m, v = state["exp_avg"], state["exp_avg_sq"]
    np.subtract(g, m, out=s)
    s *= rate1
    m += s
    np.multiply(g, g, out=s)
    s -= v
    s *= rate2
    v += s
    return m, v
