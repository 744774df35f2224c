"""The gradient loop from x as it was before 2026-12-07 and as it is, side by side in one
process::

    python benchmarks/grad_ab.py [--rounds 41] [--alpha 1.7]

``elu_grad(g, x=x)`` runs ``_math.elu_grad_x_fast`` on the blocks whose x are in range.
Until 2026-12-07 that function selected grad where x > 0 (a compare and a blend) and, in
float32, repaired the sign of a zero product with a second select and evaluated exp with
the general kernels' polynomial of degree 5 (``_math._H32``).  Now, at alpha = 1, x > 0 is
computed as x = 0, which gives grad itself; the sign is or'ed in at every alpha; and float32
evaluates exp's own polynomial of degree 4 (``_math._H32_EXP``).  ``--alpha``: float32 at
that alpha, the loop with the alpha factor (which keeps the select of x > 0; float64's
did not change there).  This script rebuilds the old
function here (``old32``, ``old64``), puts each into the kernels' own loop
(``_cpu._binary``, out of place) next to the current one, and times both in alternating
rounds: serial on 4096 values (in L1) and parallel on 2^20 (in the cache), x uniform in
[-8, 3], grad normal.  Prints the medians and minima in ns per element, and whether both
give the same bits (float64: they must; float32: the polynomial differs).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from elu_numba import _cpu, _math
from elu_numba._math import _F32, fast_scaled, fma, from_bits, horner, scaled_exp, to_bits
from elu_numba._options import jitable


@jitable
def old64(g, x, alpha):
    neg = scaled_exp(x, None, np.float64(g), alpha, False, False)
    return np.float64(g) if x > 0 else neg


@jitable
def _old_exp32(x):
    """(2**k, expm1(r)) as ``_math.fast_exp32`` computed them until 2026-12-07 (``_H32``)."""
    K = _F32
    z = np.float32(x)
    t = fma(z, K[1], K[2])
    k = t - K[2]
    r = fma(k, -K[4], fma(k, -K[3], z))
    return from_bits(to_bits(t) << K[5], t), fma(r * r, horner(r, K[7]), r)  # K[7]: degree 5


@jitable
def old32(g, x, alpha):
    g = np.float32(g)
    s, e = _old_exp32(x)
    if alpha is None:
        gs = g * s
        neg = fma(gs, e, gs) if gs != 0 else gs
    else:
        a = np.float32(alpha)
        hi, lo = fast_scaled(a * s, e)
        neg = fma(g, hi, g * lo) if g != 0 else g * a
    return g if x > 0 else neg


def kernels(dtype: str, parallel: bool) -> dict:
    """The old and the current loop, out of place: ``f(g, x, out, alpha)`` (alpha None: 1;
    float64 changed only there)."""
    old = old32 if dtype == "float32" else old64
    fast = {"old": old, "now": _math.elu_grad_x_fast}
    return {
        name: _cpu._binary(_math.elu_grad_x, parallel, "out", fast=(f, _math.fast_grad_lo))
        for name, f in fast.items()
    }


def inputs(dtype: str, n: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(n).astype(dtype), rng.uniform(-8, 3, n).astype(dtype)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=41)
    ap.add_argument(
        "--alpha", type=float, help="float32 at this alpha (its loop with the alpha factor)"
    )
    ap.add_argument("--quick", action="store_true", help="small sizes and few calls (smoke)")
    args = ap.parse_args(argv)
    sizes = ((False, 4096, 2000), (True, 1 << 20, 20))
    if args.quick:
        sizes = ((False, 512, 2), (True, 1 << 15, 2))
    alpha = None if args.alpha is None else np.float32(args.alpha)
    for dtype in ("float32",) if alpha is not None else ("float32", "float64"):
        for parallel, n, reps in sizes:
            g, x = inputs(dtype, n)
            ks = kernels(dtype, parallel)
            outs = {}
            for name, k in ks.items():
                outs[name] = np.empty_like(x)
                k(g, x, outs[name], alpha)
            bits = f"i{x.itemsize}"
            same = np.array_equal(outs["old"].view(bits), outs["now"].view(bits))
            o = np.empty_like(x)
            res = {name: [] for name in ks}
            for _ in range(args.rounds):
                for name, k in ks.items():
                    t = time.perf_counter_ns()
                    for _ in range(reps):
                        k(g, x, o, alpha)
                    res[name].append((time.perf_counter_ns() - t) / reps / n)
            cells = "  ".join(
                f"{name}: median {np.median(v):.3f} min {np.min(v):.3f}" for name, v in res.items()
            )
            where = f"parallel {n}" if parallel else f"serial {n}"
            at = "" if alpha is None else f" alpha {args.alpha}"
            print(
                f"{dtype}{at} {where}  {cells}  ns/element  "
                f"({'same bits' if same else 'other bits'})",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
