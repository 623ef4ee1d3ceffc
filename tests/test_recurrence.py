# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Tests of ``crm_notifications/tools/recurrence.py``, without Odoo.

``conftest.py`` loads the module from its file as
``crm_notifications_recurrence``. Run with::

    python -m pytest tests/test_recurrence.py -q
"""

import calendar
import collections.abc
import functools
import itertools
import typing
from datetime import date, datetime, time, timedelta

import crm_notifications_recurrence as recurrence
import pytest
import pytz
from conftest import pure_imports
from dateutil import rrule
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

Recurrence = recurrence.Recurrence
RecurrenceError = recurrence.RecurrenceError
occurrences = recurrence.occurrences

WEEKDAY_FIELDS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_CODES = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


def recurrent(**values):
    return Recurrence(recurrency=True, **values)


def to_local(value, tz):
    return pytz.utc.localize(value).astimezone(pytz.timezone(tz)).replace(tzinfo=None)


def dates_of(values):
    return [value.date() for value in values]


# ---------------------------------------------------------------------------
# Module shape
# ---------------------------------------------------------------------------


def test_module_does_not_import_odoo():
    assert pure_imports(recurrence.__file__) <= {"dataclasses", "datetime", "itertools", "pytz", "dateutil"}


def test_selections_match_calendar_conventions():
    def values(selection):
        return [value for value, _label in selection]

    assert values(recurrence.RRULE_TYPES) == ["daily", "weekly", "monthly", "yearly"]
    assert values(recurrence.END_TYPES) == ["count", "end_date", "forever"]
    assert values(recurrence.MONTH_BY) == ["date", "day"]
    assert values(recurrence.BYDAY) == ["1", "2", "3", "4", "-1"]
    assert values(recurrence.WEEKDAYS) == list(WEEKDAY_CODES)
    for selection in (
        recurrence.RRULE_TYPES,
        recurrence.END_TYPES,
        recurrence.MONTH_BY,
        recurrence.BYDAY,
        recurrence.WEEKDAYS,
    ):
        assert all(isinstance(label, str) and label for _value, label in selection)


def test_recurrence_defaults_and_immutability():
    rec = Recurrence()
    assert not rec.recurrency
    assert (rec.rrule_type, rec.interval, rec.end_type, rec.count) == ("weekly", 1, "forever", 1)
    assert (rec.month_by, rec.day, rec.byday, rec.weekday) == ("date", 1, "1", "MON")
    assert rec.until is None
    with pytest.raises(AttributeError):
        rec.interval = 2


# ---------------------------------------------------------------------------
# Explicit examples
# ---------------------------------------------------------------------------


def test_not_recurrent_is_a_single_occurrence_at_activation():
    activation = datetime(2025, 5, 6, 7, 0)
    # Hidden rule fields of a one-shot reminder are irrelevant, even invalid.
    rec = Recurrence(rrule_type="bogus", interval=0)
    assert list(occurrences(rec, activation, "Europe/Brussels")) == [activation]
    assert list(occurrences(rec, activation, "Europe/Brussels", after=activation)) == []
    assert list(
        occurrences(rec, activation, "Europe/Brussels", after=activation - timedelta(seconds=1))
    ) == [activation]
    assert list(occurrences(rec, activation, "Europe/Brussels", before=activation)) == []
    assert list(occurrences(rec, activation, "Europe/Brussels", limit=0)) == []


def test_daily_with_interval_3():
    rec = recurrent(rrule_type="daily", interval=3)
    got = list(occurrences(rec, datetime(2025, 1, 30, 10), "UTC", limit=4))
    assert got == [
        datetime(2025, 1, 30, 10),
        datetime(2025, 2, 2, 10),
        datetime(2025, 2, 5, 10),
        datetime(2025, 2, 8, 10),
    ]


def test_weekly_on_several_weekdays():
    rec = recurrent(rrule_type="weekly", mon=True, wed=True, fri=True)
    got = list(occurrences(rec, datetime(2025, 1, 6, 9), "UTC", limit=6))  # a Monday
    assert dates_of(got) == [
        date(2025, 1, 6),
        date(2025, 1, 8),
        date(2025, 1, 10),
        date(2025, 1, 13),
        date(2025, 1, 15),
        date(2025, 1, 17),
    ]
    assert {value.time() for value in got} == {time(9)}


def test_weekly_activation_day_not_matching_is_not_an_occurrence():
    rec = recurrent(rrule_type="weekly", mon=True)
    got = list(occurrences(rec, datetime(2025, 1, 1, 9), "UTC", limit=2))  # a Wednesday
    assert got == [datetime(2025, 1, 6, 9), datetime(2025, 1, 13, 9)]


def test_weekly_interval_2_counts_weeks_from_the_activation_week():
    rec = recurrent(rrule_type="weekly", interval=2, tue=True, thu=True)
    got = list(occurrences(rec, datetime(2025, 1, 7, 9), "UTC", limit=4))  # a Tuesday
    assert dates_of(got) == [date(2025, 1, 7), date(2025, 1, 9), date(2025, 1, 21), date(2025, 1, 23)]

    # Weeks start on Monday (RFC 5545 default): activated on Wednesday
    # 2025-01-01, the Monday of that week has passed, the next one is two
    # weeks later.
    rec = recurrent(rrule_type="weekly", interval=2, mon=True)
    got = list(occurrences(rec, datetime(2025, 1, 1, 9), "UTC", limit=2))
    assert dates_of(got) == [date(2025, 1, 13), date(2025, 1, 27)]


def test_monthly_on_day_31_falls_on_the_last_day_of_short_months():
    rec = recurrent(rrule_type="monthly", month_by="date", day=31, end_type="count", count=14)
    got = list(occurrences(rec, datetime(2027, 1, 31, 8), "UTC"))
    assert dates_of(got) == [
        date(2027, 1, 31),
        date(2027, 2, 28),
        date(2027, 3, 31),
        date(2027, 4, 30),
        date(2027, 5, 31),
        date(2027, 6, 30),
        date(2027, 7, 31),
        date(2027, 8, 31),
        date(2027, 9, 30),
        date(2027, 10, 31),
        date(2027, 11, 30),
        date(2027, 12, 31),
        date(2028, 1, 31),
        date(2028, 2, 29),
    ]


def test_monthly_on_day_30_in_february():
    rec = recurrent(rrule_type="monthly", month_by="date", day=30)
    assert dates_of(occurrences(rec, datetime(2027, 1, 30, 8), "UTC", limit=3)) == [
        date(2027, 1, 30),
        date(2027, 2, 28),
        date(2027, 3, 30),
    ]
    assert dates_of(occurrences(rec, datetime(2028, 1, 30, 8), "UTC", limit=3)) == [
        date(2028, 1, 30),
        date(2028, 2, 29),
        date(2028, 3, 30),
    ]


def test_monthly_on_date_starts_on_or_after_activation():
    activation = datetime(2025, 1, 20, 8)
    rec = recurrent(rrule_type="monthly", month_by="date", day=15)
    assert dates_of(occurrences(rec, activation, "UTC", limit=2)) == [date(2025, 2, 15), date(2025, 3, 15)]
    rec = recurrent(rrule_type="monthly", month_by="date", day=25, interval=2)
    assert dates_of(occurrences(rec, activation, "UTC", limit=2)) == [date(2025, 1, 25), date(2025, 3, 25)]


def test_monthly_on_the_second_tuesday():
    rec = recurrent(rrule_type="monthly", month_by="day", byday="2", weekday="TUE")
    got = list(occurrences(rec, datetime(2025, 1, 1, 8), "UTC", limit=4))
    assert dates_of(got) == [date(2025, 1, 14), date(2025, 2, 11), date(2025, 3, 11), date(2025, 4, 8)]
    assert all(value.time() == time(8) for value in got)


def test_monthly_on_the_last_friday():
    rec = recurrent(rrule_type="monthly", month_by="day", byday="-1", weekday="FRI")
    got = list(occurrences(rec, datetime(2025, 1, 1, 8), "UTC", limit=4))
    assert dates_of(got) == [date(2025, 1, 31), date(2025, 2, 28), date(2025, 3, 28), date(2025, 4, 25)]


def test_yearly_on_the_activation_month_and_day():
    rec = recurrent(rrule_type="yearly", interval=2)
    got = list(occurrences(rec, datetime(2025, 3, 15, 8), "UTC", limit=3))
    assert got == [datetime(2025, 3, 15, 8), datetime(2027, 3, 15, 8), datetime(2029, 3, 15, 8)]


def test_yearly_from_february_29_falls_on_february_28_in_common_years():
    rec = recurrent(rrule_type="yearly")
    got = list(occurrences(rec, datetime(2024, 2, 29, 8), "UTC", limit=5))
    assert dates_of(got) == [
        date(2024, 2, 29),
        date(2025, 2, 28),
        date(2026, 2, 28),
        date(2027, 2, 28),
        date(2028, 2, 29),
    ]


def test_daily_keeps_local_time_across_brussels_dst_changes():
    rec = recurrent(rrule_type="daily")
    # Last Sunday of March 2025 is the 30th: 09:00 is 08:00 UTC in winter
    # (CET, +1) and 07:00 UTC in summer (CEST, +2).
    spring = list(occurrences(rec, datetime(2025, 3, 28, 8), "Europe/Brussels", limit=5))
    assert spring == [
        datetime(2025, 3, 28, 8),
        datetime(2025, 3, 29, 8),
        datetime(2025, 3, 30, 7),
        datetime(2025, 3, 31, 7),
        datetime(2025, 4, 1, 7),
    ]
    # Last Sunday of October 2025 is the 26th.
    autumn = list(occurrences(rec, datetime(2025, 10, 24, 7), "Europe/Brussels", limit=4))
    assert autumn == [
        datetime(2025, 10, 24, 7),
        datetime(2025, 10, 25, 7),
        datetime(2025, 10, 26, 8),
        datetime(2025, 10, 27, 8),
    ]
    for value in spring + autumn:
        assert to_local(value, "Europe/Brussels").time() == time(9)


def test_daily_keeps_local_time_across_sydney_dst_end():
    # DST ends on Sunday 2025-04-06 in Sydney: 09:00 is 22:00 UTC the day
    # before under AEDT (+11), 23:00 UTC under AEST (+10).
    rec = recurrent(rrule_type="daily")
    got = list(occurrences(rec, datetime(2025, 4, 4, 22), "Australia/Sydney", limit=3))
    assert got == [datetime(2025, 4, 4, 22), datetime(2025, 4, 5, 23), datetime(2025, 4, 6, 23)]


def test_time_skipped_by_spring_forward_is_shifted_by_the_gap():
    rec = recurrent(rrule_type="daily")
    # 02:30 does not exist in Brussels on 2025-03-30: 03:30 CEST instead.
    got = list(occurrences(rec, datetime(2025, 3, 29, 1, 30), "Europe/Brussels", limit=3))
    assert got == [datetime(2025, 3, 29, 1, 30), datetime(2025, 3, 30, 1, 30), datetime(2025, 3, 31, 0, 30)]
    assert to_local(got[1], "Europe/Brussels") == datetime(2025, 3, 30, 3, 30)


def test_time_repeated_by_fall_back_takes_the_first_pass():
    rec = recurrent(rrule_type="daily")
    # 02:30 happens twice in Brussels on 2025-10-26: 00:30 UTC then 01:30 UTC.
    got = list(occurrences(rec, datetime(2025, 10, 25, 0, 30), "Europe/Brussels", limit=3))
    assert got == [datetime(2025, 10, 25, 0, 30), datetime(2025, 10, 26, 0, 30), datetime(2025, 10, 27, 1, 30)]


def test_activation_during_the_second_pass_of_a_repeated_hour_is_kept():
    rec = recurrent(rrule_type="daily")
    activation = datetime(2025, 10, 26, 1, 30)  # 02:30 CET, second pass
    got = list(occurrences(rec, activation, "Europe/Brussels", limit=2))
    assert got == [activation, datetime(2025, 10, 27, 1, 30)]


def test_a_skipped_local_day_does_not_repeat_an_occurrence():
    # Samoa skipped 2011-12-30 (UTC-10 to UTC+14): 10:00 on the 30th, read
    # before the change, is the same instant as 10:00 on the 31st.
    rec = recurrent(rrule_type="daily")
    got = list(occurrences(rec, datetime(2011, 12, 28, 20), "Pacific/Apia", limit=4))
    assert got == [
        datetime(2011, 12, 28, 20),
        datetime(2011, 12, 29, 20),
        datetime(2011, 12, 30, 20),
        datetime(2011, 12, 31, 20),
    ]
    assert to_local(got[-1], "Pacific/Apia") == datetime(2012, 1, 1, 10)


def test_microseconds_of_the_activation_are_kept():
    rec = recurrent(rrule_type="daily")
    activation = datetime(2025, 1, 6, 9, 0, 0, 123456)
    got = list(occurrences(rec, activation, "Europe/Brussels", limit=3))
    assert got[0] == activation
    assert [value - activation for value in got] == [timedelta(days=n) for n in range(3)]


def test_end_by_count_counts_from_activation():
    rec = recurrent(rrule_type="weekly", mon=True, end_type="count", count=3)
    got = list(occurrences(rec, datetime(2025, 1, 1, 9), "UTC", limit=10))
    assert got == [datetime(2025, 1, 6, 9), datetime(2025, 1, 13, 9), datetime(2025, 1, 20, 9)]
    # Occurrences already past still count: the cron only gets what is left.
    after = datetime(2025, 1, 10)
    assert list(occurrences(rec, datetime(2025, 1, 1, 9), "UTC", after=after)) == got[1:]


def test_end_date_is_inclusive_of_the_whole_local_day():
    # 23:30 in Brussels is 21:30 UTC in summer.
    rec = recurrent(rrule_type="daily", end_type="end_date", until=date(2025, 6, 10))
    got = list(occurrences(rec, datetime(2025, 6, 8, 21, 30), "Europe/Brussels"))
    assert got == [datetime(2025, 6, 8, 21, 30), datetime(2025, 6, 9, 21, 30), datetime(2025, 6, 10, 21, 30)]

    # 08:00 in Sydney is 22:00 UTC the day before: the end date is a local day.
    rec = recurrent(rrule_type="daily", end_type="end_date", until=date(2025, 6, 9))
    got = list(occurrences(rec, datetime(2025, 6, 7, 22), "Australia/Sydney"))
    assert got == [datetime(2025, 6, 7, 22), datetime(2025, 6, 8, 22)]
    assert to_local(got[-1], "Australia/Sydney") == datetime(2025, 6, 9, 8)


def test_end_date_on_the_activation_day():
    rec = recurrent(rrule_type="daily", end_type="end_date", until=date(2025, 6, 8))
    activation = datetime(2025, 6, 8, 21, 30)
    assert list(occurrences(rec, activation, "Europe/Brussels")) == [activation]


def test_end_date_accepts_a_datetime():
    rec = recurrent(rrule_type="daily", end_type="end_date", until=datetime(2025, 6, 9, 0, 0))
    assert len(list(occurrences(rec, datetime(2025, 6, 8, 9), "UTC"))) == 2


def test_forever_is_lazy():
    rec = recurrent(rrule_type="daily")
    result = occurrences(rec, datetime(2025, 1, 1, 9), "UTC")
    assert isinstance(result, collections.abc.Iterator)
    assert next(itertools.islice(result, 9999, None)) == datetime(2025, 1, 1, 9) + timedelta(days=9999)


def test_after_before_and_limit():
    rec = recurrent(rrule_type="daily")
    activation = datetime(2025, 1, 1, 9)
    assert list(occurrences(rec, activation, "UTC", after=datetime(2025, 1, 3, 9), limit=2)) == [
        datetime(2025, 1, 4, 9),
        datetime(2025, 1, 5, 9),
    ]
    assert list(occurrences(rec, activation, "UTC", before=datetime(2025, 1, 3, 9))) == [
        datetime(2025, 1, 1, 9),
        datetime(2025, 1, 2, 9),
    ]
    assert list(
        occurrences(rec, activation, "UTC", after=datetime(2025, 1, 1, 9), before=datetime(2025, 1, 4))
    ) == [datetime(2025, 1, 2, 9), datetime(2025, 1, 3, 9)]
    assert list(occurrences(rec, activation, "UTC", limit=0)) == []
    with pytest.raises(ValueError, match="limit"):
        occurrences(rec, activation, "UTC", limit=-1)


def test_next_occurrences():
    rec = recurrent(rrule_type="weekly", mon=True)
    activation = datetime(2025, 1, 6, 9)
    assert recurrence.next_occurrences(rec, activation, "UTC", 1, after=datetime(2025, 2, 1)) == [
        datetime(2025, 2, 3, 9)
    ]
    assert recurrence.next_occurrences(rec, activation, "UTC", 3) == [
        datetime(2025, 1, 6, 9),
        datetime(2025, 1, 13, 9),
        datetime(2025, 1, 20, 9),
    ]
    ended = recurrent(rrule_type="weekly", mon=True, end_type="count", count=2)
    assert recurrence.next_occurrences(ended, activation, "UTC", 5, after=datetime(2025, 2, 1)) == []


def test_timezone_argument():
    rec = recurrent(rrule_type="daily")
    activation = datetime(2025, 3, 28, 8)
    by_name = list(occurrences(rec, activation, "Europe/Brussels", limit=4))
    by_object = list(occurrences(rec, activation, pytz.timezone("Europe/Brussels"), limit=4))
    assert by_name == by_object
    # No timezone: UTC, like Odoo for users without one.
    assert list(occurrences(rec, activation, False, limit=4)) == list(occurrences(rec, activation, "UTC", limit=4))


@pytest.mark.parametrize(
    ("values", "activation_local", "expected"),
    [
        (
            {"rrule_type": "weekly", "mon": True, "wed": True, "end_type": "count", "count": 3},
            datetime(2025, 1, 6, 9),
            "DTSTART:20250106T090000\nRRULE:FREQ=WEEKLY;COUNT=3;BYDAY=MO,WE",
        ),
        (
            {"rrule_type": "daily", "interval": 2, "end_type": "end_date", "until": date(2025, 2, 1)},
            datetime(2025, 1, 6, 9),
            "DTSTART:20250106T090000\nRRULE:FREQ=DAILY;INTERVAL=2;UNTIL=20250201T235959",
        ),
        (
            {"rrule_type": "monthly", "month_by": "date", "day": 15},
            datetime(2025, 1, 6, 9),
            "DTSTART:20250106T090000\nRRULE:FREQ=MONTHLY;BYMONTHDAY=15",
        ),
        (
            {"rrule_type": "monthly", "month_by": "date", "day": 31},
            datetime(2025, 1, 6, 9),
            "DTSTART:20250106T090000\nRRULE:FREQ=MONTHLY;BYSETPOS=1;BYMONTHDAY=31,-1",
        ),
        (
            {"rrule_type": "monthly", "month_by": "day", "byday": "-1", "weekday": "FRI"},
            datetime(2025, 1, 6, 9),
            "DTSTART:20250106T090000\nRRULE:FREQ=MONTHLY;BYDAY=-1FR",
        ),
        (
            {"rrule_type": "yearly"},
            datetime(2025, 3, 15, 9),
            "DTSTART:20250315T090000\nRRULE:FREQ=YEARLY",
        ),
    ],
)
def test_to_rrule_string(values, activation_local, expected):
    rec = recurrent(**values)
    text = recurrence.to_rrule_string(rec, activation_local)
    assert text == expected
    # The text is parsed back to the same rule.
    utc_activation = activation_local  # evaluated in UTC: local == UTC
    parsed = list(itertools.islice(rrule.rrulestr(text), 40))
    assert parsed == list(occurrences(rec, utc_activation, "UTC", limit=40))


def test_to_rrule_string_of_a_single_reminder_is_empty():
    assert recurrence.to_rrule_string(Recurrence(), datetime(2025, 1, 6, 9)) == ""


def test_to_rrule_string_keeps_february_29():
    text = recurrence.to_rrule_string(recurrent(rrule_type="yearly"), datetime(2024, 2, 29, 9))
    assert dates_of(itertools.islice(rrule.rrulestr(text), 3)) == [
        date(2024, 2, 29),
        date(2025, 2, 28),
        date(2026, 2, 28),
    ]


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------

ACTIVATION = datetime(2025, 1, 9, 23, 30)  # 2025-01-10 00:30 in Brussels


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"rrule_type": "hourly"}, "rrule_type"),
        ({"rrule_type": False}, "rrule_type"),
        ({"rrule_type": "daily", "interval": 0}, "interval"),
        ({"rrule_type": "daily", "interval": -2}, "interval"),
        ({"rrule_type": "daily", "interval": 1.5}, "interval"),
        ({"rrule_type": "weekly"}, "mon"),
        ({"rrule_type": "monthly", "month_by": "week"}, "month_by"),
        ({"rrule_type": "monthly", "month_by": "date", "day": 0}, "day"),
        ({"rrule_type": "monthly", "month_by": "date", "day": 32}, "day"),
        ({"rrule_type": "monthly", "month_by": "day", "byday": "5"}, "byday"),
        ({"rrule_type": "monthly", "month_by": "day", "byday": False}, "byday"),
        ({"rrule_type": "monthly", "month_by": "day", "weekday": "MONDAY"}, "weekday"),
        ({"rrule_type": "daily", "end_type": "never"}, "end_type"),
        ({"rrule_type": "daily", "end_type": "count", "count": 0}, "count"),
        ({"rrule_type": "daily", "end_type": "end_date"}, "until"),
        ({"rrule_type": "daily", "end_type": "end_date", "until": False}, "until"),
        # UTC date of the activation, but the day before its local date.
        ({"rrule_type": "daily", "end_type": "end_date", "until": date(2025, 1, 9)}, "until"),
    ],
)
def test_invalid_parameters_name_the_field(values, field):
    rec = recurrent(**values)
    with pytest.raises(RecurrenceError) as error:
        occurrences(rec, ACTIVATION, "Europe/Brussels")
    assert error.value.field == field
    assert str(error.value)
    with pytest.raises(RecurrenceError) as error:
        rec.validate(to_local(ACTIVATION, "Europe/Brussels"))
    assert error.value.field == field


def test_missing_weekday_message():
    with pytest.raises(RecurrenceError, match="Choose at least one weekday"):
        recurrent(rrule_type="weekly").validate(datetime(2025, 1, 6, 9))


def test_irrelevant_fields_are_not_validated():
    # Hidden fields of the form keep whatever value they had.
    rec = recurrent(rrule_type="monthly", month_by="date", day=15, byday=False, weekday=False, count=0)
    rec.validate(datetime(2025, 1, 6, 9))
    recurrent(rrule_type="daily", day=0, until=False).validate(datetime(2025, 1, 6, 9))


@pytest.mark.parametrize(
    "activation",
    [None, False, date(2025, 1, 6), pytz.utc.localize(datetime(2025, 1, 6, 9))],
)
def test_invalid_activation(activation):
    with pytest.raises(RecurrenceError) as error:
        occurrences(recurrent(rrule_type="daily"), activation, "UTC")
    assert error.value.field == "activation_date"


@pytest.mark.parametrize("tz", ["Mars/Olympus_Mons", "europe/nowhere", 42])
def test_unknown_timezone(tz):
    with pytest.raises(RecurrenceError) as error:
        occurrences(recurrent(rrule_type="daily"), datetime(2025, 1, 6, 9), tz)
    assert error.value.field == "tz"


def test_recurrence_error_is_a_value_error():
    assert issubclass(RecurrenceError, ValueError)
    assert RecurrenceError("message", "interval").field == "interval"


def test_validation_happens_on_call_not_on_iteration():
    with pytest.raises(RecurrenceError):
        occurrences(recurrent(rrule_type="daily", interval=0), datetime(2025, 1, 6, 9), "UTC")


# ---------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------

# One zone with DST in each hemisphere, one in the Americas, and UTC.
TIMEZONES = ["UTC", "Europe/Brussels", "Australia/Sydney", "America/New_York"]
FOREVER_LIMIT = 15

PROPERTY_SETTINGS = settings(
    max_examples=200,
    deadline=None,
    # No example database: nothing written into the repository.
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


class Scenario(typing.NamedTuple):
    recurrence: Recurrence
    activation: datetime
    tz: str

    @property
    def activation_local(self):
        return to_local(self.activation, self.tz)

    def limit(self):
        if self.recurrence.end_type == "count":
            return self.recurrence.count + 5
        if self.recurrence.end_type == "forever":
            return FOREVER_LIMIT
        return None

    def occurrences(self, **kwargs):
        return list(occurrences(self.recurrence, self.activation, self.tz, **kwargs))


@st.composite
def activations(draw, tz):
    # DST transitions happen in March-April and October-November, between
    # 01:00 and 04:00 local time: favour those months and hours so that DST
    # gaps and repeated hours are actually exercised; favour month ends too.
    day = draw(
        st.one_of(
            st.dates(date(2020, 1, 1), date(2030, 12, 31)),
            st.builds(
                date,
                st.integers(2020, 2030),
                st.sampled_from([3, 4, 10, 11]),
                st.integers(1, 28),
            ),
            # Month ends, February 29 included, for clamped days.
            st.builds(
                lambda year, month: date(year, month, calendar.monthrange(year, month)[1]),
                st.integers(2020, 2030),
                st.integers(1, 12),
            ),
        )
    )
    hour = draw(st.one_of(st.sampled_from([1, 2, 3]), st.integers(0, 23)))
    wall = datetime.combine(
        day, time(hour, draw(st.integers(0, 59)), draw(st.sampled_from([0, 0, 30, 59])))
    )
    aware = pytz.timezone(tz).localize(wall, is_dst=draw(st.booleans()))
    return aware.astimezone(pytz.utc).replace(tzinfo=None)


@st.composite
def scenarios(draw):
    tz = draw(st.sampled_from(TIMEZONES))
    activation = draw(activations(tz))
    flags = draw(st.sets(st.sampled_from(WEEKDAY_FIELDS), min_size=1))
    rec = Recurrence(
        recurrency=True,
        rrule_type=draw(st.sampled_from(["daily", "weekly", "monthly", "yearly"])),
        interval=draw(st.integers(1, 5)),
        month_by=draw(st.sampled_from(["date", "day"])),
        # Days that some months lack are the interesting ones.
        day=draw(st.one_of(st.integers(28, 31), st.integers(1, 31))),
        byday=draw(st.sampled_from(["1", "2", "3", "4", "-1"])),
        weekday=draw(st.sampled_from(WEEKDAY_CODES)),
        end_type=draw(st.sampled_from(["count", "end_date", "forever"])),
        count=draw(st.integers(1, 12)),
        until=to_local(activation, tz).date() + timedelta(days=draw(st.integers(0, 730))),
        **{fname: fname in flags for fname in WEEKDAY_FIELDS},
    )
    return Scenario(rec, activation, tz)


def matches(rec, start, day):
    """Tell whether the local date ``day`` is an occurrence of ``rec``
    activated on ``start``, read from the rule by brute force, independently
    from dateutil."""
    last_day = calendar.monthrange(day.year, day.month)[1]
    if rec.rrule_type == "daily":
        return (day - start).days % rec.interval == 0
    if rec.rrule_type == "weekly":
        week_start = start - timedelta(days=start.weekday())
        weeks = (day - timedelta(days=day.weekday()) - week_start).days // 7
        return getattr(rec, WEEKDAY_FIELDS[day.weekday()]) and weeks % rec.interval == 0
    if rec.rrule_type == "monthly":
        months = (day.year - start.year) * 12 + day.month - start.month
        if months % rec.interval:
            return False
        if rec.month_by == "date":
            return day.day == min(rec.day, last_day)
        if day.weekday() != WEEKDAY_CODES.index(rec.weekday):
            return False
        if rec.byday == "-1":
            return day.day + 7 > last_day
        return (day.day - 1) // 7 + 1 == int(rec.byday)
    return (
        (day.year - start.year) % rec.interval == 0
        and day.month == start.month
        and day.day == min(start.day, last_day)
    )


@PROPERTY_SETTINGS
@given(scenarios())
def test_property_increasing_and_within_bounds(scenario):
    rec = scenario.recurrence
    got = scenario.occurrences(limit=scenario.limit())
    if rec.end_type != "end_date":
        assert got, "an unbounded or counted recurrence always occurs"
    # An end date may come before the first matching day: no occurrence.
    assert all(value >= scenario.activation for value in got[:1])
    assert all(earlier < later for earlier, later in itertools.pairwise(got))
    if rec.end_type == "count":
        assert len(got) == rec.count
    elif rec.end_type == "forever":
        assert len(got) == FOREVER_LIMIT
    else:
        assert all(to_local(value, scenario.tz).date() <= rec.until for value in got)


def check_wall_clock(values, activation, tz_name):
    """Every occurrence is at the activation's local time; a time skipped by
    DST is moved forward by the gap, a repeated one takes its first pass."""
    tz = pytz.timezone(tz_name)
    wanted = to_local(activation, tz_name).time()
    for value in values:
        local = to_local(value, tz_name)
        nominal = datetime.combine(local.date(), wanted)
        if local.time() != wanted:
            with pytest.raises(pytz.NonExistentTimeError):
                tz.localize(nominal, is_dst=None)
            gap = tz.localize(nominal, is_dst=True).utcoffset() - tz.localize(nominal, is_dst=False).utcoffset()
            assert local == nominal + gap
            continue
        try:
            tz.localize(nominal, is_dst=None)
        except pytz.AmbiguousTimeError:
            if value != activation:
                first = min(tz.localize(nominal, is_dst=flag) for flag in (True, False))
                assert value == first.astimezone(pytz.utc).replace(tzinfo=None)


@PROPERTY_SETTINGS
@given(scenarios())
def test_property_local_time_is_kept_except_in_dst_gaps(scenario):
    check_wall_clock(scenario.occurrences(limit=scenario.limit()), scenario.activation, scenario.tz)


@functools.cache
def dst_transition_days(tz_name, year):
    """Return the local days of ``year`` on which the UTC offset of
    ``tz_name`` changes, found by comparing the offsets at noon."""
    tz = pytz.timezone(tz_name)

    def offset(day):
        return tz.utcoffset(datetime.combine(day, time(12)), is_dst=False)

    days = [date(year, 1, 1) + timedelta(days=n) for n in range(366)]
    return tuple(day for previous, day in itertools.pairwise(days) if offset(previous) != offset(day))


@PROPERTY_SETTINGS
@given(
    tz=st.sampled_from(["Europe/Brussels", "Australia/Sydney", "America/New_York"]),
    year=st.integers(2020, 2030),
    transition=st.sampled_from([0, 1]),
    # Activated up to 69 days before the transition day, or on that day:
    # 70 daily or 10 weekly occurrences always cross it.
    days_before=st.one_of(st.just(0), st.integers(0, 69)),
    wall=st.builds(time, st.integers(0, 3), st.integers(0, 59)),
    is_dst=st.booleans(),
    weekly=st.booleans(),
)
def test_property_dst_transitions(tz, year, transition, days_before, wall, is_dst, weekly):
    day = dst_transition_days(tz, year)[transition] - timedelta(days=days_before)
    activation = (
        pytz.timezone(tz)
        .localize(datetime.combine(day, wall), is_dst=is_dst)
        .astimezone(pytz.utc)
        .replace(tzinfo=None)
    )
    if weekly:
        # Transitions happen on Sundays.
        rec = recurrent(rrule_type="weekly", sun=True, end_type="count", count=10)
    else:
        rec = recurrent(rrule_type="daily", end_type="count", count=70)
    got = list(occurrences(rec, activation, tz))
    assert len(got) == rec.count
    assert got[0] >= activation
    assert all(earlier < later for earlier, later in itertools.pairwise(got))
    check_wall_clock(got, activation, tz)


@PROPERTY_SETTINGS
@given(scenarios())
def test_property_occurrences_are_exactly_the_matching_days(scenario):
    rec = scenario.recurrence
    start = scenario.activation_local.date()
    got = [to_local(value, scenario.tz).date() for value in scenario.occurrences(limit=scenario.limit())]
    end = rec.until if rec.end_type == "end_date" else got[-1]
    expected = [
        day
        for day in (start + timedelta(days=n) for n in range((end - start).days + 1))
        if matches(rec, start, day)
    ]
    assert got == expected


@PROPERTY_SETTINGS
@given(scenarios(), st.data())
def test_property_after_and_before_filter_the_full_list(scenario, data):
    full = scenario.occurrences(limit=scenario.limit())
    assume(full)
    pivot = data.draw(st.sampled_from(full)) + data.draw(
        st.sampled_from([timedelta(seconds=-1), timedelta(0), timedelta(seconds=1)])
    )
    later = [value for value in full if value > pivot]
    earlier = [value for value in full if value < pivot]

    limit = len(later) if scenario.recurrence.end_type == "forever" else None
    assert scenario.occurrences(after=pivot, limit=limit) == later
    assert scenario.occurrences(before=pivot) == earlier
    assert scenario.occurrences(after=scenario.activation - timedelta(seconds=1), limit=len(full)) == full
    if later:
        assert recurrence.next_occurrences(
            scenario.recurrence, scenario.activation, scenario.tz, 1, after=pivot
        ) == later[:1]


@PROPERTY_SETTINGS
@given(st.sampled_from(TIMEZONES).flatmap(lambda tz: st.tuples(st.just(tz), activations(tz))))
def test_property_single_reminder(tz_and_activation):
    tz, activation = tz_and_activation
    assert list(occurrences(Recurrence(), activation, tz)) == [activation]


@PROPERTY_SETTINGS
@given(scenarios())
def test_property_rrule_string_round_trip(scenario):
    # rrulestr yields the nominal local times, before any DST adjustment.
    text = recurrence.to_rrule_string(scenario.recurrence, scenario.activation_local)
    parsed = list(itertools.islice(rrule.rrulestr(text), scenario.limit() or 10_000))
    got = scenario.occurrences(limit=scenario.limit())
    assert [value.date() for value in parsed] == [to_local(value, scenario.tz).date() for value in got]


@PROPERTY_SETTINGS
@given(scenarios(), st.integers(0, 4000), st.integers(0, 86399))
def test_property_fast_forward_changes_nothing(scenario, days_later, seconds):
    """Starting the rule near ``after`` (what keeps a reminder activated in
    1970 cheap) yields exactly the occurrences walked from the activation."""
    after = scenario.activation + timedelta(days=days_later, seconds=seconds)
    fast = scenario.occurrences(after=after, limit=8)
    walked = scenario.occurrences(after=after, limit=8, fast_forward=False)
    assert fast == walked


def test_fast_forward_keeps_an_old_daily_reminder_cheap():
    """A daily reminder activated on 1970-01-01, previewed in 2026: the rule
    starts a day or so before, not 20,000 days before (counted in dateutil
    steps, not timed)."""
    rec = recurrent(rrule_type="daily")
    activation = datetime(1970, 1, 1, 8, 0)
    after = datetime(2026, 11, 30, 12, 0)
    steps = []
    original = recurrence._build_rrule

    def counting_build(*args, **kwargs):
        for value in original(*args, **kwargs):
            steps.append(value)
            yield value

    recurrence._build_rrule = counting_build
    try:
        got = list(occurrences(rec, activation, "Europe/Brussels", after=after, limit=3))
    finally:
        recurrence._build_rrule = original
    assert got == [datetime(2026, 12, 1, 8, 0), datetime(2026, 12, 2, 8, 0), datetime(2026, 12, 3, 8, 0)]
    assert len(steps) < 10
