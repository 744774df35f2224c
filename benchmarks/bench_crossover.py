"""The serial/parallel crossover: from which size on the prange kernel beats the serial one.

As pytest benchmarks (one group per kernel, ``extra_info["kind"] == "crossover"``; the report
finds the crossover in the JSON) and as a script that measures both kernels interleaved and
prints the table and the size to use for ``elu_numba._cpu.PARALLEL_THRESHOLD``::

    python benchmarks/bench_crossover.py [--sizes 8-20] [--rounds 15] [--kernels elu:float32 ...]
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
import pytest

import _harness as h
import report

LOG2_SIZES = tuple(range(8, 21))  # 2^8 .. 2^20
KERNELS = (("elu", "float32"), ("elu", "float64"), ("elu_grad_y", "float32"))
VARIANTS = (h.RAW_SERIAL, h.RAW_PARALLEL)


def crossover_cases(log2_sizes=LOG2_SIZES, kernels=KERNELS):
    for name, dtype in kernels:
        for k in log2_sizes:
            yield h.Case(h.find_function(name), np.dtype(dtype), k, True)


def pytest_generate_tests(metafunc):
    if "xcase" not in metafunc.fixturenames:
        return
    sizes = LOG2_SIZES[:1] if h.is_smoke(metafunc.config) else LOG2_SIZES
    params = [
        pytest.param(case, impl, id=f"{case.id}-{impl.id}")
        for case in crossover_cases(sizes)
        for impl in VARIANTS
    ]
    metafunc.parametrize(("xcase", "impl"), params)


def test_crossover(benchmark, xcase, impl, bench_settings):
    bench = h.Bench(xcase, impl, bench_settings)
    bench.verify()
    f = xcase.func.name
    benchmark.group = f"crossover {f} {xcase.dtype.name} {xcase.mode}"
    benchmark.extra_info.update(
        {**h.case_info(xcase, impl, bench.buffers), "kind": "crossover", "function": f}
    )
    if bench_settings.smoke:
        benchmark.pedantic(bench.target, rounds=1)
        bench.teardown()
        return
    rounds, m = bench.plan()
    benchmark.pedantic(bench.target, teardown=bench.teardown, rounds=rounds, iterations=m)
    benchmark.extra_info.update(h.throughput_info(xcase, benchmark.stats.stats.median, None))


def _sizes(text: str) -> list[int]:
    lo, _, hi = text.partition("-")
    return list(range(int(lo), int(hi or lo) + 1))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="serial vs parallel kernel, interleaved")
    ap.add_argument("--sizes", default=f"{LOG2_SIZES[0]}-{LOG2_SIZES[-1]}", help="log2 range")
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument(
        "--kernels",
        nargs="+",
        default=[f"{n}:{d}" for n, d in KERNELS],
        help="function:dtype, e.g. celu_grad_x:float64 (default: the pytest groups' three)",
    )
    args = ap.parse_args(argv)
    kernels = [tuple(k.split(":")) for k in args.kernels]
    settings = h.Settings()
    print(f"PARALLEL_THRESHOLD now: {report.fmt_n(h._cpu.PARALLEL_THRESHOLD)}; {h.environment()}")
    by_kernel: dict[tuple, list] = {}
    for case in crossover_cases(_sizes(args.sizes), kernels):
        benches = [h.Bench(case, v, settings) for v in VARIANTS]
        for b in benches:
            b.verify()
        serial, parallel = (float(np.median(t)) for t in h.interleaved(benches, args.rounds))
        by_kernel.setdefault((case.func.name, case.dtype.name), []).append(
            (case.n, serial, parallel)
        )
        print(
            f"{case.id:32s} serial {report.fmt_time(serial):>10s}  "
            f"parallel {report.fmt_time(parallel):>10s}  ratio {parallel / serial:.2f}",
            flush=True,
        )
    for (name, dtype), pts in by_kernel.items():
        c = report.crossover(pts)
        print(f"{name} {dtype}: parallel faster from {report.fmt_n(c) if c else 'never'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
