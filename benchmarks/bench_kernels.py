"""Throughput: every function x dtype x size x mode, one pytest-benchmark group each.

A group holds the memory limit (first, so the others can be compared with it), elu_numba's
public function, its raw njit kernels (parallel and serial) and its ``@vectorize`` ufunc, the
NumPy formulas, the ReLU baselines and the peers (PyTorch, numexpr, JAX) that are installed.
Every result carries ``extra_info``: elements/s, bytes/s and the ratio to the memory limit.
"""

from __future__ import annotations

import numpy as np
import pytest

import _harness as h


def pytest_generate_tests(metafunc):
    if "case" not in metafunc.fixturenames or "impl" not in metafunc.fixturenames:
        return
    params = []
    for k, bigmem in h.log2_sizes(metafunc.config):
        marks = [pytest.mark.bigmem] if bigmem else []
        for case in h.cases([k]):
            for impl in h.IMPLS:
                if impl.applies(case):
                    params.append(pytest.param(case, impl, id=f"{case.id}-{impl.id}", marks=marks))
    # cases() orders by function, dtype, size and mode: sort by that order, size included
    params.sort(key=lambda p: _order(p.values[0]))
    metafunc.parametrize(("case", "impl"), params)


def _order(case: h.Case):
    return (h.FUNCTIONS.index(case.func), h.DTYPES.index(case.dtype), case.log2n, case.mode)


def run_benchmark(benchmark, case, impl, settings, memory_limits, info=None):
    """Verify, warm up and time ``impl`` on ``case``; fill ``extra_info``."""
    try:
        bench = h.Bench(case, impl, settings)
    except h.Unsupported as exc:
        pytest.skip(str(exc))
    bench.verify()
    benchmark.group = case.group
    benchmark.extra_info.update(h.case_info(case, impl, bench.buffers))
    if info:
        benchmark.extra_info.update(info)
    if settings.smoke:  # benchmarks disabled: pedantic makes one call
        benchmark.pedantic(bench.target, rounds=1)
        bench.teardown()
        return
    rounds, m = bench.plan()
    benchmark.pedantic(bench.target, teardown=bench.teardown, rounds=rounds, iterations=m)
    seconds = benchmark.stats.stats.median
    if impl is h.LIMIT:
        memory_limits[case.group] = seconds
    limit = memory_limits.get(case.group)
    if limit is None:  # the memory limit was deselected (-k): measure it here, untimed by pytest
        limit = float(np.median(h.Bench(case, h.LIMIT, settings).measure()))
        memory_limits[case.group] = limit
    benchmark.extra_info.update(h.throughput_info(case, seconds, limit))


def test_throughput(benchmark, case, impl, bench_settings, memory_limits):
    run_benchmark(benchmark, case, impl, bench_settings, memory_limits)
