"""Would the float32 alpha = 1 ELU loop gain by computing expm1 on the negative values only?
(README, Speed: the PyTorch row)::

    python benchmarks/compact.py [--reps 1000]

The kernels' loop evaluates expm1 on every lane and keeps x where x >= 0: on data that is
half negative, half of its arithmetic is thrown away.  This script tries the other way, by
blocks of 256 values as the kernels run: (1) *pack* -- each vector of 16 values stores its
negative values side by side into a small buffer (LLVM's ``llvm.experimental.vector.compress``,
one ``vcompressps`` on AVX-512, and a popcount of the mask to advance); (2) the kernels' own
``_math.elu`` on the packed values only, a loop LLVM vectorizes; (3) *unpack* -- each vector
takes its results back where x < 0 (``llvm.masked.expandload``, one ``vexpandps`` from
memory) and keeps x elsewhere (NaN and -0.0 included).  The bits are the kernels' (checked).

It prints ns per element and cycles per 16 values (at the clock of a chain of dependent
FMAs), serial in L1 (``--reps`` in-place passes over 4096 values inside one compiled call,
best of 5, three rounds alternating with the kernels' loop), on normal values (half
negative), on all-negative and on all-positive ones, and the two packing passes alone.
Needs LLVM 19 or later (llvmlite 0.45, Numba 0.62: the compress intrinsic is LLVM 19's)
and, on x86, a CPU with AVX-512F to compile for: for an AVX2 one (``NUMBA_CPU_NAME=haswell``
with its features, 2026-12-06) LLVM 22.1 (llvmlite 0.50) fails an assertion lowering the
compress ("Cannot create FP integer constant!") and aborts the process.  Elsewhere it says
so and exits.
"""

from __future__ import annotations

import argparse
import platform
import sys

import numba
import numpy as np
from llvmlite import binding as llvm
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic, register_jitable

import elu_numba
from elu_budget import best_passes, clock, kernel_passes  # as timed there
from elu_numba import _cpu, _math
from elu_numba._options import target_has

W = 16  # float32 lanes of a 512-bit vector
N = 4096  # values per pass (16 KiB: in L1)
BLOCK = _cpu.BLOCK
_F = ir.FloatType()
_VF, _VB = ir.VectorType(_F, W), ir.VectorType(ir.IntType(1), W)
_I16, _I64 = ir.IntType(16), ir.IntType(64)


def unsupported() -> str | None:
    """Why this LLVM, or the CPU Numba compiles for, cannot run the script, or None."""
    if llvm.llvm_version_info < (19,):  # an unknown intrinsic compiles to a call of address 0
        version = ".".join(map(str, llvm.llvm_version_info))
        return f"needs LLVM 19 or later (llvm.experimental.vector.compress), not {version}"
    if platform.machine().lower() in ("x86_64", "amd64") and not target_has("avx512f"):
        return "needs an x86-64 CPU with AVX-512F (LLVM aborts lowering the compress for others)"
    return None


def _call(builder, name, ret, *xs):
    fnty = ir.FunctionType(ret, [x.type for x in xs])
    return builder.call(cgutils.get_or_insert_function(builder.module, fnty, name), list(xs))


def _vector_at(context, builder, aryty, ary, i):
    """A pointer to the 16 float32 of ``ary`` from element ``i`` on."""
    a = context.make_array(aryty)(context, builder, ary)
    return builder.bitcast(builder.gep(a.data, [i]), _VF.as_pointer())


def _negative(builder, x):
    """The lanes where x < 0 (false for NaN and -0.0) and how many they are."""
    m = builder.fcmp_ordered("<", x, ir.Constant(_VF, [ir.Constant(_F, 0.0)] * W))
    return m, builder.zext(_call(builder, "llvm.ctpop.i16", _I16, builder.bitcast(m, _I16)), _I64)


@intrinsic
def pack16(typingctx, src, i, buf, n):
    """Store the negative values of src[i:i+16] side by side at buf[n]; the new n."""

    def codegen(context, builder, sig, args):
        x = builder.load(_vector_at(context, builder, sig.args[0], args[0], args[1]), align=4)
        m, count = _negative(builder, x)
        packed = _call(
            builder, "llvm.experimental.vector.compress.v16f32", _VF, x, m, ir.Constant(_VF, None)
        )
        builder.store(packed, _vector_at(context, builder, sig.args[2], args[2], args[3]), align=4)
        return builder.add(args[3], count)

    return types.int64(src, i, buf, n), codegen


@intrinsic
def unpack16(typingctx, dst, i, buf, n):
    """dst[i:i+16] takes the values at buf[n], in order, where it is negative; the new n."""

    def codegen(context, builder, sig, args):
        p = _vector_at(context, builder, sig.args[0], args[0], args[1])
        x = builder.load(p, align=4)
        m, count = _negative(builder, x)
        b = context.make_array(sig.args[2])(context, builder, args[2])
        q = builder.gep(b.data, [args[3]])
        builder.store(_call(builder, "llvm.masked.expandload.v16f32", _VF, q, m, x), p, align=4)
        return builder.add(args[3], count)

    return types.int64(dst, i, buf, n), codegen


@register_jitable
def _pack(xb, buf):
    """A block's negative values side by side at the start of buf; how many."""
    _cpu._inline_here()
    n = 0
    for j in range(BLOCK // W):
        n = pack16(xb, j * W, buf, n)
    return n


@register_jitable
def _unpack(xb, buf):
    """The block takes buf's values, in order, where it is negative."""
    _cpu._inline_here()
    n = 0
    for j in range(BLOCK // W):
        n = unpack16(xb, j * W, buf, n)


@numba.njit(error_model="numpy")
def compact_passes(x, reps):
    """reps in-place passes of the packed loop (float32 ELU, alpha = 1) over x."""
    buf = np.zeros(BLOCK + W, np.float32)
    for _ in range(reps):
        for b in range(x.size // BLOCK):
            _cpu._wide_vectors()
            xb = x[b * BLOCK : (b + 1) * BLOCK]
            n = _pack(xb, buf)
            # whole vectors (the lanes past n hold earlier negative values or zeros)
            for j in range((n + W - 1) // W * W):
                buf[j] = _cpu._frozen(_math.elu(buf[j], None))
            _unpack(xb, buf)


@numba.njit(error_model="numpy")
def pack_passes(x, reps):
    """The packing pass alone; the count of packed values comes back, so that LLVM keeps
    a pass that nothing else reads."""
    buf = np.zeros(BLOCK + W, np.float32)
    total = 0
    for _ in range(reps):
        for b in range(x.size // BLOCK):
            _cpu._wide_vectors()
            total += _pack(x[b * BLOCK : (b + 1) * BLOCK], buf)
    return total


@numba.njit(error_model="numpy")
def unpack_passes(x, reps):
    """The unpacking pass alone (x takes the buffer's zeros where it is negative)."""
    buf = np.zeros(BLOCK + W, np.float32)
    for _ in range(reps):
        for b in range(x.size // BLOCK):
            _cpu._wide_vectors()
            _unpack(x[b * BLOCK : (b + 1) * BLOCK], buf)


def inputs(n: int = N) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    mag = np.abs(rng.normal(0.0, 3.0, n)) + 1e-3
    return {
        "normal (half negative)": rng.normal(0.0, 3.0, n).astype(np.float32),
        "all negative": (-mag).astype(np.float32),
        "all positive": mag.astype(np.float32),
    }


def mismatches() -> int:
    """Values where the packed loop differs from ``elu_numba.elu`` in bits (each input, and
    the edge values padded to a block)."""
    edge = [0.0, -0.0, np.inf, -np.inf, np.nan, -np.nan, 1e-45, -1e-45, 3.0, -18.0, -17.5]
    cases = [*inputs().values(), np.resize(np.array(edge, np.float32), BLOCK)]
    bad = 0
    for x in cases:
        got = x.copy()
        compact_passes(got, 1)
        bad += int(np.count_nonzero(got.view(np.uint32) != elu_numba.elu(x).view(np.uint32)))
    return bad


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reps", type=int, default=1000, help="passes per timed call")
    args = p.parse_args(argv)
    why = unsupported()
    if why is not None:
        print(f"compact: {why}; nothing measured")
        return 0
    bad = mismatches()
    print(f"packed loop: {bad} values differ from elu_numba.elu's bits")
    if bad:
        return 1
    _, ghz = clock()
    runs = {
        "kernel loop": kernel_passes,
        "packed loop": compact_passes,
        "pack pass alone": pack_passes,
        "unpack pass alone": unpack_passes,
    }
    print(f"clock {ghz:.2f} GHz (dependent FMAs); serial in L1, best of 15 calls:")
    for label, x0 in inputs().items():
        print(f" {label}:")
        for name, ns in best_passes(runs, x0, args.reps).items():
            print(f"   {name:18s} {ns:.4f} ns per element  {ns * ghz * W:6.2f} cycles per 16")
    return 0


if __name__ == "__main__":
    sys.exit(main())
