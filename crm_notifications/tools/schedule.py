# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""When an activity is due, and when its alerts go out.

An activity's deadline (``mail.activity.date_deadline``) is a *date*. It is
due at the **end of that day in the assignee's timezone**: 23:59:59 local
time, converted to naive UTC (the Odoo convention for datetimes). Without a
timezone, or with an unknown one, the day ends at 23:59:59 UTC.

The reminder goes out ``hours`` before that instant, the escalation ``hours``
after it. Plain Python (standard library and pytz), no Odoo: tested without a
database in the repository's ``tests/test_schedule.py``.
"""

import datetime

import pytz

from .timezone import get_timezone

# a leap year of hours: the longest interval the settings accept
MAX_HOURS = 366 * 24
END_OF_DAY = datetime.time(23, 59, 59)


def valid_hours(hours):
    """Whether ``hours`` is an accepted interval: an integer from 1 to
    :data:`MAX_HOURS` (booleans are not numbers of hours)."""
    return isinstance(hours, int) and not isinstance(hours, bool) and 1 <= hours <= MAX_HOURS


def deadline_utc(day, tz=None):
    """The instant a deadline ``day`` is due: 23:59:59 on that day in ``tz``,
    as a naive UTC datetime.

    :param day: a :class:`datetime.date` (a datetime is reduced to its date)
    :param tz: an IANA timezone name; empty or unknown: UTC

    >>> deadline_utc(datetime.date(2027, 1, 4), "Europe/Brussels")
    datetime.datetime(2027, 1, 4, 22, 59, 59)
    >>> deadline_utc(datetime.date(2027, 1, 4), "America/Los_Angeles")  # the next day in UTC
    datetime.datetime(2027, 1, 5, 7, 59, 59)
    >>> deadline_utc(datetime.date(2027, 1, 4), "Not/A_Zone")
    datetime.datetime(2027, 1, 4, 23, 59, 59)
    """
    if isinstance(day, datetime.datetime):
        day = day.date()
    # an unknown timezone (an old database, a typo through RPC) must not stop
    # the alerts: UTC's day then. is_dst=False: where a fall-back repeats the
    # day's last hour, the day ends at the later of the two 23:59:59
    tzinfo = get_timezone(tz, fallback=pytz.utc)
    local = tzinfo.localize(datetime.datetime.combine(day, END_OF_DAY), is_dst=False)
    return local.astimezone(pytz.utc).replace(tzinfo=None)


def _check(hours):
    if not valid_hours(hours):
        raise ValueError(f"hours must be an integer from 1 to {MAX_HOURS}, not {hours!r}")


def reminder_at(deadline, hours):
    """When the reminder of an activity due at ``deadline`` (naive UTC) goes
    out: ``hours`` before it."""
    _check(hours)
    return deadline - datetime.timedelta(hours=hours)


def escalation_at(deadline, hours):
    """When the escalation of an activity due at ``deadline`` (naive UTC)
    goes out: ``hours`` after it."""
    _check(hours)
    return deadline + datetime.timedelta(hours=hours)
