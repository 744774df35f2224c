"""What a whole API call costs on small arrays, where Python's work is most of it::

    python benchmarks/api_cost.py [--number 200000] [--repeat 9]

Times six common calls on 64 values (float32 unless named; 8x8 float64 for ``selu``) and
four others: Fortran order (the fast path since 2026-12-06), a Python float, a list and a
strided view (the general path), each ``timeit``'s best of ``--repeat`` loops of
``--number`` calls, in microseconds per call: the API's own cost plus a kernel that takes
about 0.35 us.  Last, where PyTorch is installed, its ``F.elu_`` and ``F.elu`` on the same
64 float32 values, for scale.  Run it on two commits alternately (``PYTHONPATH=<worktree>/src``)
to compare them; ``elu_budget.py`` splits the same cost into the kernel and the rest.
"""

from __future__ import annotations

import argparse
import sys
import timeit

import numpy as np

import elu_numba as en


def calls() -> dict:
    """The calls, by the text that names them; each run once (compiled and warm)."""
    rng = np.random.default_rng(0)
    x = rng.normal(0.0, 3.0, 64).astype(np.float32)
    g, y, o = x.copy(), en.elu(x), np.empty_like(x)
    x2 = rng.normal(0.0, 3.0, (8, 8))
    xf, x64 = np.asfortranarray(x2), x2.reshape(-1)
    values = x64[:8].tolist()
    cases = {
        "elu(x, out=x)": lambda: en.elu(x, out=x),
        "elu(x)": lambda: en.elu(x),
        "elu(x, 1.7, out=x)": lambda: en.elu(x, 1.7, out=x),
        "elu_grad(g, y=y, out=g)": lambda: en.elu_grad(g, y=y, out=g),
        "elu_grad(g, x=x, alpha=1.7, out=o)": lambda: en.elu_grad(g, x=x, alpha=1.7, out=o),
        "selu(x) float64 8x8": lambda: en.selu(x2),
        # Fortran order, then the general path
        "elu(x) float64 8x8 F order": lambda: en.elu(xf),
        "elu(-1.5)": lambda: en.elu(-1.5),
        "elu(list of 8)": lambda: en.elu(values),
        "elu(x[::2]) float64": lambda: en.elu(x64[::2]),
    }
    try:
        from torch import from_numpy
        from torch.nn import functional
    except ImportError:
        functional = None
    if functional is not None:
        t = from_numpy(x.copy())
        cases["PyTorch F.elu_(t)"] = lambda: functional.elu_(t)
        cases["PyTorch F.elu(t)"] = lambda: functional.elu(t)
    for f in cases.values():
        f()
    return cases


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--number", type=int, default=200_000)
    p.add_argument("--repeat", type=int, default=9)
    args = p.parse_args(argv)
    for name, f in calls().items():
        best = min(timeit.repeat(f, number=args.number, repeat=args.repeat))
        print(f"{name:28s} {best / args.number * 1e6:.3f} us")
    return 0


if __name__ == "__main__":
    sys.exit(main())
