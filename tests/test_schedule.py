# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Tests of ``crm_notifications/tools/schedule.py``, without Odoo.

``conftest.py`` loads the module from its file as
``crm_notifications_schedule``. Run with::

    python -m pytest tests/test_schedule.py -q
"""

from datetime import date, datetime, timedelta
from pathlib import Path

import crm_notifications_schedule as schedule
import pytest
import pytz
from conftest import pure_imports
from hypothesis import given
from hypothesis import strategies as st

PATH = Path(__file__).resolve().parent.parent / "crm_notifications" / "tools" / "schedule.py"

TIMEZONES = st.sampled_from(sorted(pytz.common_timezones))
DAYS = st.dates(min_value=date(1971, 1, 1), max_value=date(2100, 12, 31))
HOURS = st.integers(min_value=1, max_value=schedule.MAX_HOURS)


def test_pure_python():
    assert pure_imports(PATH) <= {"datetime", "pytz"}


def test_examples():
    # Auckland (UTC+13 in January): the day ends 13 hours earlier in UTC
    assert schedule.deadline_utc(date(2027, 1, 4), "Pacific/Auckland") == datetime(2027, 1, 4, 10, 59, 59)
    # Los Angeles (UTC-8 in January): 8 hours later, on the next UTC day
    assert schedule.deadline_utc(date(2027, 1, 4), "America/Los_Angeles") == datetime(2027, 1, 5, 7, 59, 59)
    # summer time: UTC-7
    assert schedule.deadline_utc(date(2027, 7, 4), "America/Los_Angeles") == datetime(2027, 7, 5, 6, 59, 59)
    assert schedule.deadline_utc(date(2027, 1, 4), "Europe/Brussels") == datetime(2027, 1, 4, 22, 59, 59)
    assert schedule.deadline_utc(date(2027, 1, 4), None) == datetime(2027, 1, 4, 23, 59, 59)
    assert schedule.deadline_utc(date(2027, 1, 4), "Not/AZone") == datetime(2027, 1, 4, 23, 59, 59)
    assert schedule.deadline_utc(datetime(2027, 1, 4, 12, 0), "UTC") == datetime(2027, 1, 4, 23, 59, 59)
    deadline = datetime(2027, 1, 4, 23, 59, 59)
    assert schedule.reminder_at(deadline, 24) == datetime(2027, 1, 3, 23, 59, 59)
    assert schedule.escalation_at(deadline, 2) == datetime(2027, 1, 5, 1, 59, 59)


@pytest.mark.parametrize("hours", [0, -1, schedule.MAX_HOURS + 1, 1.5, None, True, "24"])
def test_invalid_hours(hours):
    assert not schedule.valid_hours(hours)
    with pytest.raises(ValueError):
        schedule.reminder_at(datetime(2027, 1, 4), hours)
    with pytest.raises(ValueError):
        schedule.escalation_at(datetime(2027, 1, 4), hours)


def test_bounds():
    assert schedule.MAX_HOURS == 8784
    assert schedule.valid_hours(1) and schedule.valid_hours(8784)


@given(DAYS, TIMEZONES)
def test_deadline_is_the_last_second_of_the_local_day(day, tz):
    utc = schedule.deadline_utc(day, tz)
    assert utc.tzinfo is None
    local = pytz.utc.localize(utc).astimezone(pytz.timezone(tz))
    assert local.date() == day
    # one second later it is the next local day
    after = pytz.utc.localize(utc + timedelta(seconds=1)).astimezone(pytz.timezone(tz))
    assert after.date() > day


@given(DAYS, TIMEZONES)
def test_deadlines_are_ordered_by_day(day, tz):
    assert schedule.deadline_utc(day, tz) < schedule.deadline_utc(day + timedelta(days=1), tz)
    # within a day and a half of the UTC end of the day, whatever the zone
    naive_end = datetime.combine(day, schedule.END_OF_DAY)
    assert abs(schedule.deadline_utc(day, tz) - naive_end) <= timedelta(hours=15)


@given(DAYS, TIMEZONES, HOURS, HOURS)
def test_reminder_before_escalation(day, tz, before, after):
    deadline = schedule.deadline_utc(day, tz)
    assert schedule.reminder_at(deadline, before) == deadline - timedelta(hours=before)
    assert schedule.escalation_at(deadline, after) == deadline + timedelta(hours=after)
    assert schedule.reminder_at(deadline, before) < deadline < schedule.escalation_at(deadline, after)
