from . import test_mrp_rules
