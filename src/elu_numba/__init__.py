"""elu_numba: Numba kernels for the ELU family of activations (ELU, SELU, CELU) and their
gradients, with ReLU as the baseline.

>>> import numpy as np, elu_numba as en
>>> en.elu(np.array([-1.0, 0.0, 2.0]))
array([-0.63212056,  0.        ,  2.        ])
>>> x = np.linspace(-2, 2, 5, dtype=np.float32)
>>> y = en.selu(x, out=x)                      # in place: returns x
>>> y is x, x.dtype
(True, dtype('float32'))

Submodules: :mod:`elu_numba.ufuncs` (real NumPy ufuncs), :mod:`elu_numba.scalar` (scalar
functions for your own ``@njit`` code), :mod:`elu_numba.cuda` (GPU arrays, optional).
Importing the package compiles nothing; kernels compile per dtype on first use and are
cached on disk.
"""

from ._api import celu, celu_grad, elu, elu_grad, relu, relu_grad, selu, selu_grad
from ._math import SELU_ALPHA, SELU_SCALE, SELU_SCALE_ALPHA

__version__ = "0.1.0"

__all__ = [
    "SELU_ALPHA",
    "SELU_SCALE",
    "SELU_SCALE_ALPHA",
    "celu",
    "celu_grad",
    "elu",
    "elu_grad",
    "relu",
    "relu_grad",
    "selu",
    "selu_grad",
]
