"""pytest configuration of the benchmark suite (see README "Benchmarks").

* ``bench_*.py`` files are collected as test modules here (the ``_cpu.py`` docs point at them).
* With benchmarks disabled (``--benchmark-disable``, in the project's addopts) the suite is a
  smoke run: only the smallest size of each group, each implementation checked and called
  once.  ``--benchmark-enable --benchmark-only`` runs the real thing.
* The largest size (2**26) is generated only when ``-m`` names ``bigmem``.
"""

from __future__ import annotations

import pytest

from _harness import (
    BIGMEM_LOG2_SIZES,
    DEFAULT_LOG2_SIZES,
    Settings,
    environment,
    is_smoke,
    runtime_info,
)


def pytest_addoption(parser):
    group = parser.getgroup("elu_numba benchmarks")
    group.addoption(
        "--bench-sizes",
        default=None,
        help="comma-separated log2 sizes for the throughput groups, e.g. 10,20,25 "
        f"(default {','.join(map(str, DEFAULT_LOG2_SIZES))}, "
        f"plus {','.join(map(str, BIGMEM_LOG2_SIZES))} with -m bigmem)",
    )
    group.addoption(
        "--bench-time",
        type=float,
        default=0.04,
        help="seconds of timed calls per benchmark (default 0.04; at least "
        "--bench-min-rounds rounds of >= 5 ms)",
    )
    group.addoption(
        "--bench-min-rounds",
        type=int,
        default=3,
        help="fewest rounds per benchmark (default 3; replaces --benchmark-min-rounds)",
    )
    group.addoption(
        "--bench-max-rounds",
        type=int,
        default=200,
        help="most rounds per benchmark (default 200; a round is >= 5 ms of calls)",
    )


def pytest_collect_file(file_path, parent):
    # a file named on the command line is collected by pytest itself
    if (
        file_path.suffix == ".py"
        and file_path.name.startswith("bench_")
        and not parent.session.isinitpath(file_path)
    ):
        return pytest.Module.from_parent(parent, path=file_path)
    return None


@pytest.fixture(scope="session")
def bench_settings(pytestconfig) -> Settings:
    return Settings(
        smoke=is_smoke(pytestconfig),
        budget=pytestconfig.getoption("--bench-time"),
        min_rounds=pytestconfig.getoption("--bench-min-rounds"),
        max_rounds=pytestconfig.getoption("--bench-max-rounds"),
    )


@pytest.fixture(scope="session")
def memory_limits() -> dict:
    """group -> per-call seconds of the memory limit measured in this run."""
    return {}


def pytest_configure(config):
    # --benchmark-compare warns when the saved run's machine_info differs (another machine,
    # a newer NumPy...): comparing across such changes is legitimate, so not an error here;
    # nor is a -k that selects nothing with --benchmark-json
    for message in ("Benchmark machine_info is different", "Not saving anything"):
        config.addinivalue_line(
            "filterwarnings", f"default:{message}:pytest_benchmark.logger.PytestBenchmarkWarning"
        )


def pytest_benchmark_update_machine_info(config, machine_info):
    machine_info["elu_numba_bench"] = environment()


def pytest_benchmark_update_json(config, benchmarks, output_json):
    output_json["elu_numba_run"] = {
        **runtime_info(),
        "bench_time": config.getoption("--bench-time"),
        "bench_max_rounds": config.getoption("--bench-max-rounds"),
    }
