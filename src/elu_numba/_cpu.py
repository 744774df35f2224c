"""CPU loops: serial and parallel njit kernels per function, built from :mod:`._math`.

The kernels trust their inputs: 1-D contiguous arrays of equal length, float32 or float64.
:mod:`elu_numba._api` validates and reshapes before calling them.  Each loop stores a value
chosen by a select, never a conditional store, so LLVM turns the body into packed AVX2
arithmetic.  In-place calls get their own loops: when an output aliases an input, LLVM's
runtime overlap check would send the out-of-place loop down its scalar fallback.

``loops(name, parallel, mode)`` returns the kernel; ``mode`` says where the result goes:

* ``"out"``: into a separate array -- ``f(x, out, alpha)`` / ``f(g, v, out, alpha)``;
* ``"inplace"``: into the first argument -- ``f(x, alpha)`` / ``f(g, v, alpha)``, out is g;
* ``"inplace_v"`` (gradients only): into the second -- ``f(g, v, alpha)``, out is v.

``ufunc_loop(fn, nin, dtype)`` is the inner loop of a :mod:`elu_numba.ufuncs` ufunc: NumPy
calls it with pointers and byte strides.  Numba's own ``@vectorize`` loop is vectorized only
when every stride is the item size, so ``ufuncs.elu(x, 1.0)`` -- alpha broadcast, stride 0 --
ran its scalar loop, 20x slower.  Here the common layouts get vectorized loops: every
operand contiguous, or all but the last input contiguous and the last (alpha) broadcast;
each with an in-place variant (out is the first input: LLVM's overlap check would otherwise
send it down its scalar fallback); ``elu`` and ``celu`` with alpha broadcast and equal to 1
run their alpha = 1 kernel instead, as the njit API does, and so do ``elu_grad_x`` and
``celu_grad_x``.  The gradients' contiguous loops run the kernels' blocks
(``_ufunc_grad_loop``: the fast float32 loop included), so they give the kernels' bits.
Any other layout runs a strided scalar loop.  NumPy calls an entry loop (``dispatch_loop``,
one per arity, parallel size and item size) with the dtype's loop as its ``data``: below the
kernel's parallel size for that dtype (``parallel_from``, as the API) it calls that loop
once, from it the loop runs on chunks of UFUNC_CHUNK elements in a prange, so the ufuncs
use every core like the njit kernels.
"""

from __future__ import annotations

import platform
import sys
from functools import cache

import numpy as np
from llvmlite import ir
from numba import carray, prange, types
from numba.core import cgutils
from numba.extending import intrinsic, overload, register_jitable

from . import _math
from ._options import FASTMATH, jitable, kernel, target_has, ufunc_loop_cfunc

# From how many elements on the API runs a kernel's parallel loop (and its ufunc its chunked
# one): ``PARALLEL_FROM[name]``, (float32 and float16, float64), at most
# PARALLEL_THRESHOLD, from which on every kernel runs in parallel.  Measured with ``python
# benchmarks/bench_crossover.py --sizes 11-17 --kernels ...`` (2 cores, AMD EPYC znver4, omp
# layer, 2026-12-06, 03:19 UTC; the kernels at alpha 1.0, data from memory, back to back):
# parallel over serial at 2^11 .. 2^16, float64 elu_grad_x 0.91 0.77 0.70 0.62 0.54 0.54,
# celu_grad_x 0.92 0.77 0.67 0.62 0.59 0.59, elu 1.22 1.06 0.84 0.70 0.62 0.57, celu 1.77
# 1.16 0.85 0.69 0.59 0.55, selu 1.09 0.89 0.76 0.64 0.57 0.58, celu_grad_y 1.02 0.85 0.71
# 0.64 0.58 0.57, elu_grad_y 1.31 1.18 0.99 0.97 0.96 0.86; float32 elu_grad_x 1.33 1.10
# 1.00 0.80 0.71 0.63, selu_grad_x 1.30 0.99 0.86 0.69 0.61 0.62, elu 1.94 1.31 1.16 0.85
# 0.69 0.60, celu 3.57 2.13 1.52 1.11 0.81 0.65, elu_grad_y 1.56 1.32 1.16 1.05 0.95 0.90,
# celu_grad_y 1.38 1.21 1.07 1.02 0.95 0.92.  Back to back, OpenMP's second thread is still
# spinning; after the main thread has worked alone for 5 ms it has to be woken first:
# ``python benchmarks/crossover_gap.py --gap busy`` (two runs, 03:20 UTC), float64
# ``elu_grad(g, x=x)`` serial / parallel medians 21 / 20-23 us at 2^13, 27-42 / 26-37 at
# 2^14, 50-87 / 32-77 at 2^15 (back to back, ``--gap none``: 16 / 11-12 at 2^14).  After
# the process slept 10 ms (``--gap idle``) every call starts cold on this VM and the
# parallel one 40-60 us later, at 2^15 as at 2^13-2^14: the old threshold took that risk
# too.  So the float64 activations and gradients from x, the costliest loops per element,
# switch at 2^14, where they tie after a gap and gain about 30% back to back; the float32
# ones (0.80-1.11 at 2^14 back to back: less than a wake-up costs), ReLU's and the
# gradients from y (their loops wait for memory) at 2^15, as every kernel did until
# 2026-12-06 (measured 2026-11-23 on float32 elu and elu_grad_y).
PARALLEL_THRESHOLD = 1 << 15
_EVERY_SIZE = (PARALLEL_THRESHOLD, PARALLEL_THRESHOLD)
_FLOAT64_EARLIER = (PARALLEL_THRESHOLD, 1 << 14)
PARALLEL_FROM: dict[str, tuple[int, int]] = {
    name: _FLOAT64_EARLIER
    for name in ("elu", "selu", "celu", "elu_grad_x", "selu_grad_x", "celu_grad_x")
}


def parallel_from(name: str, itemsize: int) -> int:
    """The size from which on the API runs kernel ``name`` in parallel, for elements of
    ``itemsize`` bytes: PARALLEL_FROM's, else PARALLEL_THRESHOLD (float16 takes float32's)."""
    return PARALLEL_FROM.get(name, _EVERY_SIZE)[itemsize == 8]


# ``x`` itself, through LLVM's ``freeze``: no instruction, but LLVM no longer sees
# what it is.  An in-place loop ``a[i] = x if x >= 0 else f(x)`` stores ``x`` back where
# it came from; LLVM drops those lanes of the store and vectorizes it as a masked store
# (``vmaskmovps``), which on AMD Zen 3 is 42 micro-ops with a throughput of one per 12
# cycles (``llvm-mca -mcpu=znver3``): it doubled the time of an in-place loop over 2^26
# float32 values (``python benchmarks/masked_store.py``).  Storing ``_frozen(f(...))``
# makes every in-place loop store whole vectors.  (Freezing the loaded value instead would
# also work, but then LLVM knows the input is not poison and folds the clamps in
# ``_math._expm1_parts`` into compares and blends again.)
_frozen = _math._freeze


# Every loop runs over blocks of BLOCK elements (then the remainder): an inner loop of a
# constant trip count, which LLVM unrolls into independent vector chains.  On 2^26 float32 /
# 2^25 float64 values in place (AMD EPYC Zen 3, 2 cores, 2026-12-01) the parallel loops
# take 13-18% less time than a prange over the elements; serial ones are within +-5%.
BLOCK = 256


# Every block first asks for the cache lines AHEAD bytes further on (one x86
# ``prefetchw``/``prefetcht0`` per 64-byte line of the block; a hint: it changes no result
# and never faults, even past the end of the array).  On the Intel Xeon VM of 2026-12-02
# (2 cores, AVX-512) the hardware prefetcher barely helps a loop with this much arithmetic
# per cache line: the float32 ELU loop over 2^26 values in place took 41 ms with 2 threads,
# 4x an in-place scale in the same loop (10.7 ms), though in L2 its arithmetic alone takes
# 0.26 ns per element (17 ms for 2^26 on one core).  With the prefetch it takes 12.4 ms;
# float64 (2^25) 68 -> 17 ms.  ``python benchmarks/prefetch.py`` measured the distance:
# 0, 1024, 2048 and 4096 bytes gave 12.7 / 12.4 / 12.5 / 14.5 ms (float32) and 23.4 / 16.7 /
# 18.0 / 21.2 ms (float64); the cheap elu_grad_y loop, which the hardware prefetcher keeps
# fed, is within 5% of no prefetch at 0 and 1024 bytes.
AHEAD = 1024
_LINE = 64

# The cheap gradients (from y, ReLU's: ``_plain_binary``) ask for nothing ahead: the
# hardware prefetcher keeps their loops fed.  On the Intel Xeon VM of 2026-12-02
# ``elu_grad_y`` was within 5% of no prefetch at 0 and 1024 bytes; on the AMD EPYC Zen 3 VM
# (2026-12-07, ``python benchmarks/prefetch.py --rounds 9 --ahead none 1024``, in place)
# the prefetch cost 10-33%: 22.3 ms without it against 25.9 on 2^26 float32 values with
# two threads, 37.9 against 42.9 with one; float64 (2^25) 21.2 against 23.2 and 33.8
# against 44.8.  (There the in-place scale, too, ran faster without it, 14.1 against 15.1
# ms, and ELU at alpha = 1 slower, 16.4 against 15.2.)
CHEAP_AHEAD = None


def _prefetcher(write: bool):
    """An intrinsic ``f(arr, start, ahead)`` that prefetches, for a write or a read, the
    cache lines of the BLOCK elements' bytes that begin ``ahead`` bytes after ``arr[start]``
    (they may lie past the end of the array); ``ahead=None`` prefetches nothing."""

    @intrinsic
    def prefetch(typingctx, arr, start, ahead):
        if not (
            isinstance(arr, types.Array)
            and isinstance(start, types.Integer)
            and (isinstance(ahead, types.Integer) or ahead == types.none)
        ):
            return None

        def codegen(context, builder, signature, args):
            aryty, _, aheadty = signature.args
            if aheadty == types.none:
                return context.get_dummy_value()
            ary = context.make_array(aryty)(context, builder, args[0])
            i8p, i32, i64 = ir.IntType(8).as_pointer(), ir.IntType(32), ir.IntType(64)
            # plain (not inbounds) GEPs: the address may lie past the array
            base = builder.bitcast(builder.gep(ary.data, [args[1]]), i8p)
            base = builder.gep(base, [context.cast(builder, args[2], aheadty, types.intp)])
            fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
            fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0i8")
            # rw, locality 3 (keep in every cache level), data cache
            flags = [ir.Constant(i32, int(write)), ir.Constant(i32, 3), ir.Constant(i32, 1)]
            nbytes = BLOCK * context.get_abi_sizeof(context.get_data_type(aryty.dtype))
            for off in range(0, nbytes, _LINE):
                builder.call(fn, [builder.gep(base, [ir.Constant(i64, off)])] + flags)
            return context.get_dummy_value()

        return types.void(arr, start, ahead), codegen

    return prefetch


_fetch_w, _fetch_r = _prefetcher(True), _prefetcher(False)


# The loops ask LLVM for vectors of up to VECTOR_BITS bits (the function attribute
# ``prefer-vector-width``).  LLVM's own choice on Intel CPUs with AVX-512 is 256 bits (its
# tuning for Skylake-SP and later, where 512-bit code used to lower the clock); on the
# Intel Xeon VM of 2026-12-02 (2 cores, AVX-512) 512-bit loops took, against the in-place
# scale (``python benchmarks/targets.py --rounds 15``): float32 ELU in place over 2^26
# values 1.06x instead of 1.18x, float64 over 2^25 1.24x instead of 1.70x -- the float64 loop
# is compute-bound at 256 bits.  On a CPU without AVX-512 the attribute changes nothing (the
# widest vector is then 256 bits); LLVM already picks 512 bits for AMD Zen 4.
VECTOR_BITS = 512


@intrinsic
def _wide_vectors(typingctx):
    """Mark the function this is compiled into with ``"prefer-vector-width"=VECTOR_BITS``
    (inside a prange: the outlined loop body).  No instruction.  A helper with loops of its
    own (``_block_out`` and the others) calls it too, even when it is inlined: Numba
    compiles and optimizes each helper in a module of its own first, where LLVM vectorizes
    its loops at its default width, and inlining does not widen them again (the gradient
    ufuncs' block loops were 256 bits wide on AVX-512 until 2026-12-07)."""

    def codegen(context, builder, signature, args):
        # llvmlite's AttributeSet accepts only enum attributes by name; a string attribute
        # is written as is into the function's definition.
        set.add(builder.function.attributes, f'"prefer-vector-width"="{VECTOR_BITS}"')
        return context.get_dummy_value()

    return types.void(), codegen


@intrinsic
def _no_unroll(typingctx, a):
    """Keep LLVM from unrolling the loop this is called in, for a float64 array ``a`` (for
    float32, nothing): a call of ``llvm.sideeffect`` (no instruction) marked
    ``noduplicate``, which the vectorizer accepts and the unroller does not copy.  LLVM
    unrolled the gradients' block loops twice over (two vectors per pass), and the
    constants of the float64 exp no longer fit in the registers: the loop of
    ``elu_grad(g, x=x)`` reloaded 16 of them per pass and moved 10 registers.  One vector
    per pass takes 5-10% less time in L1 for the float64 gradients from x (README, How it
    works); float32 loops, whose constants fit, gained 0-7% or lost up to 9%, and ELU's
    float32 loop (unrolled 4 times) lost 16%: they stay as LLVM makes them."""
    if not isinstance(a, types.Array):
        return None
    mark = a.dtype == types.float64

    def codegen(context, builder, signature, args):
        if mark:
            fn = cgutils.get_or_insert_function(
                builder.module, ir.FunctionType(ir.VoidType(), []), "llvm.sideeffect"
            )
            # not among llvmlite's call attributes: added as is, like _wide_vectors' one
            set.add(builder.call(fn, []).attributes, "noduplicate")
        return context.get_dummy_value()

    return types.void(a), codegen


@intrinsic
def _inline_here(typingctx):
    """Mark the function this is compiled into ``alwaysinline`` for LLVM: a block helper
    called from a loop, which LLVM's cost model would otherwise leave a call (12-22% slower
    loops).  No instruction; Numba's IR is not inlined (that was what made compiles slow)."""

    def codegen(context, builder, signature, args):
        builder.function.attributes.add("alwaysinline")
        return context.get_dummy_value()

    return types.void(), codegen


def _unary(fn, parallel, mode, ahead=AHEAD):
    # Closure cells are part of Numba's on-disk cache key: ``rng`` keeps the serial and the
    # parallel loop (which share their source lines) apart, ``ahead`` loops with different
    # prefetch distances.
    rng = prange if parallel else range
    if mode == "inplace":

        @kernel(parallel)
        def loop(x, alpha):
            nb = x.size // BLOCK
            for b in rng(nb):
                _wide_vectors()
                xb = x[b * BLOCK : (b + 1) * BLOCK]
                _fetch_w(x, b * BLOCK, ahead)
                for j in range(BLOCK):
                    xb[j] = _frozen(fn(xb[j], alpha))
            for i in range(nb * BLOCK, x.size):
                x[i] = _frozen(fn(x[i], alpha))

    else:

        @kernel(parallel)
        def loop(x, out, alpha):
            nb = x.size // BLOCK
            for b in rng(nb):
                _wide_vectors()
                xb, ob = x[b * BLOCK : (b + 1) * BLOCK], out[b * BLOCK : (b + 1) * BLOCK]
                _fetch_r(x, b * BLOCK, ahead)
                _fetch_w(out, b * BLOCK, ahead)
                for j in range(BLOCK):
                    ob[j] = fn(xb[j], alpha)
            for i in range(nb * BLOCK, x.size):
                out[i] = fn(x[i], alpha)

    return loop


@register_jitable(fastmath=set(FASTMATH))
def _no_fast_lo(alpha, x):
    return _math.like(x, np.nan)


@register_jitable(fastmath=set(FASTMATH))
def _patched(lo):
    """True where the loop runs the variant on every element and patches the elements x < lo
    with the general function: a float64 array (its variant gives the general bits where
    x >= lo) that has a variant (lo is not NaN)."""
    return (not _math.is_single(lo)) and lo == lo


@register_jitable(fastmath=set(FASTMATH))
def _redo(fn, g, v, o, start, alpha, lo, count):
    """The ``count`` elements x < lo (or NaN) of the block at ``start``, redone with ``fn``
    into o (which may be g: in place, those elements kept their grad): a scalar loop (the
    early exit) that stops after the last.  It takes the whole arrays, not the block's
    views: views handed to a call that is not inlined keep their reference counts, 4 NRT
    calls per block (float64 ``elu_grad(g, x=x)`` serial on 2^14 values took 0.84 ns per
    element instead of 0.75, 2026-12-06); inlined, as Numba 0.60 still counted the references of
    whole arrays handed to a call, and it only runs for a block that has such x."""
    _inline_here()
    for j in range(start, start + BLOCK):
        if count == 0:
            break
        if not (v[j] >= lo):
            o[j] = fn(g[j], v[j], alpha)
            count -= 1


@register_jitable(fastmath=set(FASTMATH))
def _fast_block(g, v, lo):
    """True when every one of the BLOCK values of ``v`` is >= lo and every one of ``g`` is
    below 2^64 in magnitude (False for NaN, and at once for lo = NaN: LLVM then drops the
    loop and the branch it guards); float64: no x below lo (NaN x passes: the variant gives
    the general bits there too), any g.  Larger float32 grads take the general loop: an
    infinite g made the fast one's ``fma(g s, e, g s)`` inf - inf, NaN where the result is
    +-inf, and a finite one near the largest float32 overflowed the float32 products of the
    lanes x > 0, which the select discards (the ufuncs raised the overflow flag).  Below
    2^64 times |alpha| <= 2^20 (``fast_grad_lo``) nothing overflows.  One compare per
    vector, as for the infinite g alone."""
    _inline_here()
    _wide_vectors()
    ok = lo == lo
    if ok:
        if _math.is_single(lo):
            big = _math.like(lo, 2.0**64)
            for j in range(BLOCK):  # float16 arrays hold bits: _value converts them
                ok &= (_value(v[j]) >= lo) & (abs(_value(g[j])) < big)
        else:
            for j in range(BLOCK):
                ok &= not (v[j] < lo)
    return ok


# One block of a gradient ufunc's loop, into g, into v or into a separate output: ``fast``
# where the block is in range (``_fast_block``), else ``fn`` -- the blocks of the kernels
# (``_binary``), which write them out instead: with these helpers, inlined, LLVM unrolled
# the float64 kernels differently and they took 3-20% longer in L1 (``tools/loop_ops.py
# --time``, 2026-12-05).  Each target has its own helper, so LLVM sees the store go where
# the load came from (no runtime overlap check); in-place stores are whole vectors.
@register_jitable(fastmath=set(FASTMATH))
def _block_into_g(fn, fast, gb, vb, alpha, lo):
    _inline_here()
    _wide_vectors()
    if _fast_block(gb, vb, lo):
        for j in range(BLOCK):
            _no_unroll(vb)
            gb[j] = _frozen(fast(gb[j], vb[j], alpha))
    else:
        for j in range(BLOCK):
            _no_unroll(vb)
            gb[j] = _frozen(fn(gb[j], vb[j], alpha))


@register_jitable(fastmath=set(FASTMATH))
def _block_into_v(fn, fast, gb, vb, alpha, lo):
    _inline_here()
    _wide_vectors()
    if _fast_block(gb, vb, lo):
        for j in range(BLOCK):
            _no_unroll(vb)
            vb[j] = _frozen(fast(gb[j], vb[j], alpha))
    else:
        for j in range(BLOCK):
            _no_unroll(vb)
            vb[j] = _frozen(fn(gb[j], vb[j], alpha))


@register_jitable(fastmath=set(FASTMATH))
def _block_out(fn, fast, gb, vb, ob, alpha, lo):
    _inline_here()
    _wide_vectors()
    if _fast_block(gb, vb, lo):
        for j in range(BLOCK):
            _no_unroll(vb)
            ob[j] = fast(gb[j], vb[j], alpha)
    else:
        for j in range(BLOCK):
            _no_unroll(vb)
            ob[j] = fn(gb[j], vb[j], alpha)


def _binary(fn, parallel, mode, ahead=AHEAD, fast=None):
    """The gradient loops.  ``fast`` (an entry of ``_math.FAST_GRAD``): a variant and its
    ``fast_lo(alpha, x)``, the variant being valid where every input x of a block is >=
    ``fast_lo`` (NaN where it never is).  float32: each block checks its x first (in the
    cache by then) and runs the variant or ``fn``.  float64, whose variant gives ``fn``'s
    bits where x >= lo (``_patched``): the variant runs on every block, into grad or out,
    and ``fn`` redoes the elements x < lo (or NaN) of a block that has any; in place, those
    keep their grad until then.  A check first took 9-15% longer on 2^25 values in place
    (2026-12-05): a second pass over each block, whose loads wait for memory."""
    if fast is None:
        return _plain_binary(fn, parallel, mode, ahead)
    rng = prange if parallel else range
    fast, fast_lo = fast
    if mode == "inplace":

        @kernel(parallel)
        def loop(g, v, alpha):
            lo = fast_lo(alpha, v)
            nb = g.size // BLOCK
            for b in rng(nb):
                _wide_vectors()
                gb, vb = g[b * BLOCK : (b + 1) * BLOCK], v[b * BLOCK : (b + 1) * BLOCK]
                _fetch_w(g, b * BLOCK, ahead)
                _fetch_r(v, b * BLOCK, ahead)
                if _patched(lo):  # float64: the variant, then fn where x < lo (see above)
                    out_of_range = 0  # a count: LLVM left the loop scalar with a bool `|=`
                    for j in range(BLOCK):
                        _no_unroll(vb)
                        gj, xj = gb[j], vb[j]
                        skip = not (xj >= lo)
                        out_of_range += skip
                        gb[j] = _frozen(gj if skip else fast(gj, xj, alpha))
                    if out_of_range:
                        _redo(fn, g, v, g, b * BLOCK, alpha, lo, out_of_range)
                elif _fast_block(gb, vb, lo):
                    for j in range(BLOCK):
                        _no_unroll(vb)
                        gb[j] = _frozen(fast(gb[j], vb[j], alpha))
                else:
                    for j in range(BLOCK):
                        _no_unroll(vb)
                        gb[j] = _frozen(fn(gb[j], vb[j], alpha))
            for i in range(nb * BLOCK, g.size):
                g[i] = _frozen(fn(g[i], v[i], alpha))

    elif mode == "inplace_v":

        @kernel(parallel)
        def loop(g, v, alpha):
            lo = fast_lo(alpha, v)
            nb = g.size // BLOCK
            for b in rng(nb):
                _wide_vectors()
                gb, vb = g[b * BLOCK : (b + 1) * BLOCK], v[b * BLOCK : (b + 1) * BLOCK]
                _fetch_r(g, b * BLOCK, ahead)
                _fetch_w(v, b * BLOCK, ahead)
                if _fast_block(gb, vb, lo):
                    for j in range(BLOCK):
                        _no_unroll(vb)
                        vb[j] = _frozen(fast(gb[j], vb[j], alpha))
                else:
                    for j in range(BLOCK):
                        _no_unroll(vb)
                        vb[j] = _frozen(fn(gb[j], vb[j], alpha))
            for i in range(nb * BLOCK, g.size):
                v[i] = _frozen(fn(g[i], v[i], alpha))

    else:

        @kernel(parallel)
        def loop(g, v, out, alpha):
            lo = fast_lo(alpha, v)
            nb = g.size // BLOCK
            for b in rng(nb):
                _wide_vectors()
                s = slice(b * BLOCK, (b + 1) * BLOCK)
                gb, vb, ob = g[s], v[s], out[s]
                _fetch_r(g, b * BLOCK, ahead)
                _fetch_r(v, b * BLOCK, ahead)
                _fetch_w(out, b * BLOCK, ahead)
                if _patched(lo):
                    out_of_range = 0
                    for j in range(BLOCK):
                        _no_unroll(vb)
                        out_of_range += not (vb[j] >= lo)
                        ob[j] = fast(gb[j], vb[j], alpha)
                    if out_of_range:
                        _redo(fn, g, v, out, b * BLOCK, alpha, lo, out_of_range)
                elif _fast_block(gb, vb, lo):
                    for j in range(BLOCK):
                        _no_unroll(vb)
                        ob[j] = fast(gb[j], vb[j], alpha)
                else:
                    for j in range(BLOCK):
                        _no_unroll(vb)
                        ob[j] = fn(gb[j], vb[j], alpha)
            for i in range(nb * BLOCK, g.size):
                out[i] = fn(g[i], v[i], alpha)

    return loop


def _plain_binary(fn, parallel, mode, ahead=AHEAD):
    """The gradient loops without a variant (the gradients from y, ReLU's, float16 ones
    whose function has none): ``_unary``'s blocks with two inputs.  Until 2026-12-06 they
    ran ``_binary``'s with ``fn`` on both sides of the block check, which LLVM did not
    inline: a call per block with the block's views, whose references it counted (4 NRT
    calls per block): float32 ``elu_grad_y`` took 0.30 ns per element in L1 instead of 0.21
    (``tools/loop_ops.py --time``, 2026-12-06)."""
    rng = prange if parallel else range
    if mode == "inplace":

        @kernel(parallel)
        def loop(g, v, alpha):
            nb = g.size // BLOCK
            for b in rng(nb):
                _wide_vectors()
                gb, vb = g[b * BLOCK : (b + 1) * BLOCK], v[b * BLOCK : (b + 1) * BLOCK]
                _fetch_w(g, b * BLOCK, ahead)
                _fetch_r(v, b * BLOCK, ahead)
                for j in range(BLOCK):
                    _no_unroll(vb)
                    gb[j] = _frozen(fn(gb[j], vb[j], alpha))
            for i in range(nb * BLOCK, g.size):
                g[i] = _frozen(fn(g[i], v[i], alpha))

    elif mode == "inplace_v":

        @kernel(parallel)
        def loop(g, v, alpha):
            nb = g.size // BLOCK
            for b in rng(nb):
                _wide_vectors()
                gb, vb = g[b * BLOCK : (b + 1) * BLOCK], v[b * BLOCK : (b + 1) * BLOCK]
                _fetch_r(g, b * BLOCK, ahead)
                _fetch_w(v, b * BLOCK, ahead)
                for j in range(BLOCK):
                    _no_unroll(vb)
                    vb[j] = _frozen(fn(gb[j], vb[j], alpha))
            for i in range(nb * BLOCK, g.size):
                v[i] = _frozen(fn(g[i], v[i], alpha))

    else:

        @kernel(parallel)
        def loop(g, v, out, alpha):
            nb = g.size // BLOCK
            for b in rng(nb):
                _wide_vectors()
                s = slice(b * BLOCK, (b + 1) * BLOCK)
                gb, vb, ob = g[s], v[s], out[s]
                _fetch_r(g, b * BLOCK, ahead)
                _fetch_r(v, b * BLOCK, ahead)
                _fetch_w(out, b * BLOCK, ahead)
                for j in range(BLOCK):
                    _no_unroll(vb)
                    ob[j] = fn(gb[j], vb[j], alpha)
            for i in range(nb * BLOCK, g.size):
                out[i] = fn(g[i], v[i], alpha)

    return loop


@cache
def loops(name: str, parallel: bool, mode: str = "out", half: bool = False):
    """The njit kernel for ``name`` (``"elu"``, ``"elu_grad_x"``, ...), see the module doc.
    ``half``: the kernel for float16 arrays, passed as their bits (``a.view(np.uint16)``)."""
    fn = getattr(_math, name)
    grad = "_grad_" in name
    if half:  # float16: each function on the bits (a gradient's variant too, see there)
        if not grad:
            return _unary(_on_half(fn, 1, name), parallel, mode)
        fn, fast = _half_grad(name)
    elif grad:
        fast = _math.FAST_GRAD.get(name)
    else:
        return _unary(fn, parallel, mode)
    # a gradient without a variant is a cheap one (``_plain_binary``): no prefetch
    return _binary(fn, parallel, mode, AHEAD if fast is not None else CHEAP_AHEAD, fast=fast)


# -- float16: converted in registers -------------------------------------------------------
# NumPy's float16 casts run element by element (2026-12-05, NumPy 2.4: 7 ms to float32 and
# 11 ms back for 2^22 values), and the kernels took float16 arrays through float32 copies:
# 18 ms for elu(x, out=x) on 2^22 float16 values against 0.4 ms for float32.  The float16
# kernels read and write the bits and convert each element in registers, with LLVM's
# fpext / fptrunc between half and float: one vcvtph2ps / vcvtps2ph per vector on x86 CPUs
# with F16C (``HALF_IN_REGISTERS``; elsewhere the copies stay).  The values are those of
# the float32 computation rounded to float16, as before (fptrunc rounds to nearest, ties to
# even, as NumPy's cast does): the same bits, block by block -- the gradients from x take
# the float32-only variant (``_math.FAST_GRAD``) on the blocks float32 would, checked on the
# converted values (``_value`` in ``_fast_block``).
@intrinsic
def _from_half(typingctx, bits):
    """The float32 value of the float16 whose bits are ``bits`` (exact)."""
    if bits != types.uint16:
        return None

    def codegen(context, builder, signature, args):
        return builder.fpext(builder.bitcast(args[0], ir.HalfType()), ir.FloatType())

    return types.float32(types.uint16), codegen


@intrinsic
def _to_half(typingctx, x):
    """The bits of float32 ``x`` rounded to float16 (to nearest, ties to even)."""
    if x != types.float32:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(builder.fptrunc(args[0], ir.HalfType()), ir.IntType(16))

    return types.uint16(types.float32), codegen


def _module_level(name: str, make):
    """The jitable ``make()`` as the attribute ``name`` of this module, made once, so that
    pickling finds it by name.  Numba's on-disk cache keys a kernel on its closure pickled:
    a function made in a factory is pickled by value, with the intrinsics it calls, which
    pickle differently in every process (the float16 kernels missed the cache each time, 5 s
    per process)."""
    fn = globals().get(name)
    if fn is None:
        fn = make()
        fn.__name__ = fn.__qualname__ = name
        fn.__module__ = __name__
        globals()[name] = fn = register_jitable(fastmath=set(FASTMATH))(fn)
    return fn


def _on_half(fn, arity: int, name: str):
    """``fn`` on float16 bits: converted to float32, computed, rounded to float32 (the
    gradients compute in float64) and then to float16.  ``arity``: the arrays fn takes
    before alpha (0: ``fn(x)``, no alpha).  One per ``name`` (unique: the gradients'
    variants are all named ``fn``), module-level as ``_half_<name>``."""

    def make():
        if arity == 0:

            def on_half(x):
                _math.always_inline()
                return _to_half(np.float32(fn(_from_half(x))))

        elif arity == 1:

            def on_half(x, alpha):
                _math.always_inline()
                return _to_half(np.float32(fn(_from_half(x), alpha)))

        else:

            def on_half(g, v, alpha):
                _math.always_inline()
                return _to_half(np.float32(fn(_from_half(g), _from_half(v), alpha)))

        return on_half

    return _module_level(f"_half_{name}", make)


def _lo_half(fast_lo, name: str):
    """``fast_lo`` for float16 bits: float32's (the variant computes in float32), as
    ``_lo_half_<name>``."""

    def make():
        def lo_half(alpha, v):
            return fast_lo(alpha, np.float32(0.0))

        return lo_half

    return _module_level(f"_lo_half_{name}", make)


def _half_grad(name: str):
    """The gradient ``name`` for float16 bits and its variant ``(fast, fast_lo)``, or None
    as in ``_math.FAST_GRAD``: those of the float16 kernels (``loops(name, ..., half=True)``)."""
    fn = _on_half(getattr(_math, name), 2, name)
    if name not in _math.FAST_GRAD:
        return fn, None
    fast, fast_lo = _math.FAST_GRAD[name]
    return fn, (_on_half(fast, 2, f"{name}_fast"), _lo_half(fast_lo, name))


def _value(a):
    """An element as a float: float16 bits (uint16) converted, a float as it is."""


@overload(_value, inline="always")
def _value_impl(a):
    if a == types.uint16:
        return lambda a: _from_half(a)
    if isinstance(a, types.Float):
        return lambda a: a
    return None


def _host_has_f16c() -> bool:
    """Whether Numba compiles for a CPU that converts float16 in registers: x86 with F16C
    (LLVM would otherwise call compiler-rt's conversion functions, which Numba's JIT may not
    resolve), or arm64, where the conversions are native instructions."""
    machine = platform.machine().lower()
    if machine in ("arm64", "aarch64"):
        return True
    if machine not in ("x86_64", "amd64"):
        return False
    # F16C's instructions are VEX-encoded: without AVX (NUMBA_ENABLE_AVX=0) LLVM has none
    return target_has("f16c") and target_has("avx")  # else float16 keeps float32 copies


HALF_IN_REGISTERS = _host_has_f16c()


# -- ufunc inner loops ----------------------------------------------------------------------


@intrinsic
def _address(typingctx, ptr):
    """The address held by a pointer as an integer (to compare two pointers)."""
    if not (ptr == types.voidptr or isinstance(ptr, types.CPointer)):
        return None

    def codegen(context, builder, signature, args):
        return builder.ptrtoint(args[0], ir.IntType(64))

    return types.int64(ptr), codegen


@intrinsic
def _offset(typingctx, ptr, nbytes):
    """``ptr + nbytes`` for a ``void*`` (byte strides may be negative)."""
    if ptr != types.voidptr or not isinstance(nbytes, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        return builder.gep(args[0], [args[1]])

    return types.voidptr(types.voidptr, types.intp), codegen


@jitable
def _at(ptr, i, step, dtype):
    """Element ``i`` of a strided operand as a 1-element array (read or write ``[0]``)."""
    return carray(_offset(ptr, i * step), 1, dtype)


# -- the FP flags a ufunc leaves for NumPy -------------------------------------------------
# NumPy turns the FP flags of the calling thread into warnings after a ufunc's inner loop.
# The loops here compute both sides of every branch and compare with the CPU's signalling
# vector compares, so they raised "invalid" for every NaN input and, for inputs far outside
# the usual range, "overflow" or "invalid" from the side the select discards, where the
# formula in NumPy raises nothing.  Each loop therefore reads the flags (C99
# ``fetestexcept``) before it runs and after; only when one of _FE_WATCH is new does it look
# at its elements, and it keeps the flag only where an element explains it: a NaN result
# with no NaN input ("invalid", e.g. inf * 0), an infinite one with finite inputs
# ("overflow", "divide by zero").  The others it clears.  In place the input is gone: a
# NaN result there counts as coming from a NaN input.  The FE_ values are the C library's
# (glibc and macOS alike): known for x86-64 and arm64; elsewhere (Windows included) the
# loops leave the flags alone, as before 2026-12-05.
def _fe_masks(system: str, machine: str) -> tuple[int, int]:
    """(FE_INVALID, FE_OVERFLOW | FE_DIVBYZERO) of the C library, or (0, 0) if unknown."""
    if system not in ("linux", "darwin"):
        return 0, 0
    if machine in ("x86_64", "amd64"):
        return 0x01, 0x08 | 0x04
    if machine in ("aarch64", "arm64"):
        return 0x01, 0x04 | 0x02
    return 0, 0


FE_INVALID, FE_RANGE = _fe_masks(sys.platform, platform.machine().lower())
_FE_WATCH = FE_INVALID | FE_RANGE


def _fenv_call(name):
    """An intrinsic calling the C library's ``int name(int excepts)``."""

    @intrinsic
    def call(typingctx, excepts):
        if excepts != types.int32:
            return None

        def codegen(context, builder, signature, args):
            fnty = ir.FunctionType(ir.IntType(32), [ir.IntType(32)])
            return builder.call(cgutils.get_or_insert_function(builder.module, fnty, name), args)

        return types.int32(types.int32), codegen

    return call


_fetestexcept, _feclearexcept = _fenv_call("fetestexcept"), _fenv_call("feclearexcept")
_feraiseexcept = _fenv_call("feraiseexcept")
# the watched flags one by one (FE_RANGE holds two), for ``_chunked``'s counts
_FE_BITS = tuple(1 << b for b in range(8) if _FE_WATCH >> b & 1) + (0, 0, 0)


@register_jitable
def fp_flags():
    """The watched FP flags that are raised now (0 where they are not watched)."""
    if _FE_WATCH == 0:
        return np.int32(0)
    return _fetestexcept(np.int32(_FE_WATCH))


def _mag(v):
    """The bits of |v| as an integer: above those of inf for NaN, equal for an infinity.
    Integer compares raise no FP flag (a float ``<`` would: x86's ordered compares signal
    "invalid" for NaN) and vectorize.  float16 arrays hold bits (uint16): the sign masked."""


@overload(_mag, inline="always")
def _mag_impl(v):
    if v == types.uint16:
        return lambda v: np.int32(v & 0x7FFF)
    if isinstance(v, types.Float):
        return lambda v: _math.to_bits(abs(v))
    return None


def _inf_mag(v):
    """``_mag`` of an infinity of v's type (float16 bits: 0x7C00)."""


@overload(_inf_mag, inline="always")
def _inf_mag_impl(v):
    if v == types.uint16:
        return lambda v: np.int32(0x7C00)
    if isinstance(v, types.Float):
        return lambda v: _mag(_math.like(v, np.inf))
    return None


@register_jitable
def _unexplained(o, a, b, c):
    """(bad_nan, bad_inf) for result o of inputs a, b, c: o is a NaN and no input is, or o
    is infinite and every input finite."""
    inf = _inf_mag(o)
    mo, ma, mb, mc = _mag(o), _mag(a), _mag(b), _mag(c)
    bad_nan = (mo > inf) & (ma <= inf) & (mb <= inf) & (mc <= inf)
    return bad_nan, (mo == inf) & (ma < inf) & (mb < inf) & (mc < inf)


@register_jitable
def _stand_in(args, steps, k, nin, m):
    """Operand k's pointer in the contiguous scan: its own where it moves, else (k missing,
    or broadcast with step 0) that of the moving input m, which changes nothing there."""
    if k < nin and steps[k] != 0:
        return args[k]
    return args[m]


@register_jitable
def _settle_flags(before, args, steps, n, nin, dtype):
    """After a ufunc loop over n elements: clear each watched flag raised since ``before``
    that no element explains (see above).  Operand k is at ``args[k]`` with byte step
    ``steps[k]``; the output is operand ``nin``.

    The scan runs only when a watched flag is new, in runs of _SCAN elements, and stops
    after the first run in which every new flag is explained.  It is branch-free, and
    vectorized where the output and every input move by one element or not at all (a
    broadcast alpha) with at least one input moving.  An input that does not move is one
    value, checked once: a NaN there explains every NaN result, and a NaN or infinity every
    infinite one.  Each NaN input raises "invalid" in the loops' compares, so data with
    NaN is scanned chunk by chunk: float32 ``ufuncs.elu(x, 1.0)`` with one NaN in 1000
    took 4.5x its time without NaN with the branchy element-by-element scan before
    2026-12-05, 1.8x now (``python benchmarks/ufunc_flags.py``, README)."""
    new = fp_flags() & ~before
    if new == 0:
        return
    size = carray(args[nin], 1, dtype).itemsize
    inf = _inf_mag(dtype(0))
    m, contiguous = -1, steps[nin] == size
    may_nan, may_inf = True, True  # no broadcast input explains every NaN / inf result
    for k in range(nin):
        if steps[k] == size:
            m = k if m < 0 else m
        else:
            contiguous &= steps[k] == 0
        if steps[k] == 0:
            v = _mag(_at(args[k], 0, 0, dtype)[0])
            may_nan &= v <= inf
            may_inf &= v < inf
    if not (may_nan or may_inf):
        _feclearexcept(np.int32(new))
        return
    contiguous &= m >= 0
    mc = max(m, 0)
    o = carray(args[nin], n, dtype)
    a = carray(_stand_in(args, steps, 0, nin, mc), n, dtype)
    b = carray(_stand_in(args, steps, 1, nin, mc), n, dtype)
    c = carray(_stand_in(args, steps, 2, nin, mc), n, dtype)
    p1, s1 = (args[1], steps[1]) if nin > 1 else (args[0], steps[0])
    p2, s2 = (args[2], steps[2]) if nin > 2 else (args[0], steps[0])
    keep = np.int32(0)
    for lo in range(0, n, _SCAN):
        hi = min(lo + _SCAN, n)
        nan_bad, inf_bad = False, False
        if contiguous:
            # slices and a loop from 0: indices LLVM knows are >= 0, so no wraparound
            # select (with ``range(lo, hi)`` it gathered every element)
            ob, ab, bb, cb = o[lo:hi], a[lo:hi], b[lo:hi], c[lo:hi]
            for j in range(hi - lo):
                bn, bi = _unexplained(ob[j], ab[j], bb[j], cb[j])
                nan_bad |= bn
                inf_bad |= bi
        else:
            for i in range(lo, hi):
                bn, bi = _unexplained(
                    _at(args[nin], i, steps[nin], dtype)[0],
                    _at(args[0], i, steps[0], dtype)[0],
                    _at(p1, i, s1, dtype)[0],
                    _at(p2, i, s2, dtype)[0],
                )
                nan_bad |= bn
                inf_bad |= bi
        if nan_bad:  # (may_nan is True here: a NaN makes both False)
            keep |= FE_INVALID
        if inf_bad and may_inf:
            keep |= FE_RANGE
        if new & ~keep == 0:
            return
    _feclearexcept(np.int32(new & ~keep))


_SCAN = 1024  # elements per run of _settle_flags' scan


# The ufuncs' contiguous loops have the kernels' block shape (prefetch, 512-bit vectors):
# plain ``for i in range(n)`` loops took 3-6x as long as the njit kernels on 2^25-2^26
# values in place on the Intel VM of 2026-12-02.  They are written out here instead of
# calling the kernels' loops: a function in a cfunc's closure is pickled into its cache
# key, and one that refers to an intrinsic pickles differently in every process (the
# intrinsic's uuid), so the ufuncs would recompile on every import.  The rarer layouts
# with an array alpha out of place, or a gradient with an array alpha, keep plain loops.


def _ufunc_loop1(fn, dtype):
    size = np.dtype(dtype).itemsize

    @ufunc_loop_cfunc
    def loop(args, dims, steps, data):
        n = dims[0]
        before = fp_flags()
        px, po = args[0], args[1]
        sx, so = steps[0], steps[1]
        if sx == size and so == size:
            x = carray(px, n, dtype)
            nb = n // BLOCK
            if _address(px) == _address(po):
                for b in range(nb):
                    _wide_vectors()
                    _fetch_w(x, b * BLOCK, AHEAD)
                    xb = x[b * BLOCK : (b + 1) * BLOCK]
                    for j in range(BLOCK):
                        xb[j] = _frozen(fn(xb[j]))
                for i in range(nb * BLOCK, n):
                    x[i] = _frozen(fn(x[i]))
            else:
                o = carray(po, n, dtype)
                for b in range(nb):
                    _wide_vectors()
                    _fetch_r(x, b * BLOCK, AHEAD)
                    _fetch_w(o, b * BLOCK, AHEAD)
                    xb, ob = x[b * BLOCK : (b + 1) * BLOCK], o[b * BLOCK : (b + 1) * BLOCK]
                    for j in range(BLOCK):
                        ob[j] = fn(xb[j])
                for i in range(nb * BLOCK, n):
                    o[i] = fn(x[i])
        else:
            for i in range(n):
                xi = _at(px, i, sx, dtype)[0]
                _at(po, i, so, dtype)[0] = fn(xi)
        _settle_flags(before, args, steps, n, 1, dtype)

    return loop


@register_jitable
def _ignore_alpha(x, alpha):
    return x


def _ufunc_loop2(fn, dtype, unit=False):
    size = np.dtype(dtype).itemsize
    # ``unit``: fn(x, None) is the kernel for alpha = 1 (``_math.UNIT_ALPHA``); a broadcast
    # alpha of 1 runs it, as elu_numba.elu(x) does (the same bits, a leaner loop).  Without
    # it the branch is dead, but Numba 0.60 still types it: ``lean`` must accept None.
    lean = fn if unit else _ignore_alpha

    @ufunc_loop_cfunc
    def loop(args, dims, steps, data):
        n = dims[0]
        before = fp_flags()
        px, pa, po = args[0], args[1], args[2]
        sx, sa, so = steps[0], steps[1], steps[2]
        if sx == size and so == size and sa == 0:
            x = carray(px, n, dtype)
            a = _value(carray(pa, 1, dtype)[0])
            nb = n // BLOCK
            if unit and a == 1:
                o = carray(po, n, dtype)
                inplace = _address(px) == _address(po)
                for b in range(nb):
                    _wide_vectors()
                    _fetch_w(o, b * BLOCK, AHEAD)
                    xb, ob = x[b * BLOCK : (b + 1) * BLOCK], o[b * BLOCK : (b + 1) * BLOCK]
                    if inplace:
                        for j in range(BLOCK):
                            xb[j] = _frozen(lean(xb[j], None))
                    else:
                        _fetch_r(x, b * BLOCK, AHEAD)
                        for j in range(BLOCK):
                            ob[j] = lean(xb[j], None)
                for i in range(nb * BLOCK, n):
                    o[i] = lean(x[i], None)
            elif _address(px) == _address(po):
                for b in range(nb):
                    _wide_vectors()
                    _fetch_w(x, b * BLOCK, AHEAD)
                    xb = x[b * BLOCK : (b + 1) * BLOCK]
                    for j in range(BLOCK):
                        xb[j] = _frozen(fn(xb[j], a))
                for i in range(nb * BLOCK, n):
                    x[i] = _frozen(fn(x[i], a))
            else:
                o = carray(po, n, dtype)
                for b in range(nb):
                    _wide_vectors()
                    _fetch_r(x, b * BLOCK, AHEAD)
                    _fetch_w(o, b * BLOCK, AHEAD)
                    xb, ob = x[b * BLOCK : (b + 1) * BLOCK], o[b * BLOCK : (b + 1) * BLOCK]
                    for j in range(BLOCK):
                        ob[j] = fn(xb[j], a)
                for i in range(nb * BLOCK, n):
                    o[i] = fn(x[i], a)
        elif sx == size and so == size and sa == size:
            x = carray(px, n, dtype)
            av = carray(pa, n, dtype)
            nb = n // BLOCK
            if _address(px) == _address(po):
                for b in range(nb):
                    _wide_vectors()
                    _fetch_w(x, b * BLOCK, AHEAD)
                    _fetch_r(av, b * BLOCK, AHEAD)
                    xb, ab = x[b * BLOCK : (b + 1) * BLOCK], av[b * BLOCK : (b + 1) * BLOCK]
                    for j in range(BLOCK):
                        xb[j] = _frozen(fn(xb[j], _value(ab[j])))
                for i in range(nb * BLOCK, n):
                    x[i] = _frozen(fn(x[i], _value(av[i])))
            else:
                o = carray(po, n, dtype)
                for i in range(n):
                    o[i] = fn(x[i], _value(av[i]))
        else:
            one = unit and sa == 0 and n > 0 and _value(_at(pa, 0, sa, dtype)[0]) == 1
            for i in range(n):
                xi = _at(px, i, sx, dtype)[0]
                ai = _value(_at(pa, i, sa, dtype)[0])
                _at(po, i, so, dtype)[0] = lean(xi, None) if one else fn(xi, ai)
        _settle_flags(before, args, steps, n, 2, dtype)

    return loop


@jitable
def _same_or_apart(pa, pb, n, size):
    """True when n items of ``size`` bytes at pa and at pb are the same or do not overlap."""
    a, b = _address(pa), _address(pb)
    return a == b or a + n * size <= b or b + n * size <= a


@register_jitable(fastmath=set(FASTMATH))
def _grad_contiguous(fn, fast, fast_lo, g, v, o, alpha, into_g, into_v):
    """A gradient ufunc's contiguous loop with one alpha: the blocks of the kernels
    (``_binary``), into g, into v or into o."""
    _inline_here()
    lo = fast_lo(alpha, v)
    nb = g.size // BLOCK
    for b in range(nb):
        _wide_vectors()
        s = slice(b * BLOCK, (b + 1) * BLOCK)
        _fetch_r(g, b * BLOCK, AHEAD)
        _fetch_r(v, b * BLOCK, AHEAD)
        _fetch_w(o, b * BLOCK, AHEAD)
        if into_g:
            _block_into_g(fn, fast, g[s], v[s], alpha, lo)
        elif into_v:
            _block_into_v(fn, fast, g[s], v[s], alpha, lo)
        else:
            _block_out(fn, fast, g[s], v[s], o[s], alpha, lo)
    for i in range(nb * BLOCK, g.size):
        o[i] = _frozen(fn(g[i], v[i], alpha))


def _ufunc_grad_loop(name, nin, dtype, unit=False):
    """The inner loop of the gradient ufunc ``name``: operands g, v (x or y), alpha (``nin``
    3; with ``nin`` 2 the function ignores alpha) and the output.  Contiguous g, v and
    output with a broadcast alpha run the gradient kernels' blocks: float32 blocks in range
    take the fast loop (``_math.FAST_GRAD``) and, with ``unit``, an alpha of 1 runs the
    function for alpha = None (``_math.UNIT_ALPHA``), so the results have the njit API's
    bits.  An array of alphas runs a plain loop, any other layout a strided one (with
    ``unit``, the function for alpha = None where the broadcast alpha is 1: the API's
    general bits, since 2026-12-05).  ``dtype`` float16: the loop of the float16 kernels
    (``loops(..., half=True)``) on the operands' bits, alpha converted to float32."""
    half = dtype == np.float16
    one = np.float32(1.0) if half else dtype(1.0)  # alpha where the function takes none
    fn, variant = _half_grad(name) if half else (getattr(_math, name), _math.FAST_GRAD.get(name))
    if variant is None:  # fn on both sides, and a NaN lo (float32's for float16 bits)
        variant = (fn, _lo_half(_no_fast_lo, name) if half else _no_fast_lo)
    fast, fast_lo = variant
    dtype = np.uint16 if half else dtype
    size = np.dtype(dtype).itemsize
    # fn(g, v, None) must type only with ``unit``
    lean = fn if unit else (_no_unit_grad_half if half else _no_unit_grad)

    @ufunc_loop_cfunc
    def loop(args, dims, steps, data):
        n = dims[0]
        before = fp_flags()
        pg, pv, pa, po = args[0], args[1], args[2], args[nin]
        sg, sv, so = steps[0], steps[1], steps[nin]
        sa = steps[2] if nin == 3 else 0
        # the block path decides fast or general from a whole block of g and v first: only
        # where each is the output itself or apart from it (an ``accumulate`` passes g as
        # the output shifted by one, each g the previous result: those run in order below)
        apart = _same_or_apart(pg, po, n, size) and _same_or_apart(pv, po, n, size)
        if sg == size and sv == size and so == size and sa == 0 and apart:
            _wide_vectors()
            g, v, o = carray(pg, n, dtype), carray(pv, n, dtype), carray(po, n, dtype)
            a = _value(carray(pa, 1, dtype)[0]) if nin == 3 else one
            into_g, into_v = _address(pg) == _address(po), _address(pv) == _address(po)
            if unit and a == 1:
                _grad_contiguous(fn, fast, fast_lo, g, v, o, None, into_g, into_v)
            else:
                _grad_contiguous(fn, fast, fast_lo, g, v, o, a, into_g, into_v)
        elif sg == size and sv == size and so == size and sa == size:
            g, v, o = carray(pg, n, dtype), carray(pv, n, dtype), carray(po, n, dtype)
            av = carray(pa, n, dtype)
            if _address(pg) == _address(po):
                for i in range(n):
                    g[i] = _frozen(fn(g[i], v[i], _value(av[i])))
            else:
                for i in range(n):
                    o[i] = fn(g[i], v[i], _value(av[i]))
        else:
            at1 = unit and sa == 0 and _value(_at(pa, 0, 0, dtype)[0]) == 1 if nin == 3 else False
            for i in range(n):
                gi = _at(pg, i, sg, dtype)[0]
                vi = _at(pv, i, sv, dtype)[0]
                ai = _value(_at(pa, i, sa, dtype)[0]) if nin == 3 else one
                _at(po, i, so, dtype)[0] = lean(gi, vi, None) if at1 else fn(gi, vi, ai)
        _settle_flags(before, args, steps, n, nin, dtype)

    return loop


@register_jitable
def _no_unit_grad(g, v, alpha):
    """Stands in for a gradient without an alpha = 1 kernel (never runs; see
    ``_ufunc_grad_loop``)."""
    return np.float64(0.0)


@register_jitable
def _no_unit_grad_half(g, v, alpha):
    """``_no_unit_grad`` for float16 bits."""
    return np.uint16(0)


@intrinsic
def _call_chunk(typingctx, fn, lo, m, bases, steps):
    """Call the ufunc inner loop at address ``fn`` on elements ``lo .. lo + m`` of operands
    that start at ``bases`` (addresses) with byte ``steps`` (4-tuples of int64: unused
    operands are zeros).  The loop's argument arrays are built on the stack."""
    quad = types.UniTuple(types.int64, 4)
    if not (fn == lo == m == types.int64 and bases == steps == quad):
        return None

    def codegen(context, builder, signature, args):
        fn_, lo_, m_, bases_, steps_ = args
        i64 = ir.IntType(64)
        i8p = ir.IntType(8).as_pointer()
        argv = cgutils.alloca_once(builder, i8p, size=4)
        dimv = cgutils.alloca_once(builder, i64, size=1)
        stepv = cgutils.alloca_once(builder, i64, size=4)
        for k in range(4):
            base, step = builder.extract_value(bases_, k), builder.extract_value(steps_, k)
            ptr = builder.inttoptr(builder.add(base, builder.mul(lo_, step)), i8p)
            builder.store(ptr, builder.gep(argv, [ir.Constant(i64, k)]))
            builder.store(step, builder.gep(stepv, [ir.Constant(i64, k)]))
        builder.store(m_, dimv)
        # void loop(char **args, npy_intp const *dims, npy_intp const *steps, void *data)
        fnty = ir.FunctionType(ir.VoidType(), [i8p.as_pointer(), dimv.type, stepv.type, i8p])
        loop = builder.inttoptr(fn_, fnty.as_pointer())
        builder.call(loop, [argv, dimv, stepv, ir.Constant(i8p, None)])
        return context.get_dummy_value()

    return types.void(fn, lo, m, bases, steps), codegen


# The parallel ufunc path splits the work in chunks of this many elements; prange hands each
# thread a contiguous run of chunks.  (Asking Numba for the thread count inside compiled code
# would make the loops uncacheable.)
UFUNC_CHUNK = PARALLEL_THRESHOLD // 4


@kernel(True)
def _chunked(fn, n, bases, steps):
    """Run the ufunc inner loop at address ``fn`` over n elements, chunk by chunk, in
    parallel, and raise in the calling thread the watched FP flags any chunk left (those
    its elements explain, ``_settle_flags``): NumPy reads that thread's flags only.  Each
    chunk starts with the watched flags clear, so that a flag one chunk (or an earlier
    call) left in a thread is neither taken for the next chunk's nor kept unscanned.
    Until 2026-12-05 the flags of the other threads' chunks were lost: an overflow in the
    second half of a large array gave no warning."""
    f0, f1, f2 = 0, 0, 0
    for c in prange((n + UFUNC_CHUNK - 1) // UFUNC_CHUNK):
        lo = c * UFUNC_CHUNK
        if fp_flags() != 0:
            _feclearexcept(np.int32(_FE_WATCH))
        _call_chunk(fn, lo, min(UFUNC_CHUNK, n - lo), bases, steps)
        left = fp_flags()
        f0 += (left & _FE_BITS[0]) != 0
        f1 += (left & _FE_BITS[1]) != 0
        f2 += (left & _FE_BITS[2]) != 0
    raised = (_FE_BITS[0] if f0 else 0) | (_FE_BITS[1] if f1 else 0) | (_FE_BITS[2] if f2 else 0)
    if raised:
        _feraiseexcept(np.int32(raised))


@jitable
def _span(base, step, n, size):
    """The bytes an operand of n items of ``size`` bytes touches: [lo, hi)."""
    last = base + (n - 1) * step
    return min(base, last), max(base, last) + size


@jitable
def _independent(n, bases, steps, nargs, size):
    """True when the elements may be computed in any order: the output has a nonzero step
    and no input overlaps it except the output itself (in place).  A ``reduce`` (output step
    0) or ``accumulate`` (input 0 is the output shifted by one) must run in order.  Items of
    ``size`` bytes: until 2026-12-07 each span was padded by 64 bytes for any size, and an
    output that malloc had placed right before an input (16 bytes apart, as glibc places
    arrays of a few MiB once it has raised its mmap threshold) counted as overlapping it:
    the call ran serial (float64 ``ufuncs.elu(x, 1.7, out=o)`` on 2^20 values after a
    float32 call on 2^20: 1.0 ms against 0.32)."""
    o = nargs - 1
    if steps[o] == 0:
        return False
    olo, ohi = _span(bases[o], steps[o], n, size)
    for k in range(o):
        if bases[k] == bases[o] and steps[k] == steps[o]:
            continue
        lo, hi = _span(bases[k], steps[k], n, size)
        if lo < ohi and olo < hi:
            return False
    return True


def _dispatch_loop(nargs, parallel_from, size):
    """The inner loop NumPy calls for the ufuncs with ``nargs`` operands of ``size`` bytes:
    ``data`` holds the address of the (serial) loop for the dtype; from ``parallel_from``
    elements on it runs in chunks on all threads, unless the order matters
    (``_independent``)."""

    @ufunc_loop_cfunc
    def loop(args, dims, steps, data):
        n = dims[0]
        bases = (
            _address(args[0]),
            _address(args[1]),
            _address(args[2]) if nargs > 2 else 0,
            _address(args[3]) if nargs > 3 else 0,
        )
        strides = (steps[0], steps[1], steps[2] if nargs > 2 else 0, steps[3] if nargs > 3 else 0)
        if n >= parallel_from and _independent(n, bases, strides, nargs, size):
            _chunked(_address(data), n, bases, strides)
        else:
            _call_chunk(_address(data), 0, n, bases, strides)

    return loop


@cache
def dispatch_loop(nin: int, parallel_from: int, itemsize: int):
    """The entry loop of the ufuncs with ``nin`` inputs (one output) of ``itemsize`` bytes
    that run in parallel from ``parallel_from`` elements on: a ufunc's loop for a dtype takes
    its kernel's size, ``parallel_from(name, itemsize)``, as the API does (shared by the
    ufuncs of one arity, size and item size)."""
    return _dispatch_loop(nin + 1, parallel_from, itemsize)


def ufunc_loop(fn, nin: int, dtype, unit: bool = False):
    """The compiled NumPy inner loop ``fn`` over ``nin`` inputs of ``dtype`` (see the module
    doc); ``fn`` is a jitable scalar function of ``nin`` arguments.  ``unit``: ``fn(x, None)``
    is the kernel for alpha = 1, run where alpha is a broadcast 1.  A gradient (``fn`` named
    like ``elu_grad_x``) runs its ``_math`` function in the loop of ``_ufunc_grad_loop``."""
    dtype = np.dtype(dtype).type
    if dtype == np.float16 and not HALF_IN_REGISTERS:
        raise ValueError("float16 ufunc loops need a CPU that converts float16 in registers")
    if "_grad_" in fn.__name__:
        return _ufunc_grad_loop(fn.__name__, nin, dtype, unit)
    if dtype == np.float16:  # the function on the bits, as the float16 kernels
        fn, dtype = _on_half(fn, nin - 1, f"ufunc_{fn.__name__}"), np.uint16
    make = {1: _ufunc_loop1, 2: _ufunc_loop2}[nin]
    return make(fn, dtype, unit=True) if unit else make(fn, dtype)
