"""The one place that sets Numba options for every kernel in elu_numba.

* ``FASTMATH`` keeps IEEE semantics: only ``contract`` (fuse a*b+c into one FMA).  Full
  ``fastmath=True`` would assume no NaN/inf and reassociate, which breaks NaN propagation and
  the rounding tricks in :mod:`elu_numba._math`.
* ``cache=True`` everywhere: the second process loads machine code from ``__pycache__``.
* Nothing is compiled at import: dispatchers compile per dtype on first call.
"""

from __future__ import annotations

import numba
from numba.extending import register_jitable

FASTMATH = frozenset({"contract"})
CACHE = True


def jitable(fn):
    """A scalar building block callable from any Numba target (CPU, ``@vectorize``, CUDA)."""
    return register_jitable(fastmath=set(FASTMATH), inline="always")(fn)


def kernel(parallel: bool):
    """Decorator for an array loop: ``parallel=True`` gives a ``prange`` loop on all threads."""

    def wrap(fn):
        return numba.njit(
            parallel=parallel, fastmath=set(FASTMATH), cache=CACHE, nogil=True, error_model="numpy"
        )(fn)

    return wrap


def ufunc(signatures):
    """Decorator for a real ``numpy.ufunc`` built with ``@vectorize`` (compiled on creation)."""
    return numba.vectorize(signatures, fastmath=set(FASTMATH), cache=CACHE, nopython=True)


def scalar_jit(fn):
    """A public scalar function: callable from Python and from a user's ``@njit`` code."""
    return numba.njit(fastmath=set(FASTMATH), cache=CACHE, nogil=True)(fn)
