# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The examples in the docstrings of ``tools/`` (plain Python), run by
Odoo's test runner as well as by pytest (the repository's
``tests/test_doctests.py``, with the property tests): one test per
docstring, so an OCA CI that runs only Odoo's tests runs them too.

Odoo 18's loader takes the ``test_*`` methods of the TestCase classes of a
test module (it ignores ``load_tests``), hence a class filled below, in the
way of OCA queue_job's doctest cases."""

import doctest

from odoo.tests import BaseCase, tagged

from ..tools import digest, recurrence, schedule, smtp, timezone


@tagged("at_install", "-post_install", "doctest")
class TestToolsDoctests(BaseCase):
    """Docstring examples of crm_notifications.tools."""


def _doctest_method(test):
    def method(self):
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
        report = []
        runner.run(test, out=report.append)
        self.assertFalse(runner.failures, "".join(report))
    method.__doc__ = f"Examples of {test.name}"
    return method


for _module in (digest, recurrence, schedule, smtp, timezone):
    for _test in doctest.DocTestFinder().find(_module):
        if _test.examples:
            _name = "test_" + _test.name.rsplit(".tools.", 1)[-1].replace(".", "_")
            setattr(TestToolsDoctests, _name, _doctest_method(_test))
