from . import test_notification_rules
from . import test_notification_center
from . import test_notification_security
from . import test_notification_performance
from . import test_notification_delivery

from . import test_ui
from . import test_customer_reminder
from . import test_customer_notification
