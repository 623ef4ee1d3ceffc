from . import crm_notification_delivery
from . import crm_customer_reminder
from . import sms_sms
from . import crm_customer_notification
