from . import test_maintenance_rules
