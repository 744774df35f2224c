"""The machinery shared by the benchmark modules, ``targets.py`` and ``bench_crossover.py``.

* :data:`FUNCTIONS` -- every function of :data:`elu_numba._registry.ACTIVATIONS` (ReLU, the
  baseline, excluded) forward and as a gradient from ``x`` and from ``y``;
* :class:`Case` -- one function, dtype, size and mode (in place or out of place): one
  pytest-benchmark group;
* :data:`IMPLS` -- the implementations compared in every group (the memory limit first);
* :class:`Buffers` and :class:`Bench` -- input data, buffer rotation and the timed call.

How the numbers are kept honest:

* inputs are never constant: normal, half negative, clipped to [-20, 8], no zeros (the
  ``spread`` rows of ``targets.py`` repeat a tile of 4096 such values);
* every implementation is called (compiled) and checked against a float64 NumPy reference
  before it is timed;
* the arrays rotate: each call gets the next of ``K`` copies, ``K * bytes`` >= 4 x L3, so an
  array that fits in cache is not found there; an array larger than L3 has one copy;
* in-place calls change their input: the used copies are restored from a pristine array
  between rounds (not timed), and when that restore wrote more than L3/8 bytes, a flush
  buffer of 2 x L3 is read, so that the restore's dirty lines are not written back during
  the next timed call;
* a round is ``m`` calls on ``m`` different copies, long enough for the timer (>= 5 ms);
* preallocated outputs (raw kernels, memory limit) are touched before timing; "out of place"
  otherwise means what its users write: the call allocates its result;
* the memory limit runs serial or parallel by elu_numba's own rule (``PARALLEL_THRESHOLD``).
"""

from __future__ import annotations

import importlib
import importlib.metadata
import math
import os
import platform
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, lru_cache, partial
from typing import Any

import numba
import numpy as np
from numba import prange

import elu_numba
from elu_numba import _api, _cpu, cli
from elu_numba._math import SELU_ALPHA, SELU_SCALE
from elu_numba._options import jitable, kernel
from elu_numba._registry import ACTIVATIONS

BASELINE = "relu"  # the registry entry used as the baseline, not benchmarked as a function
ALPHA = 1.0  # ELU's alpha in every benchmark (the frameworks' default)
# CELU's: at alpha = 1 CELU is ELU, and elu_numba (as PyTorch) runs ELU's kernel there, so
# CELU's groups at 1 timed ELU again.  Until 2026-12-07 they did, and a float64 CELU ufunc
# that ran element by element at any other alpha went unseen (speed log, stop 43)
CELU_ALPHA = 1.7
DEFAULT_LOG2_SIZES = (10, 14, 18, 22)
BIGMEM_LOG2_SIZES = (26,)
DTYPES = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))
F16 = np.dtype(np.float16)
CHECK_ELEMENTS = 4096  # elements compared with the float64 reference before timing
_TOL = {"float16": 4e-3, "float32": 4e-6, "float64": 1e-12}


class Unsupported(Exception):
    """This implementation cannot run this case (a peer not installed, a dtype it lacks)."""


# -- the functions --------------------------------------------------------------------------
@dataclass(frozen=True)
class Function:
    act: Any  # elu_numba._registry.Activation
    which: str | None  # None: the forward function; "x" / "y": the gradient from x / from y

    @property
    def name(self) -> str:
        return self.act.name if self.which is None else f"{self.act.name}_grad_{self.which}"

    @property
    def arity(self) -> int:
        return 1 if self.which is None else 2

    @property
    def alpha(self) -> float:
        """The alpha of its benchmarks (and formulas; unused where the function has none)."""
        return CELU_ALPHA if self.act.name == "celu" else ALPHA

    @property
    def kernel_alpha(self) -> float:
        """The alpha the kernels get (``_api`` passes 1.0 where the function has none)."""
        return self.alpha if self.act.has_alpha else 1.0


FUNCTIONS = tuple(
    Function(act, which)
    for act in ACTIVATIONS.values()
    if act.name != BASELINE
    for which in (None, "x", "y")
)

_SA = SELU_SCALE * SELU_ALPHA
# The NumPy gradient formulas, as a NumPy user writes them (the registry holds the forward ones).
NUMPY_GRAD = {
    "elu": {
        "x": lambda g, x, a: np.where(x > 0, g, g * (a * np.exp(x))),
        "y": lambda g, y, a: np.where(y > 0, g, g * (y + a)),
    },
    "selu": {
        "x": lambda g, x, a: np.where(x > 0, g * SELU_SCALE, g * (_SA * np.exp(x))),
        "y": lambda g, y, a: np.where(y > 0, g * SELU_SCALE, g * (y + _SA)),
    },
    "celu": {
        "x": lambda g, x, a: np.where(x > 0, g, g * np.exp(x / a)),
        "y": lambda g, y, a: np.where(y > 0, g, g * (y / a + 1)),
    },
}
# The reference formula with expm1 in place of exp - 1.
NUMPY_EXPM1 = {
    "elu": lambda x, a: np.where(x > 0, x, a * np.expm1(x)),
    "selu": lambda x, a: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(x)),
    "celu": lambda x, a: np.where(x > 0, x, a * np.expm1(x / a)),
}


def numpy_formula(func: Function) -> Callable:
    """The reference NumPy formula of ``func``: f(x, alpha) or f(g, v, alpha)."""
    if func.which is None:
        return func.act.numpy_formula
    try:
        return NUMPY_GRAD[func.act.name][func.which]
    except KeyError:
        raise Unsupported(f"no NumPy gradient formula for {func.name} in _harness") from None


# -- the cases ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    func: Function
    dtype: np.dtype
    log2n: int
    inplace: bool

    @property
    def n(self) -> int:
        return 1 << self.log2n

    @property
    def mode(self) -> str:
        return "inplace" if self.inplace else "out"

    @property
    def bytes_per_call(self) -> int:
        """Bytes moved by one call: every input read once and the result written once."""
        return (self.func.arity + 1) * self.n * self.dtype.itemsize

    @property
    def id(self) -> str:
        """The test id part, e.g. ``elu-float32-2pow20-inplace`` (``-k`` refuses ``^``)."""
        return f"{self.func.name}-{self.dtype.name}-2pow{self.log2n}-{self.mode}"

    @property
    def group(self) -> str:
        return f"{self.func.name} {self.dtype.name} n=2^{self.log2n} {self.mode}"


def cases(log2_sizes, functions=FUNCTIONS, dtypes=DTYPES):
    """Every case, grouped so that in place and out of place of one size are neighbours."""
    for func in functions:
        for dtype in dtypes:
            for k in log2_sizes:
                for inplace in (True, False):
                    yield Case(func, np.dtype(dtype), k, inplace)


def find_function(name: str) -> Function:
    for f in FUNCTIONS:
        if f.name == name:
            return f
    raise KeyError(f"no function {name!r}; known: {[f.name for f in FUNCTIONS]}")


# -- input data -----------------------------------------------------------------------------
@lru_cache(maxsize=2)
def _normal(log2n: int, kind: str) -> np.ndarray:
    """float64 data: x ~ N(0, 2) clipped to [-20, 8] (half negative), g ~ N(0, 1)."""
    rng = np.random.default_rng([log2n, 0 if kind == "x" else 1])
    if kind == "x":
        v = rng.normal(0.0, 2.0, 1 << log2n)
        np.clip(v, -20.0, 8.0, out=v)
    else:
        v = rng.normal(0.0, 1.0, 1 << log2n)
    return v


def _cast(v: np.ndarray, dtype: np.dtype) -> np.ndarray:
    a = v.astype(dtype)
    a[a == 0] = 0.5  # never zeros (float16 rounds the tiniest values to 0)
    return a


@lru_cache(maxsize=1)
def pristine(func: Function, dtype: np.dtype, log2n: int) -> tuple[np.ndarray, ...]:
    """The inputs of a case in its dtype: (x,) or (g, x) or (g, y) with y = f(x)."""
    x = _normal(log2n, "x")
    if func.which is None:
        return (_cast(x, dtype),)
    g = _cast(_normal(log2n, "g"), dtype)
    if func.which == "x":
        return (g, _cast(x, dtype))
    x = _cast(x, dtype).astype(np.float64)
    return (g, _cast(func.act.numpy_formula(x, func.alpha), dtype))


def expected(case: Case, checks: str, inputs: tuple[np.ndarray, ...]) -> np.ndarray:
    """What an implementation must return, in float64, for ``inputs`` (in the case's dtype)."""
    a64 = [np.asarray(a, dtype=np.float64) for a in inputs]
    if checks == "function":
        return numpy_formula(case.func)(*a64, case.func.alpha)
    if checks == "relu":
        if case.func.arity == 1:
            return np.maximum(a64[0], 0.0)
        return np.where(a64[1] > 0, a64[0], 0.0)
    if checks == "limit":
        if case.func.arity == 1:
            return -a64[0]
        if case.dtype == F16:
            return np.where(np.signbit(a64[1]), -a64[0], a64[0])
        return a64[0] * a64[1]
    raise ValueError(checks)


# -- the machine ----------------------------------------------------------------------------
@cache
def l3_bytes() -> int:
    """Size of the last-level (L3) cache, from sysfs (``elu_numba.cli.l3_bytes``); 32 MiB
    when it cannot be read."""
    return cli.l3_bytes() or 32 << 20


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment() -> dict:
    """What results depend on besides the code, known before anything runs.

    Stored as the JSON's ``machine_info``, which ``--benchmark-compare`` compares with the
    saved run's: nothing here may change while the suite runs.
    """
    info = {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "l3_bytes": l3_bytes(),
        "python": platform.python_version(),
        "elu_numba": elu_numba.__version__,
        "numba": numba.__version__,
        "numpy": np.__version__,
        "numba_threads": numba.get_num_threads(),
        "parallel_threshold": _cpu.PARALLEL_THRESHOLD,
    }
    tuning = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "OMP_NUM_THREADS", "NUMBA_NUM_THREADS")
    tuning += ("NUMBA_THREADING_LAYER", "MKL_NUM_THREADS", "XLA_FLAGS")
    info["env"] = {k: os.environ[k] for k in tuning if k in os.environ}
    for peer in ("torch", "numexpr", "jax"):
        try:
            info[peer] = importlib.metadata.version(peer)
        except importlib.metadata.PackageNotFoundError:
            pass
    return info


def runtime_info() -> dict:
    """What is known once the kernels ran: Numba's threading layer, the peers' threads."""
    info = {}
    try:
        info["numba_threading_layer"] = numba.threading_layer()
    except ValueError:
        info["numba_threading_layer"] = "not started"
    if "torch" in sys.modules:
        info["torch_threads"] = sys.modules["torch"].get_num_threads()
    if "numexpr" in sys.modules:
        info["numexpr_threads"] = sys.modules["numexpr"].get_num_threads()
    return info


# -- the memory limit -------------------------------------------------------------------------
@jitable
def _scale(x, a):
    return x * a


@jitable
def _mul(g, v, unused):
    return g * v


@cache
def limit_kernel(op: str, parallel: bool, inplace: bool):
    """The memory-limit loop ``op``: "scale" (x * a: one array read, one written) and "mul"
    (g * v: two read, one written) run in elu_numba's own CPU loop (``_cpu._unary`` /
    ``_binary``: blocks, prefetch), with one multiply as the arithmetic (on the Intel VM of
    2026-12-02 a plain prange scale over 2^26 float32 values in place took 15 ms, this loop
    10.7 ms: ``python benchmarks/prefetch.py``); "scale-plain" and "mul-plain" the same
    arithmetic in a plain prange loop over the elements, which can be the faster of the two
    (the AMD EPYC Zen 3 VM of 2026-12-07: ``LIMIT_PLAIN``); each takes a last scalar
    argument (unused by "mul").  "flip" and "signmul" work on float16 bits (Numba has no
    float16 arithmetic) in plain prange loops."""
    rng = prange if parallel else range
    if op == "scale":
        return _cpu._unary(_scale, parallel, "inplace" if inplace else "out")
    if op == "mul":
        return _cpu._binary(_mul, parallel, "inplace" if inplace else "out")
    if op == "scale-plain":  # the same arithmetic in a plain (prange) loop over the elements
        if inplace:

            @kernel(parallel)
            def loop(x, a):
                for i in rng(x.size):
                    x[i] *= a

        else:

            @kernel(parallel)
            def loop(x, out, a):
                for i in rng(x.size):
                    out[i] = x[i] * a

    elif op == "mul-plain":
        if inplace:

            @kernel(parallel)
            def loop(g, v, unused):
                for i in rng(g.size):
                    g[i] *= v[i]

        else:

            @kernel(parallel)
            def loop(g, v, out, unused):
                for i in rng(g.size):
                    out[i] = g[i] * v[i]

    elif op == "flip":  # float16 x * -1 on the raw bits (Numba has no float16 arithmetic)
        if inplace:

            @kernel(parallel)
            def loop(x, m):
                for i in rng(x.size):
                    x[i] ^= m

        else:

            @kernel(parallel)
            def loop(x, out, m):
                for i in rng(x.size):
                    out[i] = x[i] ^ m

    elif op == "signmul":  # float16 g * sign(v) on the raw bits
        if inplace:

            @kernel(parallel)
            def loop(g, v, m):
                for i in rng(g.size):
                    g[i] ^= v[i] & m

        else:

            @kernel(parallel)
            def loop(g, v, out, m):
                for i in rng(g.size):
                    out[i] = g[i] ^ (v[i] & m)

    else:
        raise ValueError(op)
    return loop


def limit_is_parallel(n: int) -> bool:
    """The memory limit runs serial or parallel by elu_numba's own rule (``_api._launch``)."""
    return n >= _cpu.PARALLEL_THRESHOLD and _api._num_threads() > 1


@kernel(True)
def _touch(a):
    s = 0
    for i in prange(a.size):
        s += a[i]
    return s


@cache
def _flush_buffer() -> np.ndarray:
    return np.ones(2 * l3_bytes() // 8, dtype=np.int64)


def flush_caches() -> None:
    """Read 2 x L3 of other data: evicts (and writes back) whatever was in the caches."""
    _touch(_flush_buffer())


# -- the implementations --------------------------------------------------------------------
@dataclass
class Built:
    """An implementation bound to a case: ``call(*inputs[, out], *extra)``."""

    call: Callable
    convert: Callable | None = None  # numpy row -> the peer's array (shared memory or a copy)
    needs_out: bool = False  # call takes a preallocated output row after the inputs
    extra: tuple = ()  # trailing arguments (alpha)


@dataclass(frozen=True)
class Impl:
    id: str
    label: str
    family: str  # "limit", "elu_numba", "numpy", "baseline", "peer"
    checks: str  # what it computes: "function", "relu" or "limit"
    build: Callable[[Case], Built]
    applies: Callable[[Case], bool] = field(default=lambda case: True)


def _import_peer(name: str):
    """A peer module, imported with its import-time warnings silenced; Unsupported if absent."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return importlib.import_module(name)
    except ImportError:
        raise Unsupported(f"{name} is not installed (pip install elu_numba[peers])") from None


def _build_limit(case: Case, plain: bool = False) -> Built:
    parallel = limit_is_parallel(case.n)
    unary = case.func.arity == 1
    if case.dtype == F16:
        op = "flip" if unary else "signmul"
        extra = (np.uint16(0x8000),)
        convert = _u16
    else:
        op = ("scale" if unary else "mul") + ("-plain" if plain else "")
        extra = (case.dtype.type(-1.0 if unary else 1.0),)
        convert = None
    loop = limit_kernel(op, parallel, case.inplace)
    return Built(loop, convert, needs_out=not case.inplace, extra=extra)


def _u16(a):
    return a.view(np.uint16)


def _build_public(case: Case) -> Built:
    """elu_numba's public function, as a user calls it (out=x in place, allocating otherwise)."""
    act, which, a = case.func.act, case.func.which, case.func.alpha
    if which is None:
        f = act.forward
        if act.has_alpha:
            call = (lambda x: f(x, a, out=x)) if case.inplace else (lambda x: f(x, a))
        else:
            call = (lambda x: f(x, out=x)) if case.inplace else f
        return Built(call)
    return Built(_grad_call(act.grad, which, a if act.has_alpha else None, case.inplace))


def _grad_call(gf, which, alpha, inplace):
    """``gf(g, x=v)`` or ``gf(g, y=v)``, with ``alpha=alpha`` unless alpha is None."""
    kw = {"alpha": alpha} if alpha is not None else {}
    if which == "x":
        if inplace:
            return lambda g, v: gf(g, x=v, out=g, **kw)
        return lambda g, v: gf(g, x=v, **kw)
    if inplace:
        return lambda g, v: gf(g, y=v, out=g, **kw)
    return lambda g, v: gf(g, y=v, **kw)


def _build_raw(parallel: bool):
    def build(case: Case) -> Built:
        loop = _cpu.loops(case.func.name, parallel, "inplace" if case.inplace else "out")
        alpha = case.dtype.type(case.func.kernel_alpha)
        return Built(loop, needs_out=not case.inplace, extra=(alpha,))

    return build


def _build_ufunc(case: Case) -> Built:
    from elu_numba import ufuncs

    u = getattr(ufuncs, case.func.name)
    extra = (case.func.alpha,) if u.nin == case.func.arity + 1 else ()
    if case.inplace:
        if case.func.arity == 1:
            return Built(lambda x, *e: u(x, *e, out=x), extra=extra)
        return Built(lambda g, v, *e: u(g, v, *e, out=g), extra=extra)
    return Built(u, extra=extra)


def _numpy_builder(formula_of: Callable[[Function], Callable]):
    def build(case: Case) -> Built:
        f, a = formula_of(case.func), case.func.alpha
        if case.func.arity == 1:
            call = (lambda x: np.copyto(x, f(x, a))) if case.inplace else (lambda x: f(x, a))
        else:
            call = (
                (lambda g, v: np.copyto(g, f(g, v, a)))
                if case.inplace
                else (lambda g, v: f(g, v, a))
            )
        return Built(call)

    return build


def _expm1_formula(func: Function) -> Callable:
    try:
        return NUMPY_EXPM1[func.act.name]
    except KeyError:
        raise Unsupported(f"no NumPy expm1 formula for {func.name} in _harness") from None


def _build_relu_numpy(case: Case) -> Built:
    if case.func.arity == 1:
        if case.inplace:
            return Built(lambda x: np.maximum(x, 0, out=x))
        return Built(lambda x: np.maximum(x, 0))
    if case.inplace:
        return Built(lambda g, v: np.multiply(g, v > 0, out=g))
    return Built(lambda g, v: g * (v > 0))


def _build_relu_public(case: Case) -> Built:
    relu = ACTIVATIONS[BASELINE]
    if case.func.arity == 1:
        f = relu.forward
        return Built((lambda x: f(x, out=x)) if case.inplace else f)
    return Built(_grad_call(relu.grad, case.func.which, None, case.inplace))


def _build_torch(case: Case) -> Built:
    torch = _import_peer("torch")
    F = torch.nn.functional
    name, which, a, ip = case.func.act.name, case.func.which, case.func.alpha, case.inplace
    if which is None:
        fwd = {
            "elu": lambda t: F.elu(t, a, inplace=ip),
            "selu": lambda t: F.selu(t, inplace=ip),
            "celu": lambda t: F.celu(t, a, inplace=ip),
        }
        if name not in fwd:
            raise Unsupported(f"no PyTorch function for {name}")
        return Built(fwd[name], convert=torch.from_numpy)
    # autograd's own backward kernel: elu_backward(grad, alpha, scale, input_scale, is_result, v)
    params = {"elu": (a, 1.0, 1.0), "selu": (SELU_ALPHA, SELU_SCALE, 1.0), "celu": (a, 1.0, 1 / a)}
    if name not in params:
        raise Unsupported(f"no PyTorch backward for {name}")
    al, sc, isc = params[name]
    is_result = which == "y"
    eb = torch.ops.aten.elu_backward
    if ip:
        into = eb.grad_input
        call = lambda g, v: into(g, al, sc, isc, is_result, v, grad_input=g)  # noqa: E731
    else:
        call = lambda g, v: eb(g, al, sc, isc, is_result, v)  # noqa: E731
    return Built(call, convert=torch.from_numpy)


_NE_FORWARD = {
    "elu": "where(x > 0, x, a * expm1(x))",
    "selu": "where(x > 0, s * x, sa * expm1(x))",
    "celu": "where(x > 0, x, a * expm1(x / a))",
}
_NE_GRAD = {
    ("elu", "x"): "where(v > 0, g, g * a * exp(v))",
    ("elu", "y"): "where(v > 0, g, g * (v + a))",
    ("selu", "x"): "where(v > 0, g * s, g * sa * exp(v))",
    ("selu", "y"): "where(v > 0, g * s, g * (v + sa))",
    ("celu", "x"): "where(v > 0, g, g * exp(v / a))",
    ("celu", "y"): "where(v > 0, g, g * (v / a + one))",
}


def _build_numexpr(case: Case) -> Built:
    ne = _import_peer("numexpr")
    name, which, t = case.func.act.name, case.func.which, case.dtype.type
    # constants as scalars of the array's dtype: a Python float would promote float32 to float64
    consts = {"a": t(case.func.alpha), "s": t(SELU_SCALE), "sa": t(_SA), "one": t(1.0)}
    if which is None:
        if name not in _NE_FORWARD:
            raise Unsupported(f"no numexpr expression for {name}")
        expr = _NE_FORWARD[name]
        if case.inplace:
            return Built(lambda x: ne.evaluate(expr, local_dict={"x": x, **consts}, out=x))
        return Built(lambda x: ne.evaluate(expr, local_dict={"x": x, **consts}))
    if (name, which) not in _NE_GRAD:
        raise Unsupported(f"no numexpr expression for {case.func.name}")
    expr = _NE_GRAD[name, which]
    if case.inplace:
        return Built(lambda g, v: ne.evaluate(expr, local_dict={"g": g, "v": v, **consts}, out=g))
    return Built(lambda g, v: ne.evaluate(expr, local_dict={"g": g, "v": v, **consts}))


def _jax():
    jax = _import_peer("jax")
    jax.config.update("jax_enable_x64", True)  # float64 arrays stay float64
    return jax


def _build_jax(case: Case) -> Built:
    jax = _jax()
    jnp = jax.numpy
    name, which, a = case.func.act.name, case.func.which, case.func.alpha
    fwd = {
        "elu": lambda t: jax.nn.elu(t, a),
        "selu": jax.nn.selu,
        "celu": lambda t: jax.nn.celu(t, a),
    }
    if name not in fwd:
        raise Unsupported(f"no JAX function for {name}")
    if which is None:
        f = jax.jit(fwd[name])
    elif which == "x":  # what jax.grad runs: the VJP of the forward function
        f = jax.jit(lambda g, x: jax.vjp(fwd[name], x)[1](g)[0])
    else:  # JAX has no gradient from the output: the formula, jitted
        from_y = {
            "elu": lambda g, y: jnp.where(y > 0, g, g * (y + a)),
            "selu": lambda g, y: jnp.where(y > 0, g * SELU_SCALE, g * (y + _SA)),
            "celu": lambda g, y: jnp.where(y > 0, g, g * (y / a + 1)),
        }
        f = jax.jit(from_y[name])
    return Built(lambda *args: f(*args).block_until_ready(), convert=jax.device_put)


LIMIT = Impl("memory-limit", "memory limit (scale)", "limit", "limit", _build_limit)
# The same arithmetic in a plain prange loop over the elements (no blocks, no prefetch):
# faster than LIMIT's loop on some machines (the AMD EPYC Zen 3 VM, 2026-12-07), so the
# targets of issue #3 time both and divide by the faster (``targets.py``).  Not a column of
# the suite's groups.  float16's limit loops are plain prange loops already.
LIMIT_PLAIN = Impl(
    "memory-limit-plain",
    "memory limit (scale), plain prange loop",
    "limit",
    "limit",
    partial(_build_limit, plain=True),
    applies=lambda case: case.dtype != F16,
)
PUBLIC = Impl("elu_numba", "elu_numba", "elu_numba", "function", _build_public)
RAW_PARALLEL = Impl(
    "njit-parallel",
    "njit kernel, parallel",
    "elu_numba",
    "function",
    _build_raw(True),
    applies=lambda case: case.dtype != F16,  # the kernels take float32 / float64
)
RAW_SERIAL = Impl(
    "njit-serial",
    "njit kernel, serial",
    "elu_numba",
    "function",
    _build_raw(False),
    applies=lambda case: case.dtype != F16,
)
IMPLS = (
    LIMIT,
    PUBLIC,
    RAW_PARALLEL,
    RAW_SERIAL,
    Impl("ufunc", "@vectorize ufunc", "elu_numba", "function", _build_ufunc),
    Impl("numpy", "NumPy where/exp-1", "numpy", "function", _numpy_builder(numpy_formula)),
    Impl(
        "numpy-expm1",
        "NumPy where/expm1",
        "numpy",
        "function",
        _numpy_builder(_expm1_formula),
        applies=lambda case: case.func.which is None,
    ),
    Impl("relu-numpy", "ReLU, NumPy", "baseline", "relu", _build_relu_numpy),
    Impl("relu-elu_numba", "ReLU, elu_numba", "baseline", "relu", _build_relu_public),
    Impl("torch", "PyTorch", "peer", "function", _build_torch),
    Impl(
        "numexpr",
        "numexpr",
        "peer",
        "function",
        _build_numexpr,
        applies=lambda case: case.dtype != F16,  # numexpr has no float16
    ),
    Impl(
        "jax",
        "JAX (jit)",
        "peer",
        "function",
        _build_jax,
        applies=lambda case: not case.inplace,  # JAX arrays are immutable
    ),
)
IMPLS_BY_ID = {impl.id: impl for impl in (*IMPLS, LIMIT_PLAIN)}


# -- buffers and the timed call --------------------------------------------------------------
@dataclass
class Settings:
    smoke: bool = False  # benchmarks disabled: one call each, small buffers, no flush
    budget: float = 0.04  # seconds of timed calls per benchmark
    min_rounds: int = 3
    max_rounds: int = 200
    round_time: float = 5e-3  # a round lasts at least this long (m calls)
    footprint: int = field(default_factory=lambda: 4 * l3_bytes())  # bytes the rotation spans
    # cache-resident: two copies, no cache flush, so every call finds its data in the cache
    # (the L3 at least) -- the compute cost rather than the memory traffic
    resident: bool = False
    # with resident (in place only): one copy, restored before each call as a parallel
    # producer leaves its output, each of Numba's threads writing the share a parallel loop
    # gives it, from a tile of SPREAD_TILE values (``_spread_fill``).  The plain restore
    # writes both copies from the main thread, so a call finds one thread's share in the
    # other core's cache or in the L3.
    spread: bool = False


SPREAD_TILE = 4096  # values the spread restore repeats (16-32 KiB: it reads from L1)


@numba.njit(parallel=True)
def _spread_fill(dst, tile):
    """``dst[i] = tile[i % tile.size]`` (a power of two), each of Numba's threads writing
    one of ``numba.get_num_threads()`` equal parts of ``dst``, in order: the split that
    prange's static schedule gives a loop over ``dst`` (PyTorch's ``parallel_for`` splits
    alike), so each part lies in the cache of the thread that will read it.  The tile
    stays in L1: reading a whole pristine array as well (2 MiB per thread at 2^20 float32)
    evicted half of the copy from a 2 MiB L2 (2026-12-06)."""
    nt = numba.get_num_threads()
    part = (dst.size + nt - 1) // nt
    m = tile.size - 1
    for t in prange(nt):
        for i in range(t * part, min(dst.size, (t + 1) * part)):
            dst[i] = tile[i & m]


class Buffers:
    """``K`` copies of a case's inputs (and outputs), rotated through by every Bench on them."""

    def __init__(self, case: Case, settings: Settings):
        self.case = case
        self.settings = settings
        self.pristine = pristine(case.func, case.dtype, case.log2n)
        if settings.spread:
            if not (settings.resident and case.inplace):
                raise Unsupported("the spread restore is for cache-resident in-place cases")
            # the inputs repeat a tile, which _spread_fill restores without another array
            t = min(SPREAD_TILE, case.n)
            self.tiles = tuple(np.ascontiguousarray(p[:t]) for p in self.pristine)
            self.pristine = tuple(np.resize(p, case.n) for p in self.tiles)
        per_call = case.bytes_per_call
        if settings.smoke:
            self.k = 1
        elif settings.resident:
            arrays = case.n * case.dtype.itemsize * len(self.pristine)
            if 3 * arrays > l3_bytes() // 2:  # two copies and the pristine input, half the L3
                raise Unsupported(f"{case.id} does not fit in the cache ({l3_bytes()} bytes)")
            # spread: one copy, restored before every call (two would not fit in a 2 MiB L2
            # per core at 2^20 float32: the second restore evicted the first copy's shares)
            self.k = 1 if settings.spread else 2
        elif per_call > l3_bytes():
            self.k = 1
        else:
            self.k = max(2, math.ceil(settings.footprint / per_call))
        self.inputs = []
        for p in self.pristine:
            block = np.empty((self.k, case.n), dtype=case.dtype)
            block[...] = p
            self.inputs.append(block)
        self._out = None
        self.pos = 0  # the next copy to use, shared by every Bench on these buffers

    @property
    def out(self) -> np.ndarray:
        if self._out is None:
            out = np.empty((self.k, self.case.n), dtype=self.case.dtype)
            out.fill(0)  # touch every page now (np.zeros maps them lazily: faults in the timing)
            self._out = out
        return self._out

    def rows(self, needs_out: bool) -> list[tuple[np.ndarray, ...]]:
        blocks = [*self.inputs, self.out] if needs_out else self.inputs
        return [tuple(b[i] for b in blocks) for i in range(self.k)]

    def restore(self, start: int, stop: int) -> None:
        """Copies start..stop were used: put back the pristine input of an in-place call."""
        if stop <= start:
            return
        if self.case.inplace and self.settings.spread:
            for row in self.inputs[0][start:stop]:
                _spread_fill(row, self.tiles[0])
        elif self.case.inplace:
            self.inputs[0][start:stop] = self.pristine[0]
            written = (stop - start) * self.case.n * self.case.dtype.itemsize
            if not (self.settings.smoke or self.settings.resident) and written > l3_bytes() // 8:
                flush_caches()


_current: list = [None]  # the Buffers of the case being benchmarked (one at a time)


def buffers_for(case: Case, settings: Settings) -> Buffers:
    cur = _current[0]
    if cur is not None and cur.case == case and cur.settings is settings:
        return cur
    _current[0] = None  # free the previous case's arrays first
    _current[0] = Buffers(case, settings)
    return _current[0]


class Bench:
    """One implementation on one case: verify, warm up, then ``target``/``teardown`` rounds."""

    def __init__(self, case: Case, impl: Impl, settings: Settings, buffers: Buffers | None = None):
        self.case, self.impl, self.settings = case, impl, settings
        built = impl.build(case)  # raises Unsupported
        self.built = built
        self.buffers = buffers if buffers is not None else buffers_for(case, settings)
        rows = self.buffers.rows(built.needs_out)
        conv = built.convert
        if conv is not None:
            rows = [tuple(conv(a) for a in r) for r in rows]
        self.args = [(*r, *built.extra) for r in rows]
        self.call = built.call
        self.m = 1  # calls per round
        self._start = self.buffers.pos

    # the pytest-benchmark pedantic pair
    def target(self):
        b = self.buffers
        i = b.pos
        b.pos = i + 1
        return self.call(*self.args[i])

    def teardown(self) -> None:
        b = self.buffers
        b.restore(self._start, b.pos)
        if b.pos + self.m > b.k:
            b.pos = 0
        self._start = b.pos

    def round(self, m: int) -> float:
        """Time m calls on m different copies (with perf_counter); restore afterwards."""
        self.m = m
        self.teardown()
        t0 = time.perf_counter()
        for _ in range(m):
            self.target()
        t = time.perf_counter() - t0
        self.teardown()
        return t

    def verify(self) -> None:
        """One call (it compiles) on a fresh copy, compared with the float64 reference."""
        self.m = 1
        self.teardown()
        i = self.buffers.pos
        res = self.target()
        if res is None:  # a kernel that writes into its output row or its first input
            args = self.args[i]
            res = args[self.case.func.arity] if self.built.needs_out else args[0]
        got = np.array(np.asarray(res).reshape(-1)[:CHECK_ELEMENTS])  # a copy: restore follows
        if self.built.convert is _u16:
            got = got.view(np.float16)
        self.teardown()
        inputs = tuple(p[:CHECK_ELEMENTS] for p in self.buffers.pristine)
        want = expected(self.case, self.impl.checks, inputs)
        tol = _TOL[self.case.dtype.name]
        np.testing.assert_allclose(
            got.astype(np.float64),
            want,
            rtol=tol,
            atol=tol,
            err_msg=f"{self.impl.id} computes something else on {self.case.id}",
        )

    def plan(self) -> tuple[int, int]:
        """Choose (rounds, calls per round) for the time budget (after verify() compiled)."""
        s = self.settings
        t1 = self.round(1)
        if t1 < s.round_time:  # cheap: look twice
            t1 = min(t1, self.round(1))
        m = max(1, min(self.buffers.k, math.ceil(s.round_time / max(t1, 1e-9))))
        per_call = self.round(m) / m if m > 1 else t1  # a slow call needs no second look
        rounds = int(s.budget / max(per_call * m, 1e-9))
        return max(s.min_rounds, min(s.max_rounds, rounds)), m

    def measure(self, rounds: int | None = None) -> np.ndarray:
        """Per-call seconds of each round, timed here (for scripts, not pytest-benchmark)."""
        planned, m = self.plan()
        return np.array([self.round(m) / m for _ in range(rounds or planned)])


# Seconds of untimed rounds before each timed one in ``targets.py`` (``interleaved``): after
# a call on 2^20 float32 values the other threads of PyTorch's OpenMP team stayed on the CPU
# for 9.85 ms, elu_numba's (Numba's GNU OpenMP team) for 8.40 ms (``python
# benchmarks/wakeup.py --spin``, AMD EPYC Zen 3 VM, 2026-12-08).  A pause instead (sleep)
# let the cores go idle, and the next calls were slower still (docs/speed-log.md, stop 48).
SETTLE = 0.03


def interleaved(benches: list[Bench], rounds: int, settle: float = 0.0) -> list[np.ndarray]:
    """Rounds of each Bench taken in turn (A B A B ...): the ratio survives a noisy machine.

    Each timed round follows untimed ones of the same Bench, at least one and as many as
    fit in ``settle`` seconds, which absorb what the other side left behind: PyTorch's
    OpenMP threads spin on the cores for a while after a call, and a kernel timed right
    after it took 20% longer on 2^20 values in the cache (AMD Zen 5 VM, 2026-12-02).  The
    spinning lasts about 10 ms (``SETTLE``); the cores stay busy meanwhile, so that the
    timed round does not find them waking from idle."""
    plans = [b.plan() for b in benches]
    m = min(p[1] for p in plans)
    times: list[list[float]] = [[] for _ in benches]
    for _ in range(rounds):
        for b, t in zip(benches, times, strict=True):
            start = time.perf_counter()
            b.round(m)
            while time.perf_counter() - start < settle:
                b.round(m)
            t.append(b.round(m) / m)
    return [np.array(t) for t in times]


# -- the pytest side (duck-typed config, so that this module does not need pytest) ----------
def is_smoke(config) -> bool:
    """True when pytest-benchmark is disabled: every benchmark is one checked call."""
    return config._benchmarksession.disabled


def log2_sizes(config) -> list[tuple[int, bool]]:
    """(log2 size, bigmem) pairs for this run: --bench-sizes, the defaults, -m bigmem."""
    opt = config.getoption("--bench-sizes")
    if opt:
        sizes = [(int(s), int(s) in BIGMEM_LOG2_SIZES) for s in opt.split(",") if s.strip()]
    else:
        sizes = [(k, False) for k in DEFAULT_LOG2_SIZES]
        if "bigmem" in (config.option.markexpr or ""):
            sizes += [(k, True) for k in BIGMEM_LOG2_SIZES]
    return [min(sizes)] if is_smoke(config) and sizes else sizes


# -- what every result carries ---------------------------------------------------------------
def case_info(case: Case, impl: Impl, buffers: Buffers | None = None) -> dict:
    info = {
        "kind": "throughput",
        "function": case.func.name,
        "activation": case.func.act.name,
        "which": case.func.which or "",
        "dtype": case.dtype.name,
        "n": case.n,
        "log2n": case.log2n,
        "mode": case.mode,
        "impl": impl.id,
        "label": impl.label,
        "family": impl.family,
        "bytes_per_call": case.bytes_per_call,
        "alpha": case.func.alpha,
    }
    if buffers is not None:
        info["buffers"] = buffers.k
    if impl is LIMIT:
        info["parallel"] = limit_is_parallel(case.n)
    return info


def throughput_info(case: Case, seconds: float, limit_seconds: float | None) -> dict:
    info = {
        "stat": "median",
        "seconds": seconds,
        "elements_per_s": case.n / seconds,
        "bytes_per_s": case.bytes_per_call / seconds,
    }
    if limit_seconds:
        info["memory_limit_s"] = limit_seconds
        info["ratio_to_memory_limit"] = seconds / limit_seconds
    return info
