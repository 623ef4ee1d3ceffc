import odoo.http

from . import test_notification_rules
from . import test_notification_center
from . import test_notification_security
from . import test_security
from . import test_security_rpc
from . import test_security_rpc_2
from . import test_notification_performance
from . import test_notification_delivery
from . import test_delivery_outcome
from . import test_ui
from . import test_ui_phone
from . import test_ui_screens
from . import test_customer_reminder
from . import test_customer_notification
from . import test_customer_notification_sent
from . import test_ui_reminder
from . import test_reminder_email
from . import test_activity_alerts
from . import test_activity_escalation
from . import test_customer_notification_email
from . import test_smtp_sink
from . import test_ui_customer_notification
from . import test_access_matrix
from . import test_tools_doctests
from . import test_js_units
from . import test_translations
from . import test_notification_noise
from . import test_security_rpc_noise
from . import test_notification_digest
from . import test_ui_noise
from . import test_ui_escalation
from . import test_customer_quiet_hours
from . import test_customer_unsubscribe
from . import test_customer_preview

# Odoo maps the addons' static folders lazily, parsing every manifest, in the
# thread of the first request for a static file; Chromium's first requests
# come in parallel, and CPython 3.11's parser then sometimes fails in one of
# them ("SystemError: AST constructor recursion depth mismatch": a 500 and an
# ERROR in the log, seen once on Python 3.11.7). Mapped here once, at import,
# before any browser test.
STATIC_FOLDERS = odoo.http.root.statics
