from . import test_repair_rules
