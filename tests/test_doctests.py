"""The examples in the docstrings of the installed package (README.md is collected by pytest)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["elu_numba", "elu_numba.scalar", "elu_numba.ufuncs", "elu_numba._api"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
    if name != "elu_numba._api":
        assert result.attempted > 0  # the module really has examples
