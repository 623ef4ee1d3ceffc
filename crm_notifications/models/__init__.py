from . import models
from . import crm_notification
from . import crm_notification_delivery
from . import crm_notification_rule
from . import mail_activity
from . import mail_thread
from . import project_task
from . import res_config_settings
