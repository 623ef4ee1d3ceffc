# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Make the pure Python helpers of the addon importable without Odoo.

Importing ``crm_notifications.tools.recurrence`` as a package module would run
the addon's ``__init__``, which imports ``odoo``; these tests must run in a
bare environment (pytest, hypothesis, python-dateutil, pytz), so the module is
loaded straight from its file under a name of its own.
"""

import importlib.util
import sys
from pathlib import Path

ADDON_TOOLS = Path(__file__).resolve().parent.parent / "crm_notifications" / "tools"

PURE_MODULES = {
    "crm_notifications_recurrence": ADDON_TOOLS / "recurrence.py",
    "crm_notifications_smtp": ADDON_TOOLS / "smtp.py",
}


def _load_module(name, path):
    """Import the file ``path`` as module ``name`` and return the module."""
    module = sys.modules.get(name)
    if module is not None:
        return module
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"Cannot load {name} from {path}", name=name, path=str(path))
    module = importlib.util.module_from_spec(spec)
    # Registered before running it: dataclasses looks the module up in
    # sys.modules while the class bodies execute.
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


for _name, _path in PURE_MODULES.items():
    _load_module(_name, _path)
