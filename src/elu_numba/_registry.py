"""One table of the functions, shared by the tests, the benchmarks and the CLI.

Each :class:`Activation` names the public function and its gradient, whether it takes
``alpha``, a high-precision reference (NumPy ``longdouble``, 64-bit significand on x86) for
the value and the derivative, and the plain NumPy formula from the reference articles (the
baseline the benchmarks compare against).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import _api
from ._math import SELU_ALPHA, SELU_SCALE

_LD = np.longdouble
_SA = _LD("1.6732632423543772848170429916717")
_SS = _LD("1.0507009873554804934193349852946")


def _ld(x):
    return np.asarray(x).astype(_LD)


def _neg(x):
    """x on the exponential side only (min(x, 0), NaN kept): the unused side never overflows."""
    return np.minimum(_ld(x), 0)


@dataclass(frozen=True)
class Activation:
    name: str
    forward: Callable  # elu_numba.<name>(x[, alpha], out=)
    grad: Callable  # elu_numba.<name>_grad(grad, x=|y=, [alpha=], out=)
    has_alpha: bool
    alphas: tuple  # alphas the tests sweep
    # reference(x, alpha) and derivative(x, alpha) in longdouble, from the definitions
    reference: Callable
    derivative: Callable
    # the NumPy formula of the reference articles, in the array's dtype
    numpy_formula: Callable

    def call(self, x, alpha=1.0, **kw):
        return self.forward(x, alpha, **kw) if self.has_alpha else self.forward(x, **kw)

    def call_grad(self, g, alpha=1.0, **kw):
        return self.grad(g, alpha=alpha, **kw) if self.has_alpha else self.grad(g, **kw)


def _where(x, pos, neg):
    return np.where(x > 0, pos, neg)


ACTIVATIONS = {
    a.name: a
    for a in [
        Activation(
            "elu",
            _api.elu,
            _api.elu_grad,
            True,
            (1.0, 0.5, 1.7, 3.0),
            lambda x, a: _where(_ld(x), _ld(x), _LD(a) * np.expm1(_neg(x))),
            lambda x, a: _where(_ld(x), _LD(1), _LD(a) * np.exp(_neg(x))),
            lambda x, a: np.where(x > 0, x, a * (np.exp(x) - 1)),
        ),
        Activation(
            "selu",
            _api.selu,
            _api.selu_grad,
            False,
            (1.0,),
            lambda x, a: _SS * _where(_ld(x), _ld(x), _SA * np.expm1(_neg(x))),
            lambda x, a: _SS * _where(_ld(x), _LD(1), _SA * np.exp(_neg(x))),
            lambda x, a: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * (np.exp(x) - 1)),
        ),
        Activation(
            "celu",
            _api.celu,
            _api.celu_grad,
            True,
            (1.0, 0.5, 1.7, 3.0),
            lambda x, a: _where(_ld(x), _ld(x), _LD(a) * np.expm1(_neg(x) / _LD(a))),
            lambda x, a: _where(_ld(x), _LD(1), np.exp(_neg(x) / _LD(a))),
            lambda x, a: np.where(x > 0, x, a * (np.exp(x / a) - 1)),
        ),
        Activation(
            "relu",
            _api.relu,
            _api.relu_grad,
            False,
            (1.0,),
            lambda x, a: np.where(_ld(x) < 0, _LD(0), _ld(x)),
            lambda x, a: np.where(np.isnan(_ld(x)), np.nan, _where(_ld(x), _LD(1), _LD(0))),
            lambda x, a: np.maximum(x, 0),
        ),
    ]
}
