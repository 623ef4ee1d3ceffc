# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""When a user's daily digest goes out.

A user's digest is due every day at ``hour`` (0 to 23) in their timezone:
the *digest instant* of a local day, as a naive UTC datetime (the Odoo
convention). An instant the clocks skip (spring forward) is moved on by the
gap, a repeated one is its first occurrence (``timezone.local_to_utc``);
an empty or unknown timezone is UTC, as for the activity alerts.

"Once a day" is counted in local days: after a digest sent at ``last``, the
next one is the first instant on a later local day, so a user who moves
their hour from 08:00 to 17:00 after the morning's digest gets the next one
tomorrow at 17:00, not a second one today.

Plain Python (standard library and pytz), no Odoo: tested without a
database in the repository's ``tests/test_digest.py``.

>>> monday = datetime.datetime(2027, 1, 4, 12, 0)  # UTC
>>> previous_digest(monday, 8, "Europe/Brussels")   # 08:00 in Brussels (UTC+1)
datetime.datetime(2027, 1, 4, 7, 0)
>>> next_digest(monday, 8, "Europe/Brussels")
datetime.datetime(2027, 1, 5, 7, 0)
>>> previous_digest(monday, 8, "America/New_York")  # 08:00 in New York is 13:00 UTC
datetime.datetime(2027, 1, 3, 13, 0)
"""

import datetime

import pytz

from .timezone import get_timezone, local_to_utc, utc_to_local

# Local days looked at around "now": a digest instant is normally on its
# own local day, but a timezone may skip a whole day (Samoa, 2011-12-30) or
# move a skipped hour past midnight; two days on each side cover them.
_WINDOW = range(-2, 3)


def valid_hour(hour):
    """Whether ``hour`` is an hour of the day: an integer from 0 to 23
    (booleans are not hours)."""
    return isinstance(hour, int) and not isinstance(hour, bool) and 0 <= hour <= 23


def _tz(tz):
    return get_timezone(tz, fallback=pytz.utc)


def digest_at(day, hour, tz=None):
    """The digest instant of the local ``day`` at ``hour`` in ``tz``, naive UTC.

    >>> digest_at(datetime.date(2027, 3, 28), 2, "Europe/Brussels")  # 02:00 skipped: 03:00 local
    datetime.datetime(2027, 3, 28, 1, 0)
    >>> digest_at(datetime.date(2027, 1, 4), 17, "Not/A_Zone")  # unknown: UTC
    datetime.datetime(2027, 1, 4, 17, 0)
    """
    if not valid_hour(hour):
        raise ValueError(f"hour must be an integer from 0 to 23, not {hour!r}")
    return local_to_utc(datetime.datetime.combine(day, datetime.time(hour)), _tz(tz))


def local_day(instant, tz=None):
    """The local date in ``tz`` of the naive UTC ``instant``.

    >>> local_day(datetime.datetime(2027, 1, 4, 23, 30), "Europe/Brussels")
    datetime.date(2027, 1, 5)
    """
    return utc_to_local(instant, _tz(tz)).date()


def _instants_around(now, hour, tz):
    today = local_day(now, tz)
    return sorted({digest_at(today + datetime.timedelta(days=offset), hour, tz) for offset in _WINDOW})


def previous_digest(now, hour, tz=None):
    """The latest digest instant at or before ``now`` (naive UTC)."""
    return max(instant for instant in _instants_around(now, hour, tz) if instant <= now)


def next_digest(now, hour, tz=None):
    """The earliest digest instant after ``now`` (naive UTC)."""
    return min(instant for instant in _instants_around(now, hour, tz) if instant > now)


def pending_digest(now, hour, tz=None, last=None):
    """The digest instant to send at ``now``, or None: the latest one at or
    before ``now``, unless the digest ``last`` sent (naive UTC, any hour or
    timezone it was sent for) is on that local day or later.

    >>> now = datetime.datetime(2027, 1, 4, 9, 0)
    >>> pending_digest(now, 8, "UTC")
    datetime.datetime(2027, 1, 4, 8, 0)
    >>> pending_digest(now, 8, "UTC", last=datetime.datetime(2027, 1, 4, 8, 0)) is None
    True
    >>> # the hour moved from 08:00 to 06:00 after the morning's digest: tomorrow
    >>> pending_digest(now, 6, "UTC", last=datetime.datetime(2027, 1, 4, 8, 0)) is None
    True
    """
    instant = previous_digest(now, hour, tz)
    if last is not None and (instant <= last or local_day(instant, tz) <= local_day(last, tz)):
        return None
    return instant


def upcoming_digest(now, hour, tz=None, last=None):
    """The first digest instant after ``now`` that ``pending_digest`` will
    return when its time comes (what the cron is woken up for).

    >>> upcoming_digest(datetime.datetime(2027, 1, 4, 9, 0), 17, "UTC", last=datetime.datetime(2027, 1, 4, 8, 0))
    datetime.datetime(2027, 1, 5, 17, 0)
    """
    instant = next_digest(now, hour, tz)
    while last is not None and pending_digest(instant, hour, tz, last) is None:
        instant = next_digest(instant, hour, tz)
    return instant
