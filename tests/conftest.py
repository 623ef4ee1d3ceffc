# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Make the pure Python helpers of the addon importable without Odoo.

Importing ``crm_notifications.tools`` as a package module would run the
addon's ``__init__``, which imports ``odoo``; these tests must run in a bare
environment (pytest, hypothesis, python-dateutil, pytz), so the ``tools``
folder is loaded as a package of its own, ``crm_notifications_tools`` (its
modules import each other relatively), and each module is also reachable
under its former name ``crm_notifications_<module>``.

``pure_imports(path)`` is what a module imports, for the tests that check a
helper stays free of Odoo.
"""

import ast
import importlib
import importlib.util
import sys
from pathlib import Path

from hypothesis import settings

# No time limit per example: hypothesis' deadline (200 ms) is a timed
# assertion, which a loaded machine fails (5 tests did, once, on this
# 2-core machine with other work beside them). The examples' count bounds
# the tests' cost.
settings.register_profile("crm_notifications", deadline=None)
settings.load_profile("crm_notifications")

ADDON_TOOLS = Path(__file__).resolve().parent.parent / "crm_notifications" / "tools"
PACKAGE = "crm_notifications_tools"
PURE_MODULES = ("digest", "quiet_hours", "recurrence", "schedule", "smtp", "timezone")


def _load_package():
    if PACKAGE in sys.modules:
        return sys.modules[PACKAGE]
    spec = importlib.util.spec_from_file_location(
        PACKAGE, ADDON_TOOLS / "__init__.py", submodule_search_locations=[str(ADDON_TOOLS)])
    package = importlib.util.module_from_spec(spec)
    sys.modules[PACKAGE] = package
    spec.loader.exec_module(package)
    return package


def pure_imports(path):
    """Top-level names ``path`` imports; a relative import of a sibling
    counts as what that sibling imports."""
    names = set()
    for node in ast.walk(ast.parse(Path(path).read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level:
            names |= pure_imports(Path(path).parent / f"{node.module}.py")
        elif isinstance(node, ast.ImportFrom):
            names.add(node.module.split(".")[0])
    return names


_load_package()
for _name in PURE_MODULES:
    sys.modules[f"crm_notifications_{_name}"] = importlib.import_module(f"{PACKAGE}.{_name}")


def tools_module(name):
    """The module ``name`` of the addon's ``tools``."""
    return importlib.import_module(f"{PACKAGE}.{name}")
