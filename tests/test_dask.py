"""Dask arrays: lazy results computed block by block, locally and on a distributed cluster."""

from __future__ import annotations

import math
import os

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")

import elu_numba as en  # noqa: E402
from elu_numba import _cpu, ufuncs  # noqa: E402
from elu_numba._registry import ACTIVATIONS  # noqa: E402

ACTS = list(ACTIVATIONS.values())


def _x(dtype=np.float32, n=10_000, chunks=1_500):
    x = np.linspace(-12, 6, n).astype(dtype)
    return x, da.from_array(x, chunks=chunks)


# -- the local (threaded) scheduler ----------------------------------------------------------
@pytest.mark.parametrize("act", ACTS, ids=lambda a: a.name)
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int32])
def test_forward_is_lazy_and_equals_numpy(act, dtype):
    x, dx = _x(dtype)
    alpha = 1.7 if act.has_alpha else 1.0
    y = act.call(dx, alpha)
    assert isinstance(y, da.Array)
    assert y.chunks == dx.chunks
    expect = act.call(x, alpha)
    assert y.dtype == expect.dtype  # known before computing
    got = y.compute(scheduler="threads")
    assert got.dtype == expect.dtype
    np.testing.assert_array_equal(got, expect)


@pytest.mark.parametrize("act", ACTS, ids=lambda a: a.name)
@pytest.mark.parametrize("which", ["x", "y"])
def test_gradients_broadcast_and_equal_numpy(act, which):
    x, dx = _x(np.float64, n=3_000, chunks=700)
    v = act.call(x, 1.3) if which == "y" else x
    dv = da.from_array(v.reshape(1, -1), chunks=(1, 700))
    g = np.linspace(-1, 1, 4)[:, None]  # a NumPy array: broadcast with the dask one
    y = act.call_grad(g, 1.3, **{which: dv})
    assert isinstance(y, da.Array) and y.shape == (4, 3_000)
    expect = act.call_grad(g, 1.3, **{which: v.reshape(1, -1)})
    np.testing.assert_array_equal(y.compute(), expect)


def test_nothing_is_computed_until_asked():
    def boom(block):
        raise RuntimeError("computed too early")

    x = da.ones(100, chunks=10).map_blocks(boom, dtype=np.float64)
    y = en.celu_grad(en.elu(x), x=x)  # builds the graph only
    assert isinstance(y, da.Array)
    with pytest.raises(RuntimeError, match="computed too early"):
        y.compute()


def test_graph_names_the_kernel():
    _, dx = _x()
    assert en.elu(dx).name.startswith("elu-")
    assert en.elu_grad(dx, y=dx).name.startswith("elu_grad_y-")
    assert en.elu(dx).name == en.elu(dx).name  # deterministic: dask can share the work
    assert en.elu(dx, 2.0).name != en.elu(dx).name


def test_out_is_refused():
    x, dx = _x()
    with pytest.raises(TypeError, match="out= is not supported with dask arrays"):
        en.elu(dx, out=dx)
    with pytest.raises(TypeError, match="out= is not supported"):
        en.elu(x, out=dx)  # a dask out with a NumPy input
    with pytest.raises(TypeError, match="out= is not supported"):
        en.selu_grad(dx, x=dx, out=np.empty_like(x))


def test_bad_dtypes_and_shapes_raise_before_computing():
    _, dx = _x()
    with pytest.raises(TypeError, match="complex128"):
        en.elu(dx.astype(np.complex128))
    with pytest.raises(ValueError, match="could not be broadcast"):
        en.elu_grad(dx, x=da.ones(7, chunks=3))
    with pytest.raises(ValueError, match="alpha must be > 0"):
        en.celu(dx, 0.0)


def test_ufuncs_work_through_array_ufunc():
    x, dx = _x(np.float32)
    y = ufuncs.elu(dx, np.float32(1.0))
    assert isinstance(y, da.Array)
    np.testing.assert_array_equal(y.compute(), ufuncs.elu(x, np.float32(1.0)))
    # a scalar alpha of 1 runs elu_numba.elu(x)'s kernel (_math._expm1_unit): its bits
    np.testing.assert_array_equal(y.compute().view(np.int32), en.elu(x).view(np.int32))
    if _cpu.HALF_IN_REGISTERS:  # float16 stays float16 (the ufuncs' float16 loops)
        x, dx = _x(np.float16)
        y = ufuncs.elu(dx, np.float16(1.0))
        assert y.dtype == np.float16
        np.testing.assert_array_equal(y.compute().view(np.uint16), en.elu(x).view(np.uint16))


# -- a real distributed cluster ------------------------------------------------------------
WORKER_MEMORY = 512 << 20  # bytes per worker; the big pipeline below is larger than this


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2,
        processes=True,
        threads_per_worker=1,
        host="127.0.0.1",
        # a free port: `tox p` runs this in two envs at once, and with None (8787) the second
        # got "Port 8787 is already in use", a warning, so an error here
        dashboard_address=":0",
        memory_limit=WORKER_MEMORY,
    )
    with cluster, distributed.Client(cluster) as c:
        yield c


def test_cluster_results_equal_numpy(client):
    x, dx = _x(np.float32, n=200_000, chunks=50_000)
    futures = client.compute([en.elu(dx, 0.5), en.selu_grad(dx, x=dx), en.relu(dx)])
    elu, sgrad, relu = client.gather(futures)
    np.testing.assert_array_equal(elu, en.elu(x, 0.5))
    np.testing.assert_array_equal(sgrad, en.selu_grad(x, x=x))
    np.testing.assert_array_equal(relu, en.relu(x))


def test_kernels_are_imported_and_cached_on_the_workers(client):
    def kernel_state():
        # runs on a worker: which elu_numba it imported, and which elu kernels it compiled
        import os as os_

        import elu_numba
        from elu_numba import _cpu

        compiled = {
            (mode, parallel): len(_cpu.loops("elu", parallel, mode).signatures)
            for mode in ("out", "inplace")
            for parallel in (False, True)
        }
        return os_.getpid(), elu_numba.__file__, compiled

    workers = sorted(client.scheduler_info()["workers"])
    assert len(workers) == 2

    def work():
        # on a worker, what a block of a dask array runs: a chunk above the parallel threshold.
        # (Pinning dask tasks to each worker with compute(workers=[w]) was flaky: a worker
        # sometimes got no task, or a block arrived read-only -- another signature.)
        import numpy as np_

        import elu_numba

        return float(elu_numba.elu(np_.linspace(-12, 6, 400_000, dtype=np_.float32)).sum())

    def run_on_each_worker():
        assert len(client.run(work)) == 2

    run_on_each_worker()
    first = client.run(kernel_state)
    assert len(first) == 2
    pids = {pid for pid, _, _ in first.values()}
    assert len(pids) == 2 and os.getpid() not in pids  # two separate worker processes
    assert {path for _, path, _ in first.values()} == {en.__file__}
    assert all(state[("out", True)] >= 1 for _, _, state in first.values())
    # Running again reuses each worker's kernels: nothing new is compiled.
    run_on_each_worker()
    again = client.run(kernel_state)
    assert again == first


def test_pipeline_larger_than_a_worker_completes(client):
    n = 192 << 20  # 768 MiB of float32, 1.5 times one worker's memory limit
    a = 10.0
    x = da.linspace(-a, a, n, chunks=4 << 20, dtype=np.float32)
    assert x.nbytes > WORKER_MEMORY
    y = en.elu(x)
    g = en.elu_grad(da.ones_like(x), y=y)  # 1 where x > 0, exp(x) below
    total_y, total_g = dask.compute(y.sum(dtype=np.float64), g.sum(dtype=np.float64))
    # the mean of elu and of its derivative over [-a, a], from their integrals
    mean_y = (a * a / 2 + (1 - math.exp(-a)) - a) / (2 * a)
    mean_g = (a + 1 - math.exp(-a)) / (2 * a)
    assert total_y / n == pytest.approx(mean_y, rel=1e-5)
    assert total_g / n == pytest.approx(mean_g, rel=1e-5)
    # and a sample of the values themselves
    sample = slice(0, n, 1_000_003)
    np.testing.assert_array_equal(y[sample].compute(), en.elu(x[sample].compute()))
