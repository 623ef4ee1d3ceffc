from . import test_reminder_sms
from . import test_customer_notification_sms
from . import test_security_sms_rpc
from . import test_sms_fallback
