# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Naive UTC (how Odoo stores datetimes) to local wall-clock time and back.

Plain Python (pytz, as Odoo), no ORM.

>>> brussels = get_timezone("Europe/Brussels")
>>> utc_to_local(datetime.datetime(2027, 7, 1, 7, 0), brussels)
datetime.datetime(2027, 7, 1, 9, 0)
>>> local_to_utc(datetime.datetime(2027, 1, 4, 9, 0), brussels)
datetime.datetime(2027, 1, 4, 8, 0)
"""

import datetime

import pytz


class UnknownTimezoneError(ValueError):
    """A timezone name that is not in the IANA database."""


def get_timezone(tz, fallback=None):
    """The pytz timezone named ``tz``; UTC when it is empty, as Odoo does
    for users without a timezone. An unknown name (an old database, a typo
    written through RPC) raises :class:`UnknownTimezoneError`, unless a
    ``fallback`` timezone is given for callers that must go on (an alert is
    better sent on UTC's clock than not at all).

    >>> get_timezone(False)
    <UTC>
    >>> try:
    ...     get_timezone("Mars/Olympus_Mons")
    ... except UnknownTimezoneError as error:
    ...     print(error)
    Unknown timezone 'Mars/Olympus_Mons'.
    >>> get_timezone("Mars/Olympus_Mons", fallback=pytz.utc)
    <UTC>
    """
    if not tz:
        return pytz.utc
    if isinstance(tz, datetime.tzinfo) and hasattr(tz, "localize"):
        return tz
    if isinstance(tz, str) and tz in pytz.all_timezones_set:
        return pytz.timezone(tz)
    if fallback is not None:
        return fallback
    raise UnknownTimezoneError(f"Unknown timezone {tz!r}.")


def utc_to_local(value, tz):
    """The naive local wall-clock time in ``tz`` of naive UTC ``value``."""
    return pytz.utc.localize(value).astimezone(tz).replace(tzinfo=None)


def local_to_utc(value, tz):
    """The naive UTC datetime of the naive local time ``value`` in ``tz``.

    A time skipped by a spring-forward transition is read with the offset in
    force before the transition, which moves it forward by the length of the
    gap (02:30 becomes 03:30 in Brussels): what was meant for that day still
    happens that day, as soon as possible after the intended time. A time
    repeated by a fall-back transition resolves to its first occurrence
    rather than an hour late.

    >>> brussels = get_timezone("Europe/Brussels")
    >>> local_to_utc(datetime.datetime(2027, 3, 28, 2, 30), brussels)  # skipped
    datetime.datetime(2027, 3, 28, 1, 30)
    >>> local_to_utc(datetime.datetime(2027, 10, 31, 2, 30), brussels)  # repeated
    datetime.datetime(2027, 10, 31, 0, 30)
    """
    try:
        aware = tz.localize(value, is_dst=None)
    except pytz.NonExistentTimeError:
        aware = tz.localize(value, is_dst=False)
    except pytz.AmbiguousTimeError:
        # Comparing both candidates does not rely on the DST flags, which are
        # not meaningful for every zone (negative DST, offset changes).
        aware = min(tz.localize(value, is_dst=True), tz.localize(value, is_dst=False))
    return aware.astimezone(pytz.utc).replace(tzinfo=None)
