"""What hand-written AVX-512 vector code would gain in the float32 alpha = 1 ELU loop (README,
Speed: the PyTorch row)::

    python benchmarks/vector_ir.py [--reps 1000] [--check-all]

``benchmarks/cpu_ports.py`` counts the loop's instructions against this CPU's pipes: 9
FMA-pipe operations per 16 values, and two cheaper forms that Numba's scalar code cannot
reach because LLVM writes them only from vector code: the last FMA ``s*e + (s - 1)`` as
``vscalefps(e, k) + (s - 1)`` with k as a float (8 FMA-pipe operations; LLVM's
``llvm.ldexp`` takes k as an integer and converts it first), and Estrin's scheme for h (a
shorter dependency chain, the same operations).  This script writes that loop body by hand,
16 values at a time, as LLVM IR vectors in a Numba intrinsic (``llvm.fma.v16f32``,
``llvm.smin.v16i32``, ``llvm.x86.avx512.mask.scalef.ps.512``): the operations of
``_math._expm1_unit`` and ``_math.elu``'s max for alpha = 1, in these variants:

* ``fma``, ``scalef``: Horner's rule for h (as the kernels), the last step as an FMA or as
  ``vscalefps`` + an addition.  Both give the kernels' bits (``s*e`` is exact: a power of
  2 times e, no underflow for x >= -18), checked on every negative float32 with
  ``--check-all``, else on every 4099th one and the edge values;
* ``... estrin``: h by Estrin's scheme.  Other roundings: not the kernels' bits (the
  exhaustive sweep gave 0.992 ULP at most instead of 0.947 with the ``fma`` form and
  Estrin, ``tools/ulp_sweep.py``, 2026-12-05), timed only;
* probes that drop one operation the result needs (the clamp, the final max, ``s - 1``):
  wrong results, timed only, to show which pipes bound the loop.

Each is timed serial in L1 (``--reps`` in-place passes over 4096 values inside one compiled
call, best of 5, three rounds alternating), next to the kernels' own block loop, in ns per
element and in cycles per 16 values at the clock of a chain of dependent FMAs.  Needs an
x86-64 CPU with AVX-512F; elsewhere it says so and exits.
"""

from __future__ import annotations

import argparse
import sys

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

import elu_numba
from elu_budget import best_passes, clock, kernel_passes  # as timed there
from elu_numba import _math
from elu_numba._options import target_has

W = 16  # float32 lanes of a 512-bit vector
N = 4096  # values per pass (16 KiB: in L1)
_F, _I = ir.FloatType(), ir.IntType(32)
_VF, _VI = ir.VectorType(_F, W), ir.VectorType(_I, W)
# the float32 constants of the kernels: the clamp's bits, log2(e), the magic sum, ln 2, h
_K = _math._F32
_LO_BITS, _LOG2E, _MAGIC, _LN2, _H = int(_K[6]), float(_K[1]), float(_K[2]), float(_K[3]), _K[13]
VARIANTS = {  # name: (h by Estrin's scheme, last step by vscalefps, operations dropped)
    "fma": (False, False, ()),
    "scalef": (False, True, ()),
    "fma estrin": (True, False, ()),
    "scalef estrin": (True, True, ()),
    "scalef estrin, no clamp (probe)": (True, True, ("clamp",)),
    "scalef estrin, no max (probe)": (True, True, ("max",)),
    "scalef estrin, no s - 1 (probe)": (True, True, ("s - 1",)),
    "fma estrin, no max (probe)": (True, False, ("max",)),
}
EXACT = ("fma", "scalef")  # the kernels' bits


def unsupported() -> str | None:
    """Why this machine cannot run the script, or None.  The CPU is the one Numba compiles
    for (``NUMBA_CPU_NAME`` / ``NUMBA_CPU_FEATURES`` too: LLVM aborts on an AVX-512
    intrinsic for a target without it)."""
    if not target_has("avx512f"):
        return "needs an x86-64 CPU with AVX-512F (vscalefps)"
    return None


def _splat(ty, v):
    return ir.Constant(ty, [ir.Constant(ty.element, v)] * ty.count)


def elu16(estrin: bool, scalef: bool, drop: tuple = ()):
    """An intrinsic ``f(src, dst, i)``: dst[i:i+16] = ELU (alpha = 1) of src[i:i+16]."""

    @intrinsic
    def body(typingctx, src, dst, i):
        def codegen(context, builder, sig, args):
            a = context.make_array(sig.args[0])(context, builder, args[0])
            o = context.make_array(sig.args[1])(context, builder, args[1])
            mod = builder.module

            def call(name, argtys, *xs):
                fnty = ir.FunctionType(argtys[0], list(argtys))
                return builder.call(cgutils.get_or_insert_function(mod, fnty, name), list(xs))

            def fma(p, q, r):
                return call("llvm.fma.v16f32", (_VF, _VF, _VF), p, q, r)

            c = [_splat(_VF, float(v)) for v in _H]
            ptr = builder.bitcast(builder.gep(a.data, [args[2]]), _VF.as_pointer())
            x = builder.load(ptr, align=4)
            z = x  # _math._reduce_parts: the clamp to [-18, 0] as an integer min on the bits
            if "clamp" not in drop:
                zb = call(
                    "llvm.smin.v16i32", (_VI, _VI), builder.bitcast(x, _VI), _splat(_VI, _LO_BITS)
                )
                z = builder.bitcast(zb, _VF)
            t = fma(z, _splat(_VF, _LOG2E), _splat(_VF, _MAGIC))
            k = builder.fsub(t, _splat(_VF, _MAGIC))
            r = fma(k, _splat(_VF, -_LN2), z)
            s = builder.bitcast(builder.shl(builder.bitcast(t, _VI), _splat(_VI, 23)), _VF)
            r2 = builder.fmul(r, r)
            if estrin:
                h = fma(r2, fma(r2, c[4], fma(c[3], r, c[2])), fma(c[1], r, c[0]))
            else:  # _math._horner5
                h = fma(fma(fma(fma(c[4], r, c[3]), r, c[2]), r, c[1]), r, c[0])
            e = fma(r2, h, r)
            sm1 = x if "s - 1" in drop else builder.fsub(s, _splat(_VF, 1.0))
            if scalef:  # e * 2**k (k as a float), all lanes, current rounding mode
                mask, rounding = ir.Constant(ir.IntType(16), -1), ir.Constant(_I, 4)
                tys = (_VF, _VF, _VF, ir.IntType(16), _I)
                se = call(
                    "llvm.x86.avx512.mask.scalef.ps.512", tys, e, k, _VF(None), mask, rounding
                )
                res = builder.fadd(se, sm1)
            else:
                res = fma(s, e, sm1)
            if "max" not in drop:  # _math.elu: neg if neg > v else v (a vmaxps)
                res = builder.select(builder.fcmp_ordered(">", res, x), res, x)
            # frozen, as _cpu._frozen: whole-vector stores, not masked ones, in place
            res_f = ir.instructions.Instruction(builder.block, _VF, "freeze", [res])
            builder._insert(res_f)
            builder.store(
                res_f, builder.bitcast(builder.gep(o.data, [args[2]]), _VF.as_pointer()), align=4
            )
            return context.get_dummy_value()

        return types.void(src, dst, i), codegen

    return body


def passes(body):
    """Compiled ``f(x, reps)``: reps in-place passes over x by 16 values (x.size % 16 == 0)."""

    @numba.njit(error_model="numpy")
    def run(x, reps):
        for _ in range(reps):
            for i in range(0, x.size, W):
                body(x, x, i)

    return run


def check_inputs(every: int, chunk: int = 1 << 24):
    """Chunks of every ``every``-th negative float32 (all of them for 1), then the edge
    values, each padded with NaN to a multiple of 16."""
    edge = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan, 1e-45, 3.0, -18.0, -17.5])
    step = chunk * every
    for lo in range(0x8000_0000, 0x1_0000_0000, step):
        hi = min(lo + step, 0x1_0000_0000)
        bits = np.arange(lo, hi, every, dtype=np.int64).astype(np.uint32)
        yield _padded(bits.view(np.float32))
    yield _padded(edge.astype(np.float32))


def _padded(x: np.ndarray) -> np.ndarray:
    return np.concatenate([x, np.full(-x.size % W, np.nan, np.float32)])


def mismatches(run, every: int) -> int:
    """Values where ``run`` (one pass) differs from ``elu_numba.elu(x)`` in bits."""
    bad = 0
    for x in check_inputs(every):
        got = x.copy()
        run(got, 1)
        want = elu_numba.elu(x)
        bad += int(np.count_nonzero(got.view(np.uint32) != want.view(np.uint32)))
    return bad


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reps", type=int, default=1000, help="passes per timed call")
    p.add_argument("--check-all", action="store_true", help="every negative float32")
    args = p.parse_args(argv)
    why = unsupported()
    if why is not None:
        print(f"vector_ir: {why}; nothing measured")
        return 0
    runs = {"kernel loop (as compiled)": kernel_passes}
    runs.update({name: passes(elu16(*spec)) for name, spec in VARIANTS.items()})
    every = 1 if args.check_all else 4099
    for name in EXACT:
        bad = mismatches(runs[name], every)
        which = "every negative float32" if every == 1 else f"every {every}th negative float32"
        print(f"{name}: {bad} values differ from elu_numba.elu's bits ({which} and the edges)")
        if bad:
            return 1
    _, ghz = clock()
    x0 = np.random.default_rng(0).normal(0.0, 3.0, N).astype(np.float32)
    best = best_passes(runs, x0, args.reps)
    print(f"clock {ghz:.2f} GHz (dependent FMAs); serial in L1, best of 15 calls:")
    for name, ns in best.items():
        print(f"   {name:34s} {ns:.4f} ns per element  {ns * ghz * W:5.2f} cycles per 16")
    return 0


if __name__ == "__main__":
    sys.exit(main())
