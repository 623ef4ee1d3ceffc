# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The examples in the docstrings of ``crm_notifications/tools`` (Odoo's
runner runs them too: ``crm_notifications/tests/test_tools_doctests.py``)."""

import doctest

import pytest
from conftest import PURE_MODULES, tools_module


@pytest.mark.parametrize("name", PURE_MODULES)
def test_examples(name):
    module = tools_module(name)
    results = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False)
    assert results.failed == 0


def test_there_are_examples():
    assert sum(doctest.testmod(tools_module(name)).attempted for name in PURE_MODULES) >= 15
