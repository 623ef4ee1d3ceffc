# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Tests of ``crm_notifications/tools/quiet_hours.py``, without Odoo."""

from datetime import datetime, timedelta
from pathlib import Path

import crm_notifications_quiet_hours as quiet
import crm_notifications_timezone as timezone
import pytest
import pytz
from conftest import pure_imports
from hypothesis import given
from hypothesis import strategies as st

PATH = Path(__file__).resolve().parent.parent / "crm_notifications" / "tools" / "quiet_hours.py"

TIMEZONES = st.sampled_from(sorted(pytz.common_timezones))
INSTANTS = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2090, 12, 31))
# settings in quarter hours, as the float_time widget is used
HOURS = st.integers(min_value=0, max_value=95).map(lambda quarter: quarter / 4)


def test_pure_python():
    assert pure_imports(PATH) <= {"datetime", "pytz"}


def test_examples():
    brussels = "Europe/Brussels"
    # 22:30 in Brussels (UTC+1): deferred to 08:00 the next morning
    assert quiet.defer_past_quiet_hours(datetime(2027, 1, 4, 21, 30), brussels, 21, 8) == datetime(2027, 1, 5, 7, 0)
    # 03:00 in Brussels: 08:00 the same morning
    assert quiet.defer_past_quiet_hours(datetime(2027, 1, 5, 2, 0), brussels, 21, 8) == datetime(2027, 1, 5, 7, 0)
    # 08:00 sharp: the window is over
    assert quiet.defer_past_quiet_hours(datetime(2027, 1, 5, 7, 0), brussels, 21, 8) == datetime(2027, 1, 5, 7, 0)
    # 20:59: not yet
    assert quiet.defer_past_quiet_hours(datetime(2027, 1, 4, 19, 59), brussels, 21, 8) == datetime(2027, 1, 4, 19, 59)
    # a window within the day (lunch)
    assert quiet.defer_past_quiet_hours(datetime(2027, 1, 4, 11, 30), brussels, 12, 14) == datetime(2027, 1, 4, 13, 0)
    # no quiet hours
    assert quiet.defer_past_quiet_hours(datetime(2027, 1, 4, 23, 0), brussels, 8, 8) == datetime(2027, 1, 4, 23, 0)
    # the night of the spring-forward (28 March 2027): 08:00 is UTC+2
    assert quiet.defer_past_quiet_hours(datetime(2027, 3, 27, 23, 0), brussels, 21, 8) == datetime(2027, 3, 28, 6, 0)
    # and of the fall-back (31 October 2027): 08:00 is UTC+1 again
    assert quiet.defer_past_quiet_hours(datetime(2027, 10, 30, 22, 0), brussels, 21, 8) == datetime(2027, 10, 31, 7, 0)
    # a window ending in the skipped hour (02:00-03:00 on 28 March): 02:30
    # is read as 03:30 (timezone.local_to_utc), 01:30 UTC
    assert quiet.defer_past_quiet_hours(datetime(2027, 3, 28, 0, 30), brussels, 1, 2.5) == datetime(2027, 3, 28, 1, 30)
    # without a timezone: UTC's wall clock
    assert quiet.defer_past_quiet_hours(datetime(2027, 1, 4, 22, 0), False, 21, 8) == datetime(2027, 1, 5, 8, 0)
    assert quiet.defer_past_quiet_hours(datetime(2027, 1, 4, 22, 0), "Not/AZone", 21, 8) == datetime(2027, 1, 5, 8, 0)


def test_at_local_time():
    # 09:00 in Brussels is 08:00 UTC; 09:00 in New York is 14:00 UTC
    assert quiet.at_local_time(datetime(2027, 1, 4, 8, 0), "Europe/Brussels", "America/New_York") == \
        datetime(2027, 1, 4, 14, 0)
    # Auckland is ahead: earlier in UTC, the previous UTC day
    assert quiet.at_local_time(datetime(2027, 1, 4, 8, 0), "Europe/Brussels", "Pacific/Auckland") == \
        datetime(2027, 1, 3, 20, 0)
    # an unknown recipient zone: the sender's
    assert quiet.at_local_time(datetime(2027, 1, 4, 8, 0), "Europe/Brussels", "Nowhere/Land") == \
        datetime(2027, 1, 4, 8, 0)


@pytest.mark.parametrize("bad", [-1, 24, 25.5, "8", None, True])
def test_float_to_time_refuses(bad):
    with pytest.raises(ValueError):
        quiet.float_to_time(bad)


@given(INSTANTS, TIMEZONES, HOURS, HOURS)
def test_deferral_properties(when, tz_name, start, end):
    tz = pytz.timezone(tz_name)
    deferred = quiet.defer_past_quiet_hours(when, tz, start, end)
    # never earlier, never dropped, at most a day (and a clock jump) later
    assert when <= deferred <= when + timedelta(hours=26)
    # outside the window: unchanged
    if not quiet.is_quiet(timezone.utc_to_local(when, tz).time(), start, end):
        assert deferred == when


@given(INSTANTS, TIMEZONES, HOURS, HOURS)
def test_deferral_is_idempotent_outside_clock_jumps(when, tz_name, start, end):
    tz = pytz.timezone(tz_name)
    once = quiet.defer_past_quiet_hours(when, tz, start, end)
    stable = tz.utcoffset(once - timedelta(hours=30)) == tz.utcoffset(once + timedelta(hours=30))
    if stable:
        assert quiet.defer_past_quiet_hours(once, tz, start, end) == once
        assert not quiet.is_quiet(timezone.utc_to_local(once, tz).time(), start, end)


@given(INSTANTS, TIMEZONES)
def test_at_local_time_keeps_the_wall_clock(when, tz_name):
    sender = pytz.timezone("Europe/Brussels")
    recipient = pytz.timezone(tz_name)
    sent = quiet.at_local_time(when, sender, recipient)
    wall = timezone.utc_to_local(when, sender)
    shown = timezone.utc_to_local(sent, recipient)
    if recipient.utcoffset(sent - timedelta(hours=30)) == recipient.utcoffset(sent + timedelta(hours=30)):
        # no clock change around: the recipient's clock shows the sender's wall time
        assert shown == wall
    else:
        # in a skipped hour: just after it (by the gap's length, at most 2 hours here)
        assert timedelta(0) <= shown - wall <= timedelta(hours=2) or timezone.local_to_utc(wall, recipient) == sent
