"""The gradient ufuncs against the njit functions, on the same arrays::

    python benchmarks/ufunc_grad.py [--log2n 24] [--rounds 11] [--activations]

``ufuncs.elu_grad_x(g, x, alpha)`` and friends against ``elu_numba.elu_grad(g, x=x,
alpha=alpha)``, and the gradient from y as a contrast (no fast loop), out of place into a
preallocated array, float32 (2^log2n values) and float64 (half as many: the same bytes),
alpha 1 and 1.7; ``x`` from N(0, 2), ``g`` from N(0, 1), ``y = elu(x, alpha)``.  The calls
are timed in alternating rounds after a warm-up call each, so that a noisy machine moves
them alike; prints the median ms per call and ufunc / function.  ``--activations``: the
activations with an alpha too, ``ufuncs.elu(x, alpha)`` against ``elu_numba.elu(x, alpha)``
and the same for CELU (whose float64 ufunc ran its math element by element at alpha != 1
until 2026-12-07, unseen: the benchmark suite ran CELU at alpha 1, ELU's kernel, until then).
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

import elu_numba as en
from elu_numba import ufuncs


def calls(g, x, y, out, alpha, activations=False) -> dict:
    a = x.dtype.type(alpha)
    act = {
        "elu(x)": lambda: en.elu(x, alpha, out=out),
        "ufuncs.elu": lambda: ufuncs.elu(x, a, out=out),
        "celu(x)": lambda: en.celu(x, alpha, out=out),
        "ufuncs.celu": lambda: ufuncs.celu(x, a, out=out),
    }
    return {
        **(act if activations else {}),
        "elu_grad(g, x=x)": lambda: en.elu_grad(g, x=x, alpha=alpha, out=out),
        "ufuncs.elu_grad_x": lambda: ufuncs.elu_grad_x(g, x, a, out=out),
        "celu_grad(g, x=x)": lambda: en.celu_grad(g, x=x, alpha=alpha, out=out),
        "ufuncs.celu_grad_x": lambda: ufuncs.celu_grad_x(g, x, a, out=out),
        "elu_grad(g, y=y)": lambda: en.elu_grad(g, y=y, alpha=alpha, out=out),
        "ufuncs.elu_grad_y": lambda: ufuncs.elu_grad_y(g, y, a, out=out),
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--log2n", type=int, default=24)
    p.add_argument("--rounds", type=int, default=11)
    p.add_argument("--activations", action="store_true")
    args = p.parse_args(argv)
    rng = np.random.default_rng(0)
    for dtype, n in ((np.float32, 1 << args.log2n), (np.float64, 1 << (args.log2n - 1))):
        x = rng.normal(0.0, 2.0, n).astype(dtype)
        g = rng.normal(0.0, 1.0, n).astype(dtype)
        out = np.empty_like(g)
        for alpha in (1.0, 1.7):
            fns = calls(g, x, en.elu(x, alpha), out, alpha, args.activations)
            for f in fns.values():
                f()
            times: dict[str, list[float]] = {k: [] for k in fns}
            with np.errstate(invalid="ignore"):
                for _ in range(args.rounds):
                    for k, f in fns.items():
                        t = time.perf_counter()
                        f()
                        times[k].append(time.perf_counter() - t)
            med = {k: float(np.median(v)) for k, v in times.items()}
            print(f"{np.dtype(dtype).name} {n} values, alpha {alpha}: ms per call (median)")
            names = list(med)
            for fn_key, u_key in zip(names[::2], names[1::2], strict=True):
                f_ms, u_ms = med[fn_key] * 1e3, med[u_key] * 1e3
                print(f"  {fn_key:20s} {f_ms:8.3f}  {u_key:20s} {u_ms:8.3f}  {u_ms / f_ms:5.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
