"""Import time of elu_numba and first-call compile time, with an empty and a warm Numba cache.

Each round runs a fresh interpreter that times the step itself with ``perf_counter`` and
prints the seconds; pytest-benchmark records those (through :class:`ReportedClock`), not the
interpreter's start-up.  Cold: ``NUMBA_CACHE_DIR`` is a fresh empty folder each round.  Warm:
the package's own on-disk cache, after one untimed run has filled it.  In a smoke run
(benchmarks disabled) only the first scenario runs, once.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap

import pytest

from _harness import is_smoke


class ReportedClock:
    """A pytest-benchmark timer that advances by the seconds the subprocess reported."""

    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def __repr__(self) -> str:
        return "ReportedClock (seconds measured inside the subprocess)"


CLOCK = ReportedClock()

IMPORT = "import time; t0 = time.perf_counter(); import {module}; print(time.perf_counter() - t0)"
FIRST_CALL = textwrap.dedent(
    """
    import time
    import numpy as np
    import elu_numba as en
    rng = np.random.default_rng(0)
    n = 1 << 16  # above PARALLEL_THRESHOLD: the parallel kernel
    x = rng.normal(0, 2, n).astype(np.{dtype})
    g = rng.normal(0, 1, n).astype(np.{dtype})
    t0 = time.perf_counter()
    {call}
    print(time.perf_counter() - t0)
    """
)
SCENARIOS = {
    "elu float32 in place": ("float32", "en.elu(x, out=x)"),
    "elu_grad from y float32 in place": ("float32", "en.elu_grad(g, y=x, out=g)"),
}
# every ufunc, and one (each is built on first use: its loops compiled or loaded then)
UFUNCS = {
    "all": IMPORT.replace("import {module}", "from elu_numba.ufuncs import *"),
    "elu": IMPORT.replace("import {module}", "from elu_numba.ufuncs import elu"),
}


def reported_seconds(code: str, cache_dir: str | None = None) -> float:
    env = dict(os.environ)
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = cache_dir
    res = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    if res.returncode != 0:
        raise RuntimeError(f"subprocess failed:\n{code}\n{res.stderr}")
    return float(res.stdout.strip().splitlines()[-1])


def _run(benchmark, config, code, *, cold: bool | None, rounds: int, info: dict):
    """Benchmark ``code`` in fresh interpreters; cold: a new empty Numba cache each round."""
    benchmark.group = "startup"
    benchmark.extra_info.update({"kind": "startup", **info})
    if is_smoke(config):
        rounds = 1
    if cold is False:
        reported_seconds(code)  # fills the package's cache if it is stale
    with tempfile.TemporaryDirectory(prefix="elu_numba_bench_") as root:
        counter = iter(range(1_000_000))

        def setup():
            d = os.path.join(root, f"cold{next(counter)}") if cold else None
            return (d,), {}

        def target(cache_dir):
            CLOCK.now += reported_seconds(code, cache_dir)

        benchmark.pedantic(target, setup=setup, rounds=rounds)


@pytest.mark.benchmark(timer=CLOCK)
@pytest.mark.parametrize("module", ["numpy", "numba", "elu_numba"])
def test_import_time(benchmark, pytestconfig, module):
    _run(
        benchmark,
        pytestconfig,
        IMPORT.format(module=module),
        cold=None,
        rounds=5,
        info={"what": f"import {module}", "cache": ""},
    )


@pytest.mark.benchmark(timer=CLOCK)
@pytest.mark.parametrize("cache", ["cold", "warm"])
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_first_call(benchmark, pytestconfig, scenario, cache):
    if is_smoke(pytestconfig) and scenario != next(iter(SCENARIOS)):
        pytest.skip("smoke run: the first scenario only (a cold compile takes seconds)")
    dtype, call = SCENARIOS[scenario]
    _run(
        benchmark,
        pytestconfig,
        FIRST_CALL.format(dtype=dtype, call=call),
        cold=cache == "cold",
        rounds=2 if cache == "cold" else 5,
        info={"what": f"first call: {scenario}, n=2^16", "cache": cache},
    )


@pytest.mark.benchmark(timer=CLOCK)
@pytest.mark.parametrize(
    "cache", [pytest.param("cold", marks=pytest.mark.slow), "warm"]
)  # cold: the loops compile, seconds (one ufunc) to a minute (all) a round
@pytest.mark.parametrize("which", list(UFUNCS))
def test_import_ufuncs(benchmark, pytestconfig, which, cache):
    what = "every ufunc (from elu_numba.ufuncs import *)" if which == "all" else "ufuncs.elu"
    _run(
        benchmark,
        pytestconfig,
        UFUNCS[which],
        cold=cache == "cold",
        rounds=1 if cache == "cold" else 5,
        info={"what": f"build {what}: compile or load its loops", "cache": cache},
    )
