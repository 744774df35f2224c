"""The compute floor of ELU on this machine: why the memory limit is out of reach on 2 cores.

    python benchmarks/floor.py [--rounds 15] [--log2n 26] [--md out.md]

Times, side by side in alternating rounds, on float32 in place (``harness.interleaved``):

* the memory limit (in-place scale of the same array);
* a *floor* loop: the cheapest vectorizable float32 ELU we know -- 8 lanes, everything in
  float32, clamp + magic-constant rounding + one-constant ln 2 reduction + degree-4 Horner
  polynomial + 2**k from the bits, no double-float step, no care for alpha's rounding.  It
  is NOT accurate enough for the library (its max error is printed) and exists only to
  measure how much arithmetic alone costs here;
* ``elu_numba.elu(x, out=x)``, the accurate kernel;

with every thread and with one thread.  When the floor loop itself is several times the
memory limit, the loop is compute-bound and no accurate version can reach the limit.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numba
import numpy as np
from llvmlite import ir
from numba import prange, types
from numba.extending import intrinsic

import _harness as h
import elu_numba
from elu_numba._options import kernel

F = np.float32
_LOG2E, _MAGIC, _LN2 = F(1.442695), F(12582912.0), F(0.6931472)  # magic: 1.5 * 2**23
_ONE_BITS = np.int32(0x3F800000)
_MAGIC_BITS = np.int32(0x4B400000)


@intrinsic
def _f32_bits(typingctx, x):
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(32))

    return types.int32(types.float32), codegen


@intrinsic
def _bits_f32(typingctx, i):
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.FloatType())

    return types.float32(types.int32), codegen


@kernel(True)
def floor_elu(x, alpha):
    """The floor loop (float32 only, in place)."""
    for i in prange(x.size):
        v = x[i]
        z = F(0.0) if v > F(0.0) else v
        z = F(-18.0) if z < F(-18.0) else z
        t = z * _LOG2E + _MAGIC
        k = t - _MAGIC
        r = z - k * _LN2
        h = F(1 / 120) + r * F(1 / 720)
        h = F(1 / 24) + r * h
        h = F(1 / 6) + r * h
        h = F(0.5) + r * h
        s = _bits_f32(((_f32_bits(t) - _MAGIC_BITS) << 23) + _ONE_BITS)
        e = s * (r + r * r * h) + (s - F(1.0))
        x[i] = v if v >= F(0.0) else alpha * e


def _build_floor(case: h.Case) -> h.Built:
    return h.Built(floor_elu, extra=(F(h.ALPHA),))


FLOOR = h.Impl("floor", "floor loop (float32, inaccurate)", "floor", "function", _build_floor)


def max_ulp_error(n: int = 1 << 22) -> float:
    """The floor loop's max error in float32 ULP on n values in [-18, 0] (vs float64 expm1)."""
    x = np.linspace(-18.0, 0.0, n, dtype=np.float32)
    want = np.expm1(x.astype(np.float64))
    got = x.copy()
    floor_elu(got, F(1.0))
    ulp = np.spacing(np.abs(want).astype(np.float32)).astype(np.float64)
    return float(np.max(np.abs(got - want) / ulp))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--log2n", type=int, default=26)
    ap.add_argument("--md", help="write the markdown table here")
    args = ap.parse_args(argv)
    case = h.Case(h.find_function("elu"), np.dtype(np.float32), args.log2n, True)
    settings = h.Settings()
    benches = [h.Bench(case, impl, settings) for impl in (h.LIMIT, FLOOR, h.PUBLIC)]
    for b in benches[::2]:
        b.verify()
    lines = [
        f"float32 ELU in place, 2^{args.log2n} elements, median of {args.rounds} rounds "
        f"({h.cpu_model()}, numba {numba.__version__}, elu_numba {elu_numba.__version__})",
        "",
        "| threads | memory limit | floor loop | elu_numba | floor / limit | elu_numba / limit |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    threads = numba.get_num_threads()
    for nt in sorted({threads, 1}, reverse=True):
        numba.set_num_threads(nt)
        limit, floor, ours = (float(np.median(t)) for t in h.interleaved(benches, args.rounds))
        lines.append(
            f"| {nt} | {limit * 1e3:.1f} ms | {floor * 1e3:.1f} ms | {ours * 1e3:.1f} ms "
            f"| {floor / limit:.2f} | {ours / limit:.2f} |"
        )
    numba.set_num_threads(threads)
    lines += ["", f"floor loop max error: {max_ulp_error():.1f} ULP (elu_numba: <= 1 ULP)"]
    md = "\n".join(lines)
    print(md)
    if args.md:
        Path(args.md).write_text(md + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
