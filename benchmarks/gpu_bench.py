"""GPU check and benchmark: every elu_numba variant on CUDA arrays, against a device copy and
PyTorch / CuPy.

    python benchmarks/gpu_bench.py                      # 2**28 elements, float32/float64/float16
    python benchmarks/gpu_bench.py --log2n 24 --repeats 50 --dtypes float32
    NUMBA_ENABLE_CUDASIM=1 python benchmarks/gpu_bench.py --check-only --log2n 8  # no GPU

1. Correctness on the GPU: each function and gradient (from x and from y), on numba device
   arrays (and PyTorch / CuPy arrays where installed), against the CPU functions (edge values
   and random values; max 1 ULP for float16/float32, 2 for float64).  Any failure: exit 1.
2. Timing with CUDA events on the stream the kernels run on (the legacy default stream): each
   sample gets fresh random inputs (never zeros, half negative), then a spin kernel keeps the
   GPU busy while the host enqueues the timed call, so host overhead is not timed; warm-up
   first, the median of ``--repeats`` samples.  Baseline: a device-to-device copy of n
   elements (``cuMemcpyDtoDAsync``).  ``x copy`` is time / (copy time x bytes moved / bytes
   the copy moves): 1.00 is copy speed (in-place forward: 2n elements moved like the copy;
   gradients: 3n).  Targets (issue #5): in-place elu, selu and grad-from-y at <= 1.05.
3. A short table last.

Without a GPU (and not under the simulator) it says so and exits with status 1.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import warnings

import numpy as np

import elu_numba as en
from elu_numba._registry import ACTIVATIONS

TARGETS = {"elu", "selu", "elu_grad_y", "selu_grad_y"}  # <= 1.05 x copy, in place
TARGET_RATIO = 1.05
MAXULP = {"float16": 1, "float32": 1, "float64": 2}
SIM = os.environ.get("NUMBA_ENABLE_CUDASIM", "0") not in ("", "0")


def numba_cuda_or_exit():
    """numba.cuda, or exit saying what is missing (numba-cuda, a GPU)."""
    from elu_numba._cuda_kernels import cuda_module

    try:
        return cuda_module()._numba_cuda()
    except (ImportError, RuntimeError) as e:
        sys.exit(f"gpu_bench: {e}")


# -- the variants --------------------------------------------------------------------------------
def variants():
    """(label, kind, activation, which): kind "fwd" is f(x, out=x), "grad" is f'(g, x|y, out=g)."""
    out = []
    for act in ACTIVATIONS.values():
        out.append((act.name, "fwd", act, None))
        for which in "xy":
            out.append((f"{act.name}_grad_{which}", "grad", act, which))
    return out


def edge_and_random(dtype, n, seed=0):
    fi = np.finfo(np.float64)
    edge = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-300, -1e-300, fi.tiny, -fi.tiny, fi.max,
            -fi.max, 1e-8, -1e-8, 0.5, -0.5, 1.0, -1.0, -17.3, -38.0, -88.7, -104.0, -709.0,
            -745.2, -746.0, -1e6, 88.0, 710.0]  # fmt: skip
    rng = np.random.default_rng(seed)
    rand = np.where(rng.random(n) < 0.5, -1.0, 1.0) * 10.0 ** rng.uniform(-6, 2, n)
    with np.errstate(over="ignore"):
        return np.concatenate([np.array(edge), rand]).astype(dtype)


def max_ulp(got, ref) -> float:
    """Max ULP distance over finite values; inf if NaN/inf/signed-zero placement differs."""
    got, ref = np.asarray(got), np.asarray(ref)
    if got.dtype != ref.dtype or not np.array_equal(np.isnan(got), np.isnan(ref)):
        return math.inf
    fin = np.isfinite(ref)
    if not np.array_equal(got[~fin & ~np.isnan(ref)], ref[~fin & ~np.isnan(ref)]):
        return math.inf
    zero = ref == 0
    if not np.array_equal(np.signbit(got[zero]), np.signbit(ref[zero])):
        return math.inf
    ints = {2: np.int16, 4: np.int32, 8: np.int64}[ref.dtype.itemsize]
    a, b = got[fin].view(ints).astype(np.int64), ref[fin].view(ints).astype(np.int64)
    a = np.where(a < 0, np.iinfo(ints).min - a, a)  # sign-magnitude -> ordered integers
    b = np.where(b < 0, np.iinfo(ints).min - b, b)
    return float(np.max(np.abs(a - b), initial=0))


def call(kind, act, which, a, b=None, out=None):
    alpha = act.alphas[0]
    if kind == "fwd":
        return act.call(a, alpha, out=out)
    return act.call_grad(a, alpha, **{which: b}, out=out)


# -- 1. correctness ------------------------------------------------------------------------------
def families(cuda):
    """Array types to check: (name, to_device, to_host)."""
    fams = [("numba", cuda.to_device, lambda d: d.copy_to_host())]
    if SIM:
        return fams
    try:
        import torch

        if torch.cuda.is_available():
            fams.append(("torch", lambda a: torch.as_tensor(a, device="cuda"),
                         lambda t: t.cpu().numpy()))  # fmt: skip
    except ImportError:
        pass
    try:
        import cupy

        fams.append(("cupy", cupy.asarray, cupy.asnumpy))
    except ImportError:
        pass
    return fams


def check(cuda, dtypes, n) -> bool:
    ok = True
    fams = families(cuda)
    print(f"correctness against the CPU, {n} random + edge values, arrays: "
          f"{', '.join(f[0] for f in fams)}")  # fmt: skip
    for dtype in dtypes:
        x = edge_and_random(dtype, n)
        rng = np.random.default_rng(1)
        g = (rng.uniform(0.5, 2, x.size) * np.where(rng.random(x.size) < 0.5, -1, 1)).astype(dtype)
        worst = {}
        for fam, to_dev, to_host in fams:
            if fam != "numba" and dtype != "float32":
                continue  # the interop path is the same for every dtype
            for label, kind, act, which in variants():
                v = x if kind == "fwd" or which == "x" else act.call(x, act.alphas[0])
                ref = call(kind, act, which, x if kind == "fwd" else g, v)
                # out of place, then in place (into x, or into grad)
                a = to_dev(x if kind == "fwd" else g)
                b = None if kind == "fwd" else to_dev(v)
                r1 = to_host(call(kind, act, which, a, b))
                r2 = call(kind, act, which, a, b, out=a)
                assert r2 is a
                err = max(max_ulp(r1, ref), max_ulp(to_host(a), ref))
                if SIM and err != math.inf and np.dtype(dtype).itemsize < 8:
                    # the simulator computes in NumPy scalars (NEP 50: 1.7 * float16 is a
                    # float16): only a few eps there, see tests/test_cuda.py
                    eps = float(np.finfo(dtype).eps)
                    fin = np.isfinite(ref)
                    near = all(
                        np.allclose(r[fin], ref[fin], rtol=4 * eps, atol=16 * eps)
                        for r in (r1, to_host(a))
                    )
                    err = 0.0 if near else err
                worst[(fam, label)] = err
                if err > MAXULP[dtype]:
                    ok = False
                    print(f"  FAIL {dtype} {fam} {label}: max {err} ULP")
        print(f"  {dtype}: max ULP over all variants {max(worst.values()):.0f} "
              f"(limit {MAXULP[dtype]})")  # fmt: skip
    return ok


# -- 2. timing -----------------------------------------------------------------------------------
class Timer:
    """CUDA events on the legacy default stream, a spin kernel in front of each timed call."""

    def __init__(self, cuda, repeats, warmup):
        self.cuda, self.repeats, self.warmup = cuda, repeats, warmup
        self.spin = self.fill = None
        if not SIM:
            self.spin, self.fill = _kernels(cuda)
        self.seed = 0

    def refill(self, arrays_ranges):
        """Fresh random values into each (array, lo, hi): uniform, never zero."""
        for a, lo, hi in arrays_ranges:
            self.seed += 1
            if self.fill is None:  # simulator
                rng = np.random.default_rng(self.seed)
                v = rng.uniform(lo, hi, a.size).astype(a.dtype)
                v[v == 0] = hi
                a.copy_to_device(v.reshape(a.shape))
            else:
                self.fill[1024, 256](a.reshape(a.size), np.uint64(self.seed), lo, hi)

    def median_ms(self, fn, inputs) -> float:
        """fn() on fresh inputs each sample; inputs: [(array, lo, hi)] refilled before each."""
        cuda = self.cuda
        start, end = cuda.event(timing=True), cuda.event(timing=True)
        times = []
        for k in range(self.warmup + self.repeats):
            self.refill(inputs)
            if self.spin is not None:
                self.spin[1, 1](2_000)  # ~2 ms of GPU time ahead of the host
            start.record(stream=0)
            fn()
            end.record(stream=0)
            end.synchronize()
            if k >= self.warmup:
                times.append(start.elapsed_time(end))
        return statistics.median(times)


def _kernels(cuda):
    @cuda.jit
    def spin(us):
        if cuda.grid(1) == 0:
            for _ in range(us):
                cuda.nanosleep(1000)

    @cuda.jit
    def fill(a, seed, lo, hi):
        # splitmix64 of (index + seed) -> uniform in [lo, hi); |v| >= 1/64 so no float16 zero
        for i in range(cuda.grid(1), a.size, cuda.gridsize(1)):
            z = np.uint64(i) + seed * np.uint64(0x9E3779B97F4A7C15)
            z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
            z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
            z = z ^ (z >> np.uint64(31))
            v = lo + (hi - lo) * (np.float64(z >> np.uint64(11)) * 1.1102230246251565e-16)
            if abs(v) < 0.015625:
                v = 0.015625 if v >= 0 else -0.015625
            a[i] = v

    return spin, fill


def peers_for(dtype):
    """{label: (library, make(x, g, y) -> callable)} for PyTorch and CuPy, where installed."""
    out = {}
    if SIM:
        return out
    try:
        import torch

        if torch.cuda.is_available():
            out.update(_torch_peers(torch))
    except ImportError:
        pass
    try:
        import cupy

        out.update(_cupy_peers(cupy, dtype))
    except ImportError:
        pass
    return out


def _torch_peers(torch):
    F, aten = torch.nn.functional, torch.ops.aten
    sa, ss = en.SELU_ALPHA, en.SELU_SCALE
    # aten.elu_backward(grad, alpha, scale, input_scale, is_result, self_or_result)
    params = {"elu": (1.0, 1.0, 1.0), "selu": (sa, ss, 1.0), "celu": (1.0, 1.0, 1.0)}
    fwd = {
        "elu": lambda x: F.elu(x, 1.0, inplace=True),
        "selu": lambda x: F.selu(x, inplace=True),
        "celu": lambda x: F.celu(x, 1.0, inplace=True),
        "relu": lambda x: torch.relu_(x),
    }
    peers = {}
    for name, f in fwd.items():
        peers[("torch", name)] = lambda x, g, y, f=f: lambda: f(x)
        for which in "xy":

            def make(x, g, y, name=name, which=which):
                v = x if which == "x" else y
                if name == "relu":
                    return lambda: aten.threshold_backward.grad_input(g, v, 0, grad_input=g)
                a, s, i = params[name]
                return lambda: aten.elu_backward.grad_input(
                    g, a, s, i, which == "y", v, grad_input=g
                )

            peers[("torch", f"{name}_grad_{which}")] = make
    return peers


def _cupy_peers(cupy, dtype):
    w = "double" if dtype == "float64" else "float"  # a float32-native peer for f16/f32
    sa, ssa = repr(en.SELU_ALPHA), repr(en.SELU_SCALE * en.SELU_ALPHA)
    ss = repr(en.SELU_SCALE)
    fwd = {  # v = x as W
        "elu": "x = v > 0 ? x : (T)(a * expm1(v))",
        "selu": f"x = (T)({ss} * (v > 0 ? v : {sa} * expm1(v)))",
        "celu": "x = v > 0 ? x : (T)(a * expm1(v / a))",
        "relu": "x = v < 0 ? (T)(W)0 : x",
    }
    grad_y = {  # gv, yv = g, y as W
        "elu": "g = yv > 0 ? g : (T)(gv * (yv + a))",
        "selu": f"g = (T)(yv > 0 ? gv * {ss} : gv * (yv + {ssa}))",
        "celu": "g = yv > 0 ? g : (T)(gv * (yv / a + 1))",
        "relu": "g = yv > 0 ? g : (T)(W)0",
    }
    peers = {}
    for name, body in fwd.items():
        k = cupy.ElementwiseKernel(
            f"{w} a", "T x", f"typedef {w} W; W v = (W)x; {body};", f"peer_{name}_{w}"
        )
        peers[("cupy", name)] = lambda x, g, y, k=k: lambda: k(1.0, x)
    for name, body in grad_y.items():
        k = cupy.ElementwiseKernel(
            f"{w} a, T y",
            "T g",
            f"typedef {w} W; W gv = (W)g, yv = (W)y; {body};",
            f"peer_{name}_grad_y_{w}",
        )
        peers[("cupy", f"{name}_grad_y")] = lambda x, g, y, k=k: lambda: k(1.0, y, g)
    return peers


def peer_views(arrays):
    """{library: the arrays as its own type, same memory (zero-copy via the interface)}."""
    views = {}
    if SIM:
        return views
    try:
        import torch

        if torch.cuda.is_available():
            views["torch"] = [torch.as_tensor(a, device="cuda") for a in arrays]
    except ImportError:
        pass
    try:
        import cupy

        views["cupy"] = [cupy.asarray(a) for a in arrays]
    except ImportError:
        pass
    return views


def bench(cuda, dtypes, n, timer):
    return [row for dtype in dtypes for row in bench_dtype(cuda, dtype, n, timer)]


def bench_dtype(cuda, dtype, n, timer):
    """Rows for one dtype (its arrays are freed on return)."""
    x, g, y, src = (cuda.device_array(n, dtype=dtype) for _ in range(4))
    copy_ms = timer.median_ms(lambda: x.copy_to_device(src), [(src, -4.0, 4.0)])
    peers, views = peers_for(dtype), peer_views([x, g, y])
    rows = []
    for label, kind, act, which in variants():
        fn, inputs, moved = timed_call(kind, act, which, x, g, y)
        ms = timer.median_ms(fn, inputs)
        row = {"dtype": dtype, "variant": label, "ms": ms, "ratio": ms / (copy_ms * moved / 2)}
        row["GB/s"] = moved * n * np.dtype(dtype).itemsize / ms / 1e6
        for lib, (px, pg, py) in views.items():
            make = peers.get((lib, label))
            if make is None:
                continue
            try:
                row[lib] = timer.median_ms(make(px, pg, py), inputs)
            except Exception as e:  # a peer without this dtype or variant
                row[lib] = f"n/a:{type(e).__name__}"[:9]
        rows.append(row)
    rows.append({"dtype": dtype, "variant": "copy (d2d)", "ms": copy_ms, "ratio": 1.0,
                 "GB/s": 2 * n * np.dtype(dtype).itemsize / copy_ms / 1e6})  # fmt: skip
    return rows


def timed_call(kind, act, which, x, g, y):
    """(the in-place call, its inputs to refill as (array, lo, hi), elements moved / n)."""
    if kind == "fwd":
        return (lambda: call("fwd", act, None, x, out=x)), [(x, -4.0, 4.0)], 2
    v = x if which == "x" else y
    lo = -4.0 if which == "x" else -0.99  # y = f(x) >= -alpha
    return (lambda: call("grad", act, which, g, v, out=g)), [(g, -2.0, 2.0), (v, lo, 4.0)], 3


def table(rows, n) -> str:
    def fmt(v):
        return f"{v:9.3f}" if isinstance(v, float) else f"{v or '-':>9}"

    lines = [
        f"n = {n} (2**{int(math.log2(n))}), in place, median GPU time in ms (CUDA events); "
        f"x copy = time / bytes-equivalent d2d copy; targets <= {TARGET_RATIO}",
        f"{'dtype':8} {'variant':12} {'elu_numba':>9} {'x copy':>7} {'GB/s':>7} "
        f"{'torch':>9} {'cupy':>9}  target",
    ]
    for r in rows:
        mark = ""
        if r["variant"] in TARGETS:
            mark = "ok" if r["ratio"] <= TARGET_RATIO else "MISS"
        lines.append(
            f"{r['dtype']:8} {r['variant']:12} {fmt(r['ms'])} {r['ratio']:7.2f} "
            f"{r['GB/s']:7.0f} {fmt(r.get('torch'))} {fmt(r.get('cupy'))}  {mark}"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--log2n", type=int, default=28, help="elements per array: 2**log2n")
    p.add_argument("--dtypes", default="float32,float64,float16")
    p.add_argument("--repeats", type=int, default=30, help="timed samples (median)")
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--check-n", type=int, default=1 << 20, help="random values checked")
    p.add_argument("--check-only", action="store_true", help="correctness only, no timing")
    args = p.parse_args(argv)
    dtypes = [d.strip() for d in args.dtypes.split(",") if d.strip()]
    cuda = numba_cuda_or_exit()
    # the one-thread spin kernel makes numba-cuda warn about occupancy: that is its job
    warnings.filterwarnings("ignore", message="Grid size 1 will likely")
    if SIM:
        print("CUDA simulator: correctness only (it has no timings); float16/float32 to 4 eps")
        warnings.filterwarnings("ignore", "overflow encountered", RuntimeWarning)
        args.check_only, args.check_n = True, min(args.check_n, 1 << args.log2n, 512)
    else:
        dev = cuda.get_current_device()
        print(f"GPU: {dev.name.decode() if isinstance(dev.name, bytes) else dev.name}, "
              f"compute capability {dev.compute_capability}")  # fmt: skip
    if not check(cuda, dtypes, args.check_n):
        print("gpu_bench: correctness FAILED")
        return 1
    if args.check_only:
        return 0
    n = 1 << args.log2n
    rows = bench(cuda, dtypes, n, Timer(cuda, args.repeats, args.warmup))
    print()
    print(table(rows, n))
    return 0


if __name__ == "__main__":
    sys.exit(main())
