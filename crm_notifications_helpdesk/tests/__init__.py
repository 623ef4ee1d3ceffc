from . import test_helpdesk_rules
