"""A user's ``@njit`` loop over ``elu_numba.scalar``'s functions against the serial kernels::

    python benchmarks/scalar_loops.py [--n 4096] [--reps 2000] [--fn celu celu_grad_x ...]
                                      [--wrapper none|njit|always]

For each function, float32 and float64: a serial loop ``out[i] = scalar.celu(x[i], a)``
(``scalar.celu_grad_x(g[i], x[i], a)`` for a gradient; alpha 1.7 where there is one),
compiled here as a user's code would be, and the serial njit kernel that
``elu_numba.celu(x, 1.7, out=o)`` runs (``_cpu.loops(name, False, "out")``), on the same
``--n`` values (in L1 by default), x ~ N(0, 3).  Each side: ``--reps`` calls inside a
Python loop, best of 5 rounds, the two sides alternately; prints ns per element and the
user loop's time over the kernel's.  A loop LLVM leaves scalar (the function called
element by element, not inlined: float64 ``celu`` and ``celu_grad_x`` until 2026-12-07)
shows as several times the kernel's time.  ``--wrapper``: the loop calls the function
through a small ``@njit`` function of the user's, ``lambda a, b: f(a, b)``, compiled with
Numba's defaults (``njit``: LLVM inlines it or not by its size, which is the scalar
function's once that is inlined into it) or with ``inline="always"`` (``always``: inlined
in Numba's IR, so the loop calls the scalar function itself).
"""

from __future__ import annotations

import argparse
import sys
import time

import numba
import numpy as np

from elu_numba import _cpu, scalar


def takes_alpha(name: str) -> bool:
    """Whether ``scalar.<name>`` takes an alpha (ELU's and CELU's functions)."""
    return name.startswith(("elu", "celu"))


def user_loop(name: str, wrapper: str = "none"):
    """The loop a user writes over ``scalar.<name>``, called as ``loop(g, v, out, alpha)``:
    the function called in the loop itself, or through a wrapper (see ``--wrapper``)."""
    f = getattr(scalar, name)
    grad, alpha = "_grad_" in name, takes_alpha(name)
    if wrapper != "none":  # (Numba's IR inliner takes no *args)
        inner = f
        f = {
            1: lambda a: inner(a),
            2: lambda a, b: inner(a, b),
            3: lambda a, b, c: inner(a, b, c),
        }[1 + grad + alpha]
        f = numba.njit(inline="always" if wrapper == "always" else "never")(f)
    if grad and alpha:

        def loop(g, v, out, a):
            for i in range(v.size):
                out[i] = f(g[i], v[i], a)

    elif grad:

        def loop(g, v, out, a):
            for i in range(v.size):
                out[i] = f(g[i], v[i])

    elif alpha:

        def loop(g, v, out, a):
            for i in range(v.size):
                out[i] = f(v[i], a)

    else:

        def loop(g, v, out, a):
            for i in range(v.size):
                out[i] = f(v[i])

    return numba.njit(loop)


def sides(name: str, loop, dtype, n: int, rng) -> tuple[dict, np.ndarray]:
    """The user loop and the kernel on the same n values of dtype, and the array both
    write."""
    v = rng.normal(0.0, 3.0, n).astype(dtype)
    g, out = rng.normal(0.0, 1.0, n).astype(dtype), np.empty_like(v)
    a = dtype(1.7 if takes_alpha(name) else 1.0)
    k = _cpu.loops(name, False, "out")
    kargs = (g, v, out, a) if "_grad_" in name else (v, out, a)
    return {"user": lambda: loop(g, v, out, a), "kernel": lambda: k(*kargs)}, out


def best_ns(f, reps: int, n: int) -> float:
    t = time.perf_counter()
    for _ in range(reps):
        f()
    return (time.perf_counter() - t) / reps / n * 1e9


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=4096)
    p.add_argument("--reps", type=int, default=2000)
    p.add_argument("--fn", nargs="*", default=scalar.__all__)
    p.add_argument("--wrapper", choices=("none", "njit", "always"), default="none")
    args = p.parse_args(argv)
    rng = np.random.default_rng(0)
    print(f"{'function':12s} {'dtype':8s} {'user loop':>10s} {'kernel':>8s}  ns per element")
    for name in args.fn:
        loop = user_loop(name, args.wrapper)
        for dt in (np.float32, np.float64):
            calls, _ = sides(name, loop, dt, args.n, rng)
            for f in calls.values():
                f()
            best = dict.fromkeys(calls, float("inf"))
            for _ in range(5):
                for s, f in calls.items():
                    best[s] = min(best[s], best_ns(f, args.reps, args.n))
            u, k = best["user"], best["kernel"]
            print(f"{name:12s} {np.dtype(dt).name:8s} {u:10.3f} {k:8.3f}  {u / k:5.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
