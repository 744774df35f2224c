"""Compiled paths: scalar functions in user @njit code, threads, on-disk cache, vectorization."""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import platform
import re
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from types import SimpleNamespace

import numba
import numpy as np
import pytest

import elu_numba as en
from elu_numba import _cpu, scalar

from .conftest import ACTS, random_values


@pytest.mark.parametrize("parallel", [False, True])
def test_scalar_functions_inside_user_njit(parallel, dtype):
    @numba.njit(parallel=parallel)
    def user_loop(x, g, out):
        for i in numba.prange(x.size):
            out[0, i] = scalar.elu(x[i], 0.5)
            out[1, i] = scalar.selu(x[i])
            out[2, i] = scalar.celu(x[i], 2.0)
            out[3, i] = scalar.relu(x[i])
            out[4, i] = scalar.elu_grad_x(g[i], x[i], 0.5)
            out[5, i] = scalar.celu_grad_y(g[i], x[i], 2.0)

    x = random_values(dtype, 3000)
    g = random_values(dtype, 3000, seed=9)
    out = np.empty((6, x.size), dtype)
    user_loop(x, g, out)
    np.testing.assert_array_equal(out[0], en.elu(x, 0.5))
    np.testing.assert_array_equal(out[1], en.selu(x))
    np.testing.assert_array_equal(out[2], en.celu(x, 2.0))
    np.testing.assert_array_equal(out[3], en.relu(x))
    np.testing.assert_array_equal(out[4], en.elu_grad(g, x=x, alpha=0.5))
    np.testing.assert_array_equal(out[5], en.celu_grad(g, y=x, alpha=2.0))


@functools.cache
def _scalar_loops():
    """benchmarks/scalar_loops.py, loaded once."""
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "scalar_loops.py"
    spec = importlib.util.spec_from_file_location("elu_numba_bench_scalar_loops", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _user_loop(name: str):
    """benchmarks/scalar_loops.py's loop over ``scalar.<name>``, as a user writes it."""
    return _scalar_loops().user_loop(name)


@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"), reason="x86 asm")
@pytest.mark.parametrize("name", scalar.__all__)
def test_scalar_functions_inline_into_user_loops(name, dtype):
    """A user's loop over a scalar function gets its math inlined (``_math.always_inline``
    in each), so that LLVM can vectorize the loop: its assembly calls no function of
    elu_numba.  Until 2026-12-07 float64 ``scalar.celu`` and ``scalar.celu_grad_x`` were
    past LLVM's inlining threshold, and such a loop called them element by element: 9.0
    and 9.4 ns per element instead of 1.5-1.6 and 1.8-1.9 (4096 values in L1, Intel Xeon
    VM, ``python benchmarks/scalar_loops.py``)."""
    loop = _user_loop(name)
    v = random_values(dtype, 1000)
    g, out = random_values(dtype, 1000, seed=9), np.empty_like(v)
    loop(g, v, out, dtype(1.7))
    asm = loop.inspect_asm(loop.signatures[0])
    # the compiled functions an instruction names (calls go through a register: movabsq
    # $symbol, %rax; callq *%rax): the loop's own (which its wrapper calls) and its
    # NumbaEnv, no other
    named = {re.sub(r"B\d.*", "", s) for s in re.findall(r"\t\w+\s+\$?_?(_ZN\w+)", asm)}
    assert named and all(s.endswith("user_loop12_3clocals_3e4loop") for s in named), named
    # packed arithmetic on 256- or 512-bit registers: vectorized
    assert len(re.findall(r"\tv\w+p[sd]\s.*%[yz]mm", asm)) >= 8


def test_scalar_keeps_float32():
    @numba.njit
    def f(v):
        return scalar.elu(v)

    f(np.float32(-1.0))
    (sig,) = f.nopython_signatures
    assert sig.return_type == numba.float32


def test_concurrent_threads_give_the_same_results(act):
    xs = [random_values(np.float32, 200_000, seed=s) for s in range(8)]
    expect = [act.call(x) for x in xs]

    def work(i):
        out = np.empty_like(xs[i])
        act.call(xs[i], out=out)
        return out

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(work, range(8)))
    for got, exp in zip(results, expect, strict=True):
        np.testing.assert_array_equal(got, exp)


def test_serial_below_threshold_and_set_num_threads_respected(chosen_loops):
    big = random_values(np.float64, _cpu.PARALLEL_THRESHOLD)
    en.elu(big[:100])
    en.elu(big)
    old = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        en.elu(big)
    finally:
        numba.set_num_threads(old)
    assert [p for _, p in chosen_loops] == [False, numba.config.NUMBA_NUM_THREADS > 1, False]


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_parallel_from_each_kernels_own_size(chosen_loops, dtype):
    """The API runs a kernel serial below ``_cpu.parallel_from(name, itemsize)`` and
    parallel from there on (with more than one thread): a size measured per kernel and
    precision, never above PARALLEL_THRESHOLD (from which on everything is parallel, the
    ufuncs' chunks included).  float16 takes float32's."""
    calls = {
        "elu": lambda a: en.elu(a, out=a),
        "celu": lambda a: en.celu(a, 0.5),
        "elu_grad_x": lambda a: en.elu_grad(a, x=a),
        "celu_grad_y": lambda a: en.celu_grad(a, y=-abs(a), alpha=2.0),
        "selu_grad_x": lambda a: en.selu_grad(a, x=a),
        "elu_grad_y": lambda a: en.elu_grad(a, y=-abs(a), out=a),
        "relu": lambda a: en.relu(a),
    }
    size = np.dtype(dtype).itemsize
    threads = numba.get_num_threads() > 1
    for name, call in calls.items():
        n = _cpu.parallel_from(name, size)
        assert n == _cpu.parallel_from(name, 4 if size == 2 else size)
        assert 1 << 12 <= n <= _cpu.PARALLEL_THRESHOLD
        for m, parallel in ((n - 1, False), (n, threads)):
            chosen_loops.clear()
            call(random_values(dtype, m))
            assert chosen_loops == [(name, parallel)], (name, m)
    # as measured: the float64 loops with an exp switch earlier, the gradients from y not
    assert _cpu.parallel_from("elu_grad_x", 8) < _cpu.parallel_from("elu_grad_x", 4)
    assert _cpu.parallel_from("elu", 8) < _cpu.parallel_from("elu", 4)
    assert _cpu.parallel_from("elu_grad_y", 8) == _cpu.PARALLEL_THRESHOLD


def test_launch_plans_hold_each_kernels_settings(monkeypatch):
    """The API's plan for a kernel and dtype (``_api._plans``, kept between calls) holds
    that kernel's settings: alpha's type, float16 bits or not, its parallel size and its
    alpha = 1 form; cleared, the plans are made again from ``_cpu.parallel_from``."""
    from elu_numba import _api, _math

    names = [f"{a.name}{w}" for a in ACTS for w in ("", "_grad_x", "_grad_y")]
    dtypes = [np.dtype(np.float32), np.dtype(np.float64)]
    if _cpu.HALF_IN_REGISTERS:
        dtypes.append(np.dtype(np.float16))
    for name in names:
        plans = _api._plans(name)
        assert set(plans) == set(dtypes)
        for dt, plan in plans.items():
            typ = np.float64 if dt == np.float64 else np.float32
            unit = name in _math.UNIT_ALPHA
            assert plan == (
                name,
                typ,
                dt == np.float16,
                _cpu.parallel_from(name, dt.itemsize),
                unit,
            )
    assert _api._plans("celu")[np.dtype(np.float32)][4] and not _api._plans("selu")[dtypes[0]][4]
    monkeypatch.setattr(_cpu, "parallel_from", lambda name, size: 7)
    monkeypatch.setattr(_api, "_PLANS", {})
    assert all(p[3] == 7 for p in _api._plans("elu").values())


def _run_py(code: str, env: dict) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


UFUNC_THREADS = """
    import json
    from concurrent.futures import ThreadPoolExecutor
    import numba, numpy as np
    import elu_numba as en
    from elu_numba import _cpu, ufuncs
    xs = [np.random.default_rng(s).normal(0, 3, 2 * _cpu.PARALLEL_THRESHOLD) for s in range(8)]
    for _ in range(3):
        with ThreadPoolExecutor(4) as pool:
            got = list(pool.map(lambda x: ufuncs.elu(x, 0.5), xs))
    ok = all(np.array_equal(g, en.elu(x, 0.5)) for g, x in zip(got, xs))
    print(json.dumps(dict(ok=ok, layer=numba.threading_layer())))
"""


def test_ufuncs_from_several_threads_on_workqueue():
    """The workqueue layer aborts the process on concurrent parallel launches (as Dask's
    threads make through ``__array_ufunc__``): there the ufuncs keep their serial loops."""
    res = _run_py(UFUNC_THREADS, {"NUMBA_THREADING_LAYER": "workqueue"})
    assert res == {"ok": True, "layer": "workqueue"}


API_THREADS = """
    import json
    from concurrent.futures import ThreadPoolExecutor
    import numba, numpy as np
    import elu_numba as en
    from elu_numba import _api, _cpu
    xs = [np.random.default_rng(s).normal(0, 3, 2 * _cpu.PARALLEL_THRESHOLD) for s in range(8)]
    want = [np.where(x > 0, x, 0.5 * np.expm1(x)) for x in xs]
    for _ in range(3):
        with ThreadPoolExecutor(4) as pool:
            got = list(pool.map(lambda x: en.elu(x, 0.5), xs))
    ok = all(np.allclose(g, w, rtol=1e-15, atol=0) for g, w in zip(got, want))
    print(json.dumps(dict(ok=ok, layer=numba.threading_layer(), lock=_api._needs_lock())))
"""


@pytest.mark.parametrize("layer", ["workqueue", "omp"])
def test_api_from_several_threads(layer):
    """Concurrent large calls of the API from several threads: the workqueue layer aborts
    the process on concurrent launches, so elu_numba serializes its launches there, and
    still does after many (``_api._needs_lock``); omp takes them concurrently."""
    if layer == "omp" and numba.config.THREADING_LAYER not in ("default", "omp"):
        pytest.skip(f"the threading layer is set to {numba.config.THREADING_LAYER}")
    try:
        res = _run_py(API_THREADS, {"NUMBA_THREADING_LAYER": layer})
    except subprocess.CalledProcessError as e:
        if layer == "omp" and "omp" in e.stderr:  # no GNU OpenMP runtime on this machine
            pytest.skip(f"no omp threading layer here: {e.stderr.strip().splitlines()[-1]}")
        raise
    assert res == {"ok": True, "layer": layer, "lock": layer == "workqueue"}


def test_lock_free_answer_is_kept(monkeypatch):
    """Once a launch has run on a layer that takes concurrent launches, ``_needs_lock``
    answers without asking Numba again (0.3-0.6 us a call); before, it asks."""
    from elu_numba import _api
    from elu_numba._options import CONCURRENT_SAFE_LAYERS

    en.elu(random_values(np.float64, 2 * _cpu.PARALLEL_THRESHOLD))  # a parallel launch
    if numba.threading_layer() not in CONCURRENT_SAFE_LAYERS:
        pytest.skip(f"this process runs the {numba.threading_layer()} layer")
    assert not _api._needs_lock()

    def layer():
        raise AssertionError("asked Numba")

    monkeypatch.setattr(numba, "threading_layer", layer)
    assert not _api._needs_lock()
    monkeypatch.setattr(_api, "_LOCK_FREE", [False])
    with pytest.raises(AssertionError, match="asked Numba"):
        _api._needs_lock()


def test_ufuncs_from_several_threads():
    """On this process's layer (omp or tbb: parallel ufunc loops), concurrent large calls."""
    from elu_numba import ufuncs

    xs = [random_values(np.float32, 2 * _cpu.PARALLEL_THRESHOLD, seed=s) for s in range(8)]
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda x: ufuncs.elu(x, np.float32(0.5)), xs))
    for g, x in zip(got, xs, strict=True):
        np.testing.assert_array_equal(g, en.elu(x, 0.5))


STATS = """
    import json, time
    t0 = time.perf_counter()
    import elu_numba as en
    from elu_numba import _cpu
    t_import = time.perf_counter() - t0
    compiled_at_import = _cpu.loops.cache_info().currsize
    import numpy as np
    x = np.linspace(-3, 3, 1000)
    t0 = time.perf_counter()
    en.elu(x)
    t_first = time.perf_counter() - t0
    k = _cpu.loops("elu", False, "out")
    print(json.dumps(dict(import_s=t_import, first_s=t_first, at_import=compiled_at_import,
                          hits=sum(k.stats.cache_hits.values()),
                          misses=sum(k.stats.cache_misses.values()))))
"""


def test_no_compilation_at_import_and_disk_cache_reused(tmp_path):
    env = {"NUMBA_CACHE_DIR": str(tmp_path)}
    first = _run_py(STATS, env)
    second = _run_py(STATS, env)
    assert first["at_import"] == 0 and second["at_import"] == 0
    assert first["misses"] == 1 and first["hits"] == 0  # compiled in the first process
    assert second["hits"] == 1 and second["misses"] == 0  # loaded from disk in the second


HALF_STATS = """
    import json
    import numpy as np
    import elu_numba as en
    from elu_numba import _cpu
    x = np.linspace(-3, 3, 1000).astype(np.float16)
    en.elu(x, out=x)
    en.elu_grad(x.copy(), x=np.linspace(-3, 3, 1000).astype(np.float16))
    ks = [_cpu.loops("elu", False, "inplace", True), _cpu.loops("elu_grad_x", False, "out", True)]
    print(json.dumps(dict(hits=[sum(k.stats.cache_hits.values()) for k in ks],
                          misses=[sum(k.stats.cache_misses.values()) for k in ks])))
"""


def test_float16_kernels_are_cached_too(tmp_path):
    """The float16 kernels close over functions made per function (``_cpu._on_half``); they
    are module attributes so that Numba's cache key, which pickles the closure, is the same
    in every process (made in the factory alone, they were compiled again in each)."""
    env = {"NUMBA_CACHE_DIR": str(tmp_path)}
    first = _run_py(HALF_STATS, env)
    second = _run_py(HALF_STATS, env)
    assert first == {"hits": [0, 0], "misses": [1, 1]}
    assert second == {"hits": [1, 1], "misses": [0, 0]}


def test_cache_key_includes_the_math(tmp_path):
    """Kernels depend on _math.py: its hash is part of the cache stamp of every kernel file."""

    from elu_numba import _options

    locator = _options._impl._locator_classes[0]  # CacheImpl, or _CacheImpl before numba 0.61
    assert locator.__module__ == "elu_numba._options"
    in_tree = _options._private("InTreeCacheLocator", "_InTreeCacheLocator")
    loc = _options._package_locator(in_tree).from_function(_cpu._unary, _cpu.__file__)
    assert loc is not None and loc.get_source_stamp()[1] == _options.STAMP


def _pool_work(seed):
    x = random_values(np.float64, 50_000, seed=seed)
    return float(np.abs(en.elu(x) - ACTS[0].reference(x, 1.0).astype(np.float64)).max())


def test_multiprocessing_pool_with_cached_parallel_kernels():
    with get_context("spawn").Pool(2) as pool:
        errs = pool.map(_pool_work, range(4))
    assert max(errs) < 1e-15


ASM = """
    import json, re
    import numpy as np
    from elu_numba import _cpu
    # the compiled functions of elu_numba that an instruction names (calls go through a
    # register: movabsq $symbol, %rax; callq *%rax): the kernel's own loop (which its
    # wrapper calls; at least once, or the pattern matched nothing) and any other
    def foreign(asm, k):
        named = {re.sub(r"B\\d.*", "", s)
                 for s in re.findall(r"\\t\\w+\\s+\\$?_?(_ZN9elu_numba\\w+)", asm)}
        outer = k.py_func.__qualname__.split(".")[0]  # _unary.<locals>.loop: _unary
        own = f"4_cpu{len(outer)}{outer}12_3clocals_3e4loop"
        return dict(own=sum(s.endswith(own) for s in named),
                    other=sorted(s for s in named if not s.endswith(own)))
    res = {}
    for name in ("elu", "selu", "celu", "elu_grad_x", "elu_grad_y", "celu_grad_x", "celu_grad_y"):
        for dt in ("float32", "float64"):
            k = _cpu.loops(name, False, "inplace" if "grad" not in name else "out")
            a = np.linspace(-3, 3, 64).astype(dt)
            args = (a, dt == "float32" and np.float32(1) or 1.0)
            if "grad" in name:
                args = (a, a.copy(), a.copy(), args[1])
            k(*args)
            asm = k.inspect_asm(k.signatures[-1])
            calls = re.findall(r"call\\w*\\s+\\S*(exp|expm1)\\S*", asm)
            fma = re.findall(r"vfn?m(add|sub)\\w*p[sd].*%[yz]mm", asm)
            res[f"{name}-{dt}"] = dict(packed=len(re.findall(r"v\\w+p[sd]\\s.*%[yz]mm", asm)),
                                       foreign=foreign(asm, k),
                                       fma=len(fma),
                                       fma32=sum(f.endswith("ps") for f in re.findall(
                                           r"vfn?m(?:add|sub)\\w*p[sd]", asm)),
                                       libm=len(calls),
                                       div=len(re.findall(r"vdivp[sd]\\s", asm)),
                                       widen=len(re.findall(r"vcvtps2pd", asm)),
                                       nrt=len(re.findall(r"NRT_", asm.split(".Lfunc_end0")[0])))
    # in-place loops must store whole vectors: a masked store (AVX2 vmaskmov, AVX-512 {%k})
    # of the lanes that change is 42 micro-ops on Zen 3 and doubled the loop's time
    # (elu with alpha None: the kernel that elu_numba.elu(x) runs, alpha = 1)
    for name in ("elu", "selu", "celu", "relu", "elu_grad_x", "elu_grad_y", "elu-unit",
                 "elu_grad_x-unit"):  # fmt: skip
        for dt in ("float32", "float64"):
            k = _cpu.loops(name.removesuffix("-unit"), False, "inplace")
            a = np.linspace(-3, 3, 64).astype(dt)
            one = None if name.endswith("-unit") else np.dtype(dt).type(1)
            k(*((a, one) if "grad" not in name else (a, a.copy(), one)))
            asm = k.inspect_asm(k.signatures[-1])
            stores = re.findall(r"\\tv(?:mov|maskmov)\\w*\\s+%[yz]mm\\d+,.*\\(", asm)
            res[f"inplace-{name}-{dt}"] = dict(
                stores=len(stores),
                foreign=foreign(asm, k),
                masked=sum("maskmov" in m or "{%k" in m for m in stores),
                packed=len(re.findall(r"v\\w+p[sd]\\s.*%[yz]mm", asm)),
                libm=len(re.findall(r"call\\w*\\s+\\S*(exp|expm1)\\S*", asm)),
                prefetch=len(re.findall(r"\\tprefetch\\w*\\s", asm)),
                nrt=len(re.findall(r"NRT_", asm.split(".Lfunc_end0")[0])),
                lines=_cpu.BLOCK * np.dtype(dt).itemsize // 64 * (2 if "grad" in name else 1),
            )
    print(json.dumps(res))
"""


@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"), reason="x86 asm")
def test_hot_loops_are_vectorized(tmp_path):
    """Fresh compile (empty cache) so the assembly is available: packed AVX2 ymm arithmetic,
    packed FMAs (float32 ones for the float32 activations, which compute in float32), no
    call to a libm exp/expm1, and in the in-place loops no masked store and a prefetch of
    every cache line of a block, of each array (``_cpu.AHEAD``), except in the cheap
    gradients' loops (from y: none, ``_cpu.CHEAP_AHEAD``).  The kernel itself (the
    first function of its assembly; the wrapper that unboxes the arrays follows) has no
    NRT call: a block's views handed to a function LLVM did not inline kept their
    reference counts, 4 calls per block of 256 elements (float32 gradients from y 30% and
    from x 15% slower in the cache, until 2026-12-06).  And it calls no function of
    elu_numba but its own loop (which the wrapper calls): the math and the block helpers
    are inlined (a loop that calls them runs element by element).

    On an AVX-512 host (e.g. znver4) LLVM vectorizes the same loops with zmm registers and
    no ymm ones, so either register width counts as packed; the thresholds are unchanged."""
    res = _run_py(ASM, {"NUMBA_CACHE_DIR": str(tmp_path)})
    for key in [k for k in res if k.startswith("inplace-")]:
        r = res.pop(key)
        assert r["stores"] >= 1 and r["masked"] == 0, (key, r)
        assert r["nrt"] == 0 and r["foreign"]["other"] == [], (key, r)
        assert r["foreign"]["own"] >= 1, (key, r)
        if "elu_grad_y" in key and _cpu.CHEAP_AHEAD is None:  # a cheap gradient
            assert r["prefetch"] == 0, (key, r)
        else:
            assert r["prefetch"] >= r["lines"], (key, r)
        assert r["libm"] == 0 and r["packed"] >= (20 if "relu" not in key else 1), (key, r)
    for key, r in res.items():
        assert r["libm"] == 0 and r["nrt"] == 0 and r["foreign"]["other"] == [], (key, r)
        assert r["foreign"]["own"] >= 1, (key, r)
        assert r["packed"] >= 20, (key, r)
        if key in ("elu-float32", "selu-float32", "celu-float32"):
            assert r["widen"] == 0, (key, r)  # computed in float32: never widened to float64
        if key == "elu_grad_x-float32":
            # exp's reduction and polynomial in float32 (_math.scaled_exp32): float32 FMAs
            assert r["fma32"] >= 6, (key, r)
        if "grad_y" not in key:
            assert r["fma"] >= 8, (key, r)
        if key.startswith("celu"):
            # CELU divides by alpha through 1 / alpha, computed once (_math._reciprocal): a
            # packed division has a fraction of a multiply's throughput
            assert r["div"] == 0, (key, r)


UFUNC_ASM = """
    import json, re
    import numpy as np
    from numba.extending import register_jitable
    from elu_numba import _cpu, _options, ufuncs
    _options.CACHE = False  # a loop loaded from the disk cache has no assembly to read
    store = re.compile(r"\\tv(?:mov|maskmov)\\w*\\s+%([xyz])mm\\d+, .*\\(")
    # the compiled functions of elu_numba that an instruction names (calls go through a
    # register: movabsq $symbol, %rax; callq *%rax)
    named = re.compile(r"\\t\\w+\\s+\\$?_?(_ZN9elu_numba\\w+)")
    dtypes = ("float16",) * _cpu.HALF_IN_REGISTERS + ("float32", "float64")
    res = {}
    for name, (fn, nin, unit) in ufuncs._SPECS.items():
        scalar = register_jitable(fastmath=set(_options.FASTMATH))(fn)
        for dt in dtypes:
            loop = _cpu.ufunc_loop(scalar, nin, np.dtype(dt).type, unit)._library.get_asm_str()
            r = res[f"{name}-{dt}"] = dict(
                calls=sorted({re.sub(r"B\\d.*", "", s) for s in named.findall(loop)}),
                loop={w: store.findall(loop).count(w) for w in "yz"},
            )
            if name in ("elu_grad_x", "elu_grad_y") and dt != "float16":
                k = _cpu.loops(name, False, "out")
                a = np.linspace(-3, 3, 1024).astype(dt)
                k(a, a.copy(), a.copy(), np.dtype(dt).type(1.5))
                kernel = k.inspect_asm(k.signatures[-1])
                r["kernel"] = {w: store.findall(kernel).count(w) for w in "yz"}
    print(json.dumps(res))
"""


@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"), reason="x86 asm")
def test_ufunc_loops_inline_their_math_and_are_as_wide_as_the_kernels(tmp_path):
    """Each ufunc's inner loop, fresh from the compiler (every ufunc, every dtype):

    - The math is inlined into it: the only functions of elu_numba it calls are the
      loop's own body (which the C callback calls) and ``_cpu._settle_flags`` (run only
      where a floating-point flag is new).  A loop that calls a math function instead runs
      it element by element: float64 ``ufuncs.celu`` took 9.0 ns per element in L1 instead
      of 1.1 until 2026-12-07 (``ufuncs.celu``, with ``_math.celu`` inlined into it, was
      past LLVM's threshold); the test fails too with ``always_inline`` taken out of
      ``_math._celu_grad_exp``, which float64 ``celu_grad_x`` calls from two places.
    - The gradient loops run the kernels' blocks through helpers (``_cpu._block_out`` and
      the others) that Numba compiles, and LLVM vectorizes, each in a module of its own
      before they are inlined: each asks for VECTOR_BITS itself.  Until 2026-12-07 only the
      ufunc's loop did, and on AVX-512 the block loops came out 256 bits wide: the float64
      gradients from x took 1.2-1.5x the kernels' time per element in L1.  Where the
      kernel stores 512-bit vectors, the ufunc loop stores no more 256-bit ones than it
      (on CPUs without 512-bit vectors there is nothing to compare)."""
    res = _run_py(UFUNC_ASM, {"NUMBA_CACHE_DIR": str(tmp_path)})
    assert len(res) == 12 * (2 + _cpu.HALF_IN_REGISTERS)
    for key, r in res.items():
        body = "_ZN9elu_numba4_cpu" + ("16_ufunc_grad_loop" if "_grad_" in key else "12_ufunc_loop")
        # the body and _settle_flags, both: or the assembly read was not the loop's
        settle = "_ZN9elu_numba4_cpu13_settle_flags"
        others = [c for c in r["calls"] if c != settle]
        assert settle in r["calls"] and len(others) == 1, (key, r["calls"])
        assert others[0].startswith(body), (key, r["calls"])
    for key, r in res.items():
        if "kernel" in r and r["kernel"]["z"]:
            assert r["loop"]["z"] > 0 and r["loop"]["y"] <= r["kernel"]["y"], (key, r)


HALF_ASM = """
    import json, re
    import numpy as np
    from elu_numba import _cpu
    res = {"in_registers": bool(_cpu.HALF_IN_REGISTERS)}
    for name, alpha in (("elu", None), ("celu", 0.5), ("elu_grad_x", None), ("elu_grad_y", 1.0)):
        k = _cpu.loops(name, False, "inplace", True)
        a = np.linspace(-3, 3, 1024).astype(np.float16).view(np.uint16)
        alpha = None if alpha is None else np.float32(alpha)
        k(*((a, alpha) if "grad" not in name else (a, a.copy(), alpha)))
        asm = k.inspect_asm(k.signatures[-1])
        res[name] = dict(
            # F16C's forms, or AVX512-FP16's (an x suffix, no rounding immediate)
            widen=len(re.findall(r"vcvtph2psx?\\s.*%[yz]mm", asm)),
            narrow=len(re.findall(r"vcvtps2ph(\\s+\\$\\d+,|x\\s+) ?%[yz]mm", asm)),
            calls=len(re.findall(r"call\\w*\\s+\\S*(hf|half|exp)", asm)),
        )
    print(json.dumps(res))
"""


@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"), reason="x86 asm")
def test_float16_kernels_convert_in_registers(tmp_path):
    """The float16 kernels convert a whole vector per instruction (F16C's vcvtph2ps and
    vcvtps2ph on ymm or zmm registers; on arm64 the conversions are native) and call
    neither compiler-rt's conversion functions nor libm.  Fresh compile, as above."""
    res = _run_py(HALF_ASM, {"NUMBA_CACHE_DIR": str(tmp_path)})
    if not res.pop("in_registers"):
        pytest.skip("this CPU has no F16C: float16 runs through float32 copies")
    for name, r in res.items():
        assert r["calls"] == 0, (name, r)
        assert r["widen"] >= (2 if "grad" in name else 1) and r["narrow"] >= 1, (name, r)


def test_num_threads_is_numbas_setting_per_thread(monkeypatch):
    """``_api._num_threads`` (the launch's thread count, without Numba's lock) follows
    ``numba.set_num_threads`` in the calling thread only, as Numba's own function does, and
    falls back to that function where Numba's internal getter is missing."""
    from elu_numba import _api

    numba.get_num_threads()  # the threading layer has started
    mine = numba.get_num_threads()

    def other():
        numba.set_num_threads(1)
        return _api._num_threads(), numba.get_num_threads()

    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(other).result() == (1, 1)
    assert _api._num_threads() == mine == numba.config.NUMBA_NUM_THREADS
    monkeypatch.setattr(_api, "_parallel", SimpleNamespace(_is_initialized=True))  # no getter
    monkeypatch.setattr(_api, "_THREADS_GETTER", [None])  # as before the layer started
    assert _api._num_threads() == mine
    numba.set_num_threads(1)
    try:
        assert _api._num_threads() == 1
    finally:
        numba.set_num_threads(mine)


@pytest.mark.parametrize("name", ["elu", "celu"])
def test_alpha_forms_pick_the_same_kernel(name, dtype):
    """alpha as a Python float, an int or a NumPy scalar gives the same bits, and every
    alpha that the array's dtype rounds to 1 (1 + 1e-9 in float32 too) runs the alpha = 1
    kernel (``_math.UNIT_ALPHA``).  That kernel differs from the general one with alpha = 1
    at some values (``_math._expm1_unit``): the check tells them apart."""
    f = getattr(en, name)
    x = random_values(dtype, 4099)
    bits = np.int32 if dtype == np.float32 else np.int64
    unit = f(x).view(bits)
    general = np.empty_like(x)
    _cpu.loops(name, False, "out")(x, general, dtype(1.0))
    assert (general.view(bits) != unit).any()
    ones = [1, 1.0, np.float64(1.0), np.float32(1.0), np.int64(1), np.float16(1.0)]
    for alpha in ones + ([1.0 + 1e-9] if dtype == np.float32 else []):
        np.testing.assert_array_equal(f(x, alpha).view(bits), unit)
    want = f(x, 0.5).view(bits)
    for alpha in (np.float64(0.5), np.float32(0.5), np.float16(0.5)):
        np.testing.assert_array_equal(f(x, alpha).view(bits), want)


@pytest.mark.parametrize("first", [0.0, -0.0])
def test_float32_alpha_kept_per_value(first):
    """float32 calls keep their alpha as a NumPy float32 per value (``_api._alpha32``): the
    sign of a zero alpha still shows (0.0 and -0.0 are one dict key: neither is kept, in
    either order), each alpha is rounded to float32 once as before, and at most 256 are
    kept."""
    from elu_numba import _api

    # from y where y = -0.0: grad * (y + alpha), -0.0 for alpha = -0.0, +0.0 for 0.0
    y, g = np.array([-0.0, -0.5, 2.0], dtype=np.float32), np.ones(3, dtype=np.float32)
    for alpha in (first, -first, first):
        got = en.elu_grad(g, y=y, alpha=alpha)
        assert np.signbit(got[0]) == np.signbit(alpha)
        assert np.signbit(_api._alpha32(alpha, "elu")) == np.signbit(alpha)
        np.testing.assert_array_equal(got, [alpha, -0.5, 1.0])
    for i in range(300):
        alpha = 1.0 + i / 7  # 1/7 is not a float32: the kernel must see the rounded value
        np.testing.assert_array_equal(
            en.elu_grad(g, y=y, alpha=alpha), en.elu_grad(g, y=y, alpha=np.float32(alpha))
        )
        assert _api._alpha32(alpha, "elu") == np.float32(alpha)
    assert 0 < len(_api._ALPHA32) <= 256


TARGET_CHOICES = """
    import json
    import numpy as np
    import elu_numba as en
    from elu_numba import _cpu
    x = np.concatenate([np.linspace(-30, 5, 997), [-0.0, 0.0, np.nan, -np.inf, np.inf]])
    res = dict(half=_cpu.HALF_IN_REGISTERS)
    if {run}:
        res["bits"] = [en.elu(x.astype(t), a).view(f"u{{np.dtype(t).itemsize}}").tolist()
                       for t in ("float16", "float32", "float64") for a in (1.0, 0.3)]
    print(json.dumps(res))
"""


@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"), reason="x86 features")
def test_code_choices_follow_the_cpu_numba_compiles_for(tmp_path):
    """The choice made from CPU features (``_cpu.HALF_IN_REGISTERS``: F16C with AVX; until
    2026-12-07 also the float64 clamp's form, AVX-512 or not) follows ``NUMBA_CPU_NAME`` /
    ``NUMBA_CPU_FEATURES``, not the host alone: a build for ``generic`` x86-64 (a portable
    cache) does not take it, one for a named CPU whatever its listed features allow.  The
    generic build gives the host build's bits (float16 through float32 copies there)."""
    generic = _run_py(
        TARGET_CHOICES.format(run=True),
        # generic's own default features (""), whatever this process was started with
        {"NUMBA_CPU_NAME": "generic", "NUMBA_CPU_FEATURES": "", "NUMBA_CACHE_DIR": str(tmp_path)},
    )
    assert generic.pop("half") is False
    x = np.concatenate([np.linspace(-30, 5, 997), [-0.0, 0.0, np.nan, -np.inf, np.inf]])
    want = [
        en.elu(x.astype(t), a).view(f"u{np.dtype(t).itemsize}").tolist()
        for t in ("float16", "float32", "float64")
        for a in (1.0, 0.3)
    ]
    assert generic["bits"] == want
    for features, half in [
        ("+avx,+avx2,+fma,+f16c,+avx512f", True),
        ("+avx,+avx2,+fma,+f16c,-avx512f", True),
        ("+sse4.2,-avx,+f16c", False),
    ]:
        env = {"NUMBA_CPU_NAME": "skylake-avx512", "NUMBA_CPU_FEATURES": features}
        got = _run_py(TARGET_CHOICES.format(run=False), env)
        assert got == dict(half=half), features
