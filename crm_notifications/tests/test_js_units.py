# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The bell's Hoot unit tests (``static/tests/*.test.js``), run in headless
Chromium as Odoo runs its own (``web/tests/test_js.py``), restricted to this
addon's test files.

A failing JS test fails this test: Hoot logs each failure, then "[HOOT] test
failed (see above for details)" as a console error, which ends the run with a
ChromeBrowserException (``browser_js`` then calls ``self.fail``). Without
Chromium, ``browser_js`` skips the test, and ``scripts/test`` counts a skipped
test as failed. A filter that selects nothing would make Hoot report success
for 0 tests: the number of tests that passed is checked against the files.
"""

import logging
import re
from pathlib import Path
from urllib.parse import quote

from odoo.tests import HttpCase, no_retry, tagged

# Hoot names the suites after the test modules, "@crm_notifications/notification_menu"
HOOT_FILTER = r"/^@crm_notifications\b/"
TEST_FILES = sorted((Path(__file__).parent.parent / "static" / "tests").glob("*.test.js"))
RE_PASSED = re.compile(r"\[HOOT\] passed (\d+) tests")


def hoot_error_checker(message):
    """Only the end of the run stops the browser: every failing test is logged."""
    return "[HOOT]" not in message or message == "[HOOT] test failed (see above for details)"


class _Messages(logging.Handler):
    def __init__(self):
        super().__init__(logging.INFO)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@tagged("post_install", "-at_install")
class TestJsUnits(HttpCase):
    @no_retry
    def test_hoot_units(self):
        expected = sum(len(re.findall(r"^test\(", path.read_text(), re.M)) for path in TEST_FILES)
        self.assertGreater(expected, 0, "no Hoot test found in static/tests/*.test.js")

        # the browser's console, as browser_js logs it
        browser_logger = self._logger.getChild("browser")
        handler = _Messages()
        browser_logger.addHandler(handler)
        level = browser_logger.level
        browser_logger.setLevel(logging.INFO)
        try:
            self.browser_js(
                f"/web/tests?headless&loglevel=2&preset=desktop&timeout=15000&filter={quote(HOOT_FILTER, safe='')}",
                "",
                "",
                login="admin",
                timeout=480,
                success_signal="[HOOT] test suite succeeded",
                error_checker=hoot_error_checker,
            )
        finally:
            browser_logger.removeHandler(handler)
            browser_logger.setLevel(level)

        passed = [int(match[1]) for message in handler.messages for match in RE_PASSED.finditer(message)]
        self.assertEqual(
            passed,
            [expected],
            f"Hoot should have run the {expected} tests of {', '.join(p.name for p in TEST_FILES)}",
        )
