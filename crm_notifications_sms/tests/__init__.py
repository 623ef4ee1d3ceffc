from . import test_reminder_sms
