# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Tests of ``crm_notifications/tools/digest.py``, without Odoo.

``conftest.py`` loads the module from its file as
``crm_notifications_digest``. Run with::

    python -m pytest tests/test_digest.py -q
"""

from datetime import date, datetime, timedelta
from pathlib import Path

import crm_notifications_digest as digest
import pytest
import pytz
from conftest import pure_imports
from hypothesis import given, settings
from hypothesis import strategies as st

PATH = Path(__file__).resolve().parent.parent / "crm_notifications" / "tools" / "digest.py"

TIMEZONES = st.sampled_from(sorted(pytz.common_timezones))
NOWS = st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2100, 12, 31))
HOURS = st.integers(min_value=0, max_value=23)


def test_pure_python():
    assert pure_imports(PATH) <= {"datetime", "pytz"}


def test_examples():
    monday_noon = datetime(2027, 1, 4, 12, 0)
    # Tokyo (UTC+9): 08:00 is 23:00 UTC the day before
    assert digest.previous_digest(monday_noon, 8, "Asia/Tokyo") == datetime(2027, 1, 3, 23, 0)
    assert digest.next_digest(monday_noon, 8, "Asia/Tokyo") == datetime(2027, 1, 4, 23, 0)
    # Kolkata (UTC+5:30): half-hour offsets
    assert digest.previous_digest(monday_noon, 17, "Asia/Kolkata") == datetime(2027, 1, 4, 11, 30)
    # an instant is its own previous digest, not its next one
    assert digest.previous_digest(datetime(2027, 1, 4, 8, 0), 8, "UTC") == datetime(2027, 1, 4, 8, 0)
    assert digest.next_digest(datetime(2027, 1, 4, 8, 0), 8, "UTC") == datetime(2027, 1, 5, 8, 0)
    # no timezone, an unknown one: UTC
    assert digest.previous_digest(monday_noon, 8, None) == datetime(2027, 1, 4, 8, 0)
    assert digest.previous_digest(monday_noon, 8, "Mars/Olympus") == datetime(2027, 1, 4, 8, 0)


def test_daylight_saving_days():
    # Brussels, spring forward at 02:00 (01:00 UTC): 02:00 is 03:00 that day
    assert digest.digest_at(date(2027, 3, 28), 2, "Europe/Brussels") == datetime(2027, 3, 28, 1, 0)
    assert digest.digest_at(date(2027, 3, 28), 8, "Europe/Brussels") == datetime(2027, 3, 28, 6, 0)
    # fall back: 02:00 happens twice, the first one counts
    assert digest.digest_at(date(2027, 10, 31), 2, "Europe/Brussels") == datetime(2027, 10, 31, 0, 0)
    # Samoa skipped 2011-12-30: its digest is that of the 31st, sent once
    apia = [digest.digest_at(date(2011, 12, day), 8, "Pacific/Apia") for day in (29, 30, 31)]
    assert apia[1] == apia[2]
    assert digest.next_digest(apia[0], 8, "Pacific/Apia") == apia[2]


@pytest.mark.parametrize("hour", [-1, 24, 8.0, None, True, "8"])
def test_invalid_hours(hour):
    assert not digest.valid_hour(hour)
    with pytest.raises(ValueError):
        digest.digest_at(date(2027, 1, 4), hour, "UTC")


def test_once_a_local_day_when_the_hour_moves():
    sent = datetime(2027, 1, 4, 7, 0)  # 08:00 in Brussels
    # moved to 17:00 the same day: not today, tomorrow at 17:00
    assert digest.pending_digest(datetime(2027, 1, 4, 16, 0), 17, "Europe/Brussels", last=sent) is None
    assert digest.upcoming_digest(datetime(2027, 1, 4, 9, 0), 17, "Europe/Brussels", last=sent) == \
        datetime(2027, 1, 5, 16, 0)
    assert digest.pending_digest(datetime(2027, 1, 5, 16, 0), 17, "Europe/Brussels", last=sent) == \
        datetime(2027, 1, 5, 16, 0)
    # moved to 17:00 before the morning's digest: today at 17:00
    yesterday = datetime(2027, 1, 3, 7, 0)
    assert digest.pending_digest(datetime(2027, 1, 4, 16, 0), 17, "Europe/Brussels", last=yesterday) == \
        datetime(2027, 1, 4, 16, 0)


@given(NOWS, HOURS, TIMEZONES)
def test_previous_and_next_surround_now(now, hour, tz):
    previous = digest.previous_digest(now, hour, tz)
    following = digest.next_digest(now, hour, tz)
    assert previous <= now < following
    # consecutive: no digest instant in between
    assert digest.next_digest(previous, hour, tz) == following
    assert digest.previous_digest(following, hour, tz) == following
    assert timedelta(0) < following - previous <= timedelta(hours=48)


@given(NOWS, HOURS)
def test_utc_is_the_hour_itself(now, hour):
    assert digest.previous_digest(now, hour, "UTC").hour == hour
    assert digest.previous_digest(now, hour, None) == digest.previous_digest(now, hour, "UTC")


@given(NOWS, HOURS, TIMEZONES)
def test_local_time_is_the_hour_except_in_a_gap(now, hour, tz):
    local = pytz.utc.localize(digest.previous_digest(now, hour, tz)).astimezone(pytz.timezone(tz))
    wanted = local.replace(hour=hour, minute=0, second=0, tzinfo=None)
    # on the hour, or later by the clocks' jump (at most a day: Samoa)
    assert timedelta(0) <= local.replace(tzinfo=None) - wanted <= timedelta(days=1)


@settings(deadline=None, max_examples=60)
@given(NOWS, HOURS, HOURS, TIMEZONES, st.integers(min_value=0, max_value=96 * 4))
def test_runs_every_quarter_send_once_a_local_day(start, hour, new_hour, tz, change_at):
    """The cron runs every 15 minutes for four days; the user moves their
    hour at some point: never two digests on one local day, and one on
    every local day after the first whose hour has come."""
    last, sent = None, []
    for step in range(96 * 4):
        now = start + timedelta(minutes=15 * step)
        current = hour if step < change_at else new_hour
        instant = digest.pending_digest(now, current, tz, last=last)
        if instant is not None:
            assert instant <= now
            # the trigger set after the previous send named this instant or an earlier one
            if last is not None:
                assert digest.upcoming_digest(last, current, tz, last=last) <= instant
            sent.append(instant)
            last = instant
    days = [digest.local_day(instant, tz) for instant in sent]
    assert len(days) == len(set(days))
    assert days == sorted(days)
    assert len(sent) >= 2


@given(NOWS, HOURS, TIMEZONES)
def test_upcoming_is_pending_at_its_time(now, hour, tz):
    last = digest.previous_digest(now, hour, tz)
    upcoming = digest.upcoming_digest(now, hour, tz, last=last)
    assert upcoming > now
    assert digest.pending_digest(upcoming, hour, tz, last=last) == upcoming
    assert digest.pending_digest(upcoming - timedelta(seconds=1), hour, tz, last=last) is None
