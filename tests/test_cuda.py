"""The CUDA path (elu_numba.cuda): every function on device arrays, against the CPU functions.

The CPU results are the reference (their accuracy is tested in test_accuracy.py).  The CUDA
tests run under the CUDA simulator, in a process of their own (the variable must be set
before numba.cuda is first imported)::

    NUMBA_ENABLE_CUDASIM=1 python -m pytest tests/test_cuda.py

or on a machine with a GPU (without the variable).  Elsewhere they skip.  The simulator runs
the pure-Python ``_math`` functions in NumPy scalar arithmetic, so it checks the kernels'
logic (indexing, grid-stride loops, in place, out=, dtypes, errors), not the GPU's rounding;
``test_kernels_compile_for_the_gpu`` compiles every kernel for a real GPU (sm_90 PTX, no GPU
needed) in a separate process.  A few tests at the end need no CUDA at all: laziness of the
import and the errors without numba-cuda or without a GPU.
"""

from __future__ import annotations

import ctypes.util
import importlib.util
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import elu_numba as en
from elu_numba import _cuda_kernels
from elu_numba._registry import ACTIVATIONS

from .conftest import ACTS, edge_values, random_values

# elu_numba.cuda, loaded by path: with numba-cuda 0.30.4 installed ``import elu_numba.cuda``
# recurses in its import hook (see _cuda_kernels.cuda_module); once loaded, pytest's doctest
# collection of src/elu_numba/cuda.py finds it in sys.modules.
cm = _cuda_kernels.cuda_module()

SIM = os.environ.get("NUMBA_ENABLE_CUDASIM", "0") not in ("", "0")
HAS_NUMBA_CUDA = importlib.util.find_spec("numba_cuda") is not None


def _cuda_usable() -> bool:
    if not HAS_NUMBA_CUDA:
        return False
    if not SIM and ctypes.util.find_library("cuda") is None:
        return False  # no driver: do not even import numba.cuda in a CPU-only run
    return _cuda_kernels.numba_cuda().is_available()


CUDA = _cuda_usable()
REAL_GPU = CUDA and not SIM
needs_cuda = pytest.mark.skipif(
    not CUDA, reason="needs numba-cuda and a GPU, or NUMBA_ENABLE_CUDASIM=1"
)

if SIM:  # the simulator computes in NumPy scalars: overflow to inf (right) warns there only
    pytestmark = pytest.mark.filterwarnings("ignore:.*encountered in:RuntimeWarning")

FLOATS = (np.float16, np.float32, np.float64)
MAXULP = {np.float16: 1, np.float32: 1, np.float64: 2}  # vs the CPU (see assert_matches)
GRAD_NAMES = [f"{a.name}_grad_{w}" for a in ACTS for w in "xy"]


@pytest.fixture(scope="module")
def cuda():
    if not CUDA:
        pytest.skip("needs numba-cuda and a GPU, or NUMBA_ENABLE_CUDASIM=1")
    return _cuda_kernels.numba_cuda()


@pytest.fixture
def no_launch(monkeypatch):
    """Make any kernel launch fail the test: errors must come before it."""

    def launch(*args, **kwargs):
        raise AssertionError("a kernel was launched")

    monkeypatch.setattr(_cuda_kernels, "launch", launch)


def values(dtype, n=300, seed=0) -> np.ndarray:
    """Edge cases (nan, ±inf, ±0, subnormals, extremes, the branch at 0) and random values.

    More elements than the simulator's 64 threads, so every thread runs the 4-wide body of the
    grid-stride loop and the remainder loop.
    """
    with np.errstate(over="ignore"):
        edge = edge_values(np.float64).astype(dtype)
    return np.concatenate([edge, random_values(dtype, n, seed)])


def nonzero_grads(dtype, n, seed=1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.uniform(0.5, 2.0, n) * np.where(rng.random(n) < 0.5, -1, 1)).astype(dtype)


def assert_matches(got, ref) -> None:
    """Same dtype, NaN where the CPU has NaN, the same infinities and signed zeros, and finite
    values within MAXULP units (the GPU rounds float64 once to float16/float32 where the CPU
    rounds float16 via float32, and contracts FMAs its own way).

    The simulator runs ``_math`` in NumPy scalars, where ``1.7 * float16(x)`` is a float16
    (NEP 50) but a float64 in compiled code: there float16/float32 results are only checked to
    a few units of their epsilon (enough to catch any indexing or branch mistake).
    """
    got, ref = np.asarray(got), np.asarray(ref)
    assert got.dtype == ref.dtype and got.shape == ref.shape
    np.testing.assert_array_equal(np.isnan(got), np.isnan(ref))
    fin = np.isfinite(ref)
    np.testing.assert_array_equal(got[~fin & ~np.isnan(ref)], ref[~fin & ~np.isnan(ref)])
    zero = ref == 0
    np.testing.assert_array_equal(got[zero], ref[zero])
    np.testing.assert_array_equal(np.signbit(got[zero]), np.signbit(ref[zero]))
    if SIM and ref.dtype.itemsize < 8:
        eps = float(np.finfo(ref.dtype).eps)
        np.testing.assert_allclose(got[fin], ref[fin], rtol=4 * eps, atol=16 * eps)
    else:
        np.testing.assert_array_max_ulp(got[fin], ref[fin], maxulp=MAXULP[ref.dtype.type])


def host(a) -> np.ndarray:
    return a.copy_to_host()


# -- forward and gradients, against the CPU -------------------------------------------------
@needs_cuda
@pytest.mark.cuda
@pytest.mark.parametrize("dtype", FLOATS, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("act", ACTS, ids=lambda a: a.name)
def test_forward_matches_cpu(cuda, act, dtype):
    x = values(dtype)
    d = cuda.to_device(x)
    for alpha in act.alphas[:2]:
        r = act.call(d, alpha)
        assert type(r) is type(d)  # numba in, numba out
        assert_matches(host(r), act.call(x, alpha))
    np.testing.assert_array_equal(host(d), x)  # the input is untouched


@needs_cuda
@pytest.mark.cuda
@pytest.mark.parametrize("dtype", FLOATS, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("which", ["x", "y"])
@pytest.mark.parametrize("act", ACTS, ids=lambda a: a.name)
def test_grad_matches_cpu(cuda, act, which, dtype):
    x = values(dtype)
    g = nonzero_grads(dtype, x.size)
    v = x if which == "x" else act.call(x, act.alphas[-1])
    r = act.call_grad(cuda.to_device(g), act.alphas[-1], **{which: cuda.to_device(v)})
    assert_matches(host(r), act.call_grad(g, act.alphas[-1], **{which: v}))


@needs_cuda
@pytest.mark.cuda
def test_semantics_table(cuda):
    """The rows of the table, exactly: NaN, ±inf, -0.0, the branch at 0, no overflow."""
    x = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0, 800.0, -800.0, 1e308], dtype=np.float64)
    y = host(en.elu(cuda.to_device(x), 2.0))
    assert np.isnan(y[0]) and y[1] == np.inf and y[2] == -2.0
    assert y[3] == 0 and np.signbit(y[3]) and y[4] == 0 and not np.signbit(y[4])
    assert y[5] == 800.0 and y[6] == -2.0 and y[7] == 1e308
    with np.errstate(all="raise"):
        s = host(en.selu(cuda.to_device(np.array([1e308, -1e308]))))
    assert s[0] == en.SELU_SCALE * 1e308 and s[1] == -en.SELU_SCALE_ALPHA
    # gradient at 0 takes the exponential branch; NaN in grad or x gives NaN
    g = cuda.to_device(np.array([1.0, 1.0, np.nan, 1.0]))
    gx = host(en.elu_grad(g, x=cuda.to_device(np.array([0.0, -0.0, 1.0, np.nan])), alpha=0.5))
    np.testing.assert_array_equal(gx[:2], [0.5, 0.5])
    assert np.isnan(gx[2]) and np.isnan(gx[3])
    np.testing.assert_array_equal(host(en.relu(cuda.to_device(np.array([-0.0, -1.0])))), [0, 0])


@needs_cuda
@pytest.mark.cuda
def test_kernels_are_built_once_from_math(cuda):
    assert _cuda_kernels.kernel("elu", False) is _cuda_kernels.kernel("elu", False)
    assert _cuda_kernels.kernel("elu", True) is not _cuda_kernels.kernel("elu", False)
    assert _cuda_kernels.kernel("elu_grad_y").py_func.__name__ == "binary"


# -- in place, out=, layouts, dtypes ---------------------------------------------------------
@needs_cuda
@pytest.mark.cuda
@pytest.mark.parametrize("dtype", FLOATS, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("act", ACTS, ids=lambda a: a.name)
def test_forward_in_place(cuda, act, dtype):
    x = values(dtype, n=100)
    d = cuda.to_device(x)
    assert act.call(d, 1.7, out=d) is d
    assert_matches(host(d), act.call(x, 1.7))


@needs_cuda
@pytest.mark.cuda
@pytest.mark.parametrize("into", ["grad", "v"])
@pytest.mark.parametrize("name", GRAD_NAMES)
def test_grad_in_place(cuda, name, into):
    act, which = ACTIVATIONS[name.split("_")[0]], name[-1]
    x = values(np.float32, n=100)
    g = nonzero_grads(np.float32, x.size)
    v = x if which == "x" else act.call(x)
    dg, dv = cuda.to_device(g), cuda.to_device(v)
    out = dg if into == "grad" else dv
    assert act.call_grad(dg, **{which: dv}, out=out) is out
    assert_matches(host(out), act.call_grad(g, **{which: v}))


@needs_cuda
@pytest.mark.cuda
def test_out_of_another_dtype(cuda):
    x = values(np.float16, n=50)
    out = cuda.device_array(x.shape, dtype=np.float64)
    assert en.elu(cuda.to_device(x), out=out) is out  # float16 input: float32 math, f64 store
    want = en.elu(x.astype(np.float32)).astype(np.float64)
    np.testing.assert_allclose(host(out), want, rtol=2**-22)  # within 2 float32 ULP
    out32 = cuda.device_array(x.shape, dtype=np.float32)
    en.elu(cuda.to_device(x.astype(np.float64)), out=out32)  # float64 -> float32, same kind
    assert_matches(host(out32), en.elu(x.astype(np.float64), out=np.empty(x.shape, np.float32)))


@needs_cuda
@pytest.mark.cuda
def test_mixed_input_dtypes(cuda):
    x = values(np.float16, n=50)
    g = nonzero_grads(np.float32, x.size)
    r = en.celu_grad(cuda.to_device(g), x=cuda.to_device(x), alpha=0.5)
    assert r.dtype == np.float32
    assert_matches(host(r), en.celu_grad(g, x=x, alpha=0.5))


@needs_cuda
@pytest.mark.cuda
@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.uint8, np.bool_])
def test_integer_and_bool_input_give_float64(cuda, dtype):
    x = np.array([-3, -1, 0, 1, 5] * 3).astype(dtype)
    r = en.selu(cuda.to_device(x))
    assert r.dtype == np.float64
    assert_matches(host(r), en.selu(x))


@needs_cuda
@pytest.mark.cuda
@pytest.mark.parametrize("order", ["C", "F"])
def test_two_dimensional(cuda, order):
    x = np.asarray(values(np.float64, n=97)[:144].reshape(12, 12), order=order)
    d = cuda.to_device(x)
    r = en.elu(d, 0.5)
    assert r.shape == (12, 12) and (r.is_f_contiguous() if order == "F" else r.is_c_contiguous())
    assert_matches(host(r), en.elu(x, 0.5))
    g = np.asarray(nonzero_grads(np.float64, 144).reshape(12, 12), order=order)
    dg = cuda.to_device(g)
    en.elu_grad(dg, x=d, alpha=0.5, out=dg)
    assert_matches(host(dg), en.elu_grad(g, x=x, alpha=0.5))


@needs_cuda
@pytest.mark.cuda
def test_transposed_view(cuda):
    x = values(np.float32, n=100)[:120].reshape(10, 12)
    d = cuda.to_device(x).T  # F-contiguous view
    assert_matches(host(en.elu(d)), en.elu(x.T))


@needs_cuda
@pytest.mark.cuda
def test_partial_overlap_reads_a_copy(cuda):
    x = values(np.float64, n=100)
    d = cuda.to_device(x)
    en.elu(d[:-7], out=d[7:])
    expect = x.copy()
    expect[7:] = en.elu(x[:-7])
    assert_matches(host(d), expect)


@needs_cuda
@pytest.mark.cuda
def test_empty_and_0d(cuda):
    e = en.elu(cuda.device_array((0, 3), dtype=np.float32))
    assert e.shape == (0, 3) and e.dtype == np.float32
    z = en.selu(cuda.to_device(np.array(-1.0)))
    assert z.shape == () and host(z)[()] == en.selu(-1.0)  # a 0-d device array, not a scalar
    eg = en.elu_grad(cuda.device_array(0), y=cuda.device_array(0))
    assert eg.shape == (0,)


# -- errors: raised before anything is launched, nothing written ------------------------------
@needs_cuda
@pytest.mark.cuda
class TestErrorsBeforeLaunch:
    @pytest.fixture(autouse=True)
    def _no_launch(self, no_launch):
        pass

    def test_not_contiguous(self, cuda):
        d = cuda.to_device(np.ones((4, 6)))
        with pytest.raises(ValueError, match=r"elu: x is not contiguous \(shape \(4, 3\)"):
            en.elu(d[:, ::2])

    def test_mixed_memory_orders(self, cuda):
        c = cuda.to_device(np.ones((4, 6)))
        f = cuda.to_device(np.asfortranarray(np.ones((4, 6))))
        with pytest.raises(ValueError, match="one memory order"):
            en.elu(c, out=f)
        with pytest.raises(ValueError, match="one memory order"):
            en.elu_grad(c, x=f)

    def test_shapes(self, cuda):
        g, x = cuda.to_device(np.ones(4)), cuda.to_device(np.ones(5))
        with pytest.raises(ValueError, match=r"elu_grad: grad has shape \(4,\), but x has"):
            en.elu_grad(g, x=x)
        with pytest.raises(ValueError, match=r"elu: out has shape \(4,\), but the result"):
            en.elu(x, out=g)

    def test_out_dtype(self, cuda):
        x = cuda.to_device(np.ones(4))
        with pytest.raises(TypeError, match="elu: out has dtype int64; it must be float16"):
            en.elu(x, out=cuda.device_array(4, dtype=np.int64))
        with pytest.raises(TypeError, match="selu: out has dtype int32"):
            en.selu(cuda.to_device(np.ones(4, np.int32)), out=cuda.device_array(4, np.int32))

    def test_input_dtype(self, cuda):
        with pytest.raises(TypeError, match="relu: x has dtype complex128, but elu_numba"):
            en.relu(cuda.to_device(np.ones(4, complex)))

    def test_read_only_out(self, cuda):
        x = np.array([-1.0, 1.0])
        out = read_only(cuda, cuda.to_device(x))
        with pytest.raises(ValueError, match="elu: output array is read-only"):
            en.elu(out, out=out)

    def test_host_array_mixed_in(self, cuda):
        d = cuda.to_device(np.ones(3))
        with pytest.raises(TypeError, match="elu_grad: x is a ndarray, not a CUDA array"):
            en.elu_grad(d, x=np.ones(3))
        with pytest.raises(TypeError, match="elu: out is a ndarray, not a CUDA array"):
            en.elu(d, out=np.ones(3))

    def test_alpha(self, cuda):
        d = cuda.to_device(np.array([-1.0, 1.0]))
        with pytest.raises(ValueError, match=r"celu: alpha must be > 0, got 0.0"):
            en.celu(d, 0.0, out=d)
        with pytest.raises(ValueError, match="needs alpha >= 0"):
            en.elu_grad(d, y=d, alpha=-1.0, out=d)
        with pytest.raises(TypeError, match="alpha must be a real number"):
            en.elu(d, "1")
        np.testing.assert_array_equal(host(d), [-1.0, 1.0])  # nothing written

    def test_bfloat16(self, cuda):
        with pytest.raises(TypeError, match="bfloat16.*cast it first"):
            en.elu(FakeCudaArray("<V2"))


def read_only(cuda, d):
    """A read-only view of device array d (the simulator's arrays are NumPy arrays inside)."""
    if SIM:
        d.setflags(write=False)
        return d
    desc = dict(d.__cuda_array_interface__, data=(d.__cuda_array_interface__["data"][0], True))
    return FakeCudaArray(desc=desc, owner=d)


class FakeCudaArray:
    """Anything with a ``__cuda_array_interface__`` (no memory behind it unless ``desc`` says)."""

    def __init__(self, typestr="<f4", shape=(3,), desc=None, owner=None):
        self.owner = owner
        self.desc = desc or {"version": 3, "typestr": typestr, "shape": shape, "data": (0, False)}

    @property
    def __cuda_array_interface__(self):
        return self.desc


# -- streams ------------------------------------------------------------------------------------
class _FakeStream:
    def __init__(self, handle):
        self.handle, self.synced = handle, 0

    def synchronize(self):
        self.synced += 1


class _FakeCuda:
    """The stream constructors of numba.cuda, recording what they were asked."""

    def __init__(self):
        self.made = {}

    def external_stream(self, h):
        return self.made.setdefault(h, _FakeStream(h))

    def legacy_default_stream(self):
        return self.made.setdefault("legacy", _FakeStream(1))

    def per_thread_default_stream(self):
        return self.made.setdefault("per-thread", _FakeStream(2))


def test_stream_choice():
    """The kernel goes on the producer's stream; several producers: the others are synced."""

    def arr(stream):
        a = cm._describe(FakeCudaArray(), "x", "elu")
        a.stream = stream
        return a

    fake = _FakeCuda()
    assert cm._stream(fake, [arr(None), arr(None)]) == 0  # none: numba's default stream
    assert cm._stream(fake, [arr(1)]) is fake.made["legacy"]
    assert cm._stream(fake, [arr(2)]) is fake.made["per-thread"]
    s = cm._stream(fake, [arr(0xA0), arr(None), arr(0xA0)])
    assert s.handle == 0xA0 and s.synced == 0
    s = cm._stream(fake, [arr(0xB0), arr(0xC0)])  # [inputs..., out]: launch on the first
    assert s.handle == 0xB0 and s.synced == 0 and fake.made[0xC0].synced == 1


def test_cuda_array_interface_stream_is_read():
    a = FakeCudaArray()
    a.desc["stream"] = 0x1234
    assert cm._describe(a, "x", "elu").stream == 0x1234
    a.desc["version"] = 2  # no stream before version 3
    assert cm._describe(a, "x", "elu").stream is None


@pytest.mark.cuda
@pytest.mark.skipif(not REAL_GPU, reason="needs a GPU")
def test_numba_stream_is_used(cuda):
    s = cuda.stream()
    x = values(np.float32, n=5000)
    d = cuda.to_device(x, stream=s)
    r = en.elu(d, out=d)
    s.synchronize()
    assert_matches(host(r), en.elu(x))


# -- PyTorch and CuPy (real GPU only) ------------------------------------------------------------
@pytest.mark.cuda
@pytest.mark.skipif(not REAL_GPU, reason="needs a GPU")
def test_torch_in_torch_out():
    torch = pytest.importorskip("torch")
    x = values(np.float32, n=5000)
    t = torch.as_tensor(x, device="cuda")
    r = en.elu(t, 0.5)
    assert isinstance(r, torch.Tensor) and r.device == t.device and r.dtype == torch.float32
    assert_matches(r.cpu().numpy(), en.elu(x, 0.5))
    side = torch.cuda.Stream()
    with torch.cuda.stream(side):  # ordered on the side stream, no host sync needed
        t2 = torch.as_tensor(x, device="cuda")
        assert en.selu(t2, out=t2) is t2
        got = t2.cpu().numpy()
    assert_matches(got, en.selu(x))
    g16, y16 = nonzero_grads(np.float16, x.size), en.elu(x.astype(np.float16))
    g = torch.as_tensor(g16, device="cuda")
    en.elu_grad(g, y=torch.as_tensor(y16, device="cuda"), out=g)
    assert_matches(g.cpu().numpy(), en.elu_grad(g16, y=y16))
    with pytest.raises(TypeError, match="bfloat16"):
        en.elu(t.to(torch.bfloat16))


@pytest.mark.cuda
@pytest.mark.skipif(not REAL_GPU, reason="needs a GPU")
def test_cupy_in_cupy_out():
    cp = pytest.importorskip("cupy")
    x = values(np.float64, n=5000)
    c = cp.asarray(x)
    r = en.celu(c, 1.5)
    assert isinstance(r, cp.ndarray)
    assert_matches(cp.asnumpy(r), en.celu(x, 1.5))
    with cp.cuda.Stream(non_blocking=True):
        c2 = cp.asarray(x)
        en.elu(c2, out=c2)
        got = cp.asnumpy(c2)
    assert_matches(got, en.elu(x))


# -- the real GPU target compiles (no GPU needed: PTX for sm_90, in a process of its own) -----
_PTX_SCRIPT = textwrap.dedent(
    """
    import sys, types
    import numba.cuda.dispatcher as dispatcher
    from numba import cuda, types as nt
    # device functions ask the current GPU for its compute capability: pretend one
    dispatcher.get_current_device = lambda: types.SimpleNamespace(compute_capability=(9, 0))
    from elu_numba import _cuda_kernels as K
    K.numba_cuda()
    try:
        cuda.compile_ptx(lambda a: None, (nt.float32[::1],), cc=(9, 0))
    except Exception as e:
        print("NO-NVVM", e)
        sys.exit(0)
    names = sys.argv[1:]
    for name in names:
        for dt in (nt.float16, nt.float32, nt.float64):
            a, alpha = dt[::1], nt.float64 if dt == nt.float64 else nt.float32
            for inplace in ((False,) if "_grad_" in name else (False, True)):
                sig = (a, alpha) if inplace else ((a,) * (3 if "_grad_" in name else 2) + (alpha,))
                ptx, _ = cuda.compile_ptx(K.kernel(name, inplace).py_func, sig, cc=(9, 0))
                assert ".entry" in ptx and "call.uni" not in ptx, (name, dt)
                if name in ("elu", "selu", "celu") and dt != nt.float64:
                    # the float32 polynomial on the GPU too: no float64 arithmetic
                    assert "fma.rn.f32" in ptx and ".f64" not in ptx, (name, dt)
    print("OK", len(names))
    """
)


@pytest.mark.cuda
@pytest.mark.skipif(not HAS_NUMBA_CUDA, reason="needs numba-cuda")
def test_kernels_compile_for_the_gpu():
    """Every _math function compiles for the real CUDA target (the simulator never compiles),
    inlined into the kernel (no calls left in the PTX)."""
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}
    names = [a.name for a in ACTS] + GRAD_NAMES
    proc = subprocess.run(
        [sys.executable, "-c", _PTX_SCRIPT, *names], env=env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    if proc.stdout.startswith("NO-NVVM"):
        pytest.skip(f"no NVVM to compile with: {proc.stdout.strip()}")
    assert proc.stdout.strip() == f"OK {len(names)}"


# -- no CUDA needed: lazy import, errors without numba-cuda or without a GPU ---------------------
def _run(code: str, **env) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"} | env
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], env=environ, capture_output=True, text=True
    )


def test_import_does_not_import_numba_cuda():
    proc = _run(
        """
        import sys
        import numpy as np
        import elu_numba as en
        from elu_numba import _api
        assert _api._backend((np.ones(3), None, 1.0, [1.0])) is None  # host data stays on the CPU
        print(sorted(m for m in sys.modules if m.startswith(("numba.cuda", "numba_cuda",
                                                             "elu_numba.cuda"))))
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_without_numba_cuda_says_what_to_install(monkeypatch):
    monkeypatch.setattr(cm, "_cuda", None)
    monkeypatch.setitem(sys.modules, "numba_cuda", None)  # find_spec("numba_cuda") -> None
    with pytest.raises(ImportError, match=r"needs the numba-cuda package.*elu_numba\[cuda\]"):
        en.elu(FakeCudaArray())
    assert not cm.is_available()


@pytest.mark.skipif(not HAS_NUMBA_CUDA or REAL_GPU, reason="needs numba-cuda and no GPU")
def test_without_a_gpu_says_so():
    proc = _run(
        """
        import elu_numba as en

        class FakeCudaArray:
            __cuda_array_interface__ = {"version": 3, "typestr": "<f4", "shape": (3,),
                                        "data": (0, False)}

        try:
            en.elu(FakeCudaArray())
        except RuntimeError as e:
            print("RuntimeError:", e)
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("RuntimeError: elu_numba got a CUDA array, but numba.cuda")
