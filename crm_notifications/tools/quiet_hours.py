# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""When a message may reach a customer: quiet hours and local send times.

Quiet hours are a daily window of the *customer's* wall clock (by default
21:00 to 08:00) in which no e-mail or SMS is sent to them: a send due inside
is deferred to the end of the window, never dropped. A scheduled send can
also be made at its wall-clock time in each customer's own timezone.

Hours are given as Odoo's ``float_time`` settings give them (8.5 is 08:30).
Plain Python (standard library and pytz), no Odoo: tested without a database
in the repository's ``tests/test_quiet_hours.py``.

>>> brussels = get_timezone("Europe/Brussels")
>>> defer_past_quiet_hours(datetime.datetime(2027, 1, 4, 22, 0), brussels, 21.0, 8.0)  # 23:00 there
datetime.datetime(2027, 1, 5, 7, 0)
>>> defer_past_quiet_hours(datetime.datetime(2027, 1, 4, 12, 0), brussels, 21.0, 8.0)  # 13:00: unchanged
datetime.datetime(2027, 1, 4, 12, 0)
"""

import datetime

from .timezone import get_timezone, local_to_utc, utc_to_local


def float_to_time(hours):
    """``float_time`` hours (0 <= hours < 24) as a :class:`datetime.time`,
    to the minute.

    >>> float_to_time(8.5)
    datetime.time(8, 30)
    >>> float_to_time(23.999)
    datetime.time(23, 59)
    """
    if isinstance(hours, bool) or not isinstance(hours, (int, float)) or not 0 <= hours < 24:
        raise ValueError(f"hours of the day must be from 0 to 24 (excluded), not {hours!r}")
    minutes = min(int(round(hours * 60)), 24 * 60 - 1)
    return datetime.time(minutes // 60, minutes % 60)


def is_quiet(local_time, start, end):
    """Whether the wall-clock ``local_time`` falls in the quiet window from
    ``start`` to ``end`` (float hours; the window wraps past midnight when
    ``start`` > ``end``; ``start`` == ``end`` means no quiet hours).

    >>> is_quiet(datetime.time(23, 0), 21.0, 8.0), is_quiet(datetime.time(8, 0), 21.0, 8.0)
    (True, False)
    >>> is_quiet(datetime.time(13, 0), 12.0, 14.0), is_quiet(datetime.time(3, 0), 12.0, 14.0)
    (True, False)
    """
    start_time, end_time = float_to_time(start), float_to_time(end)
    if start_time == end_time:
        return False
    if start_time < end_time:
        return start_time <= local_time < end_time
    return local_time >= start_time or local_time < end_time


def defer_past_quiet_hours(when, tz, start, end):
    """The first instant at or after ``when`` (naive UTC) that is outside the
    quiet window in ``tz``: ``when`` itself when it is outside, else the end
    of the window on the customer's wall clock (converted back to naive UTC;
    an end skipped by a spring-forward transition is read as the time just
    after the gap, see ``timezone.local_to_utc``).

    :param tz: a pytz timezone or a name; empty or unknown: UTC

    Never earlier than ``when``, never inside the window, and stable: a
    deferred instant is not deferred again.
    """
    tz = get_timezone(tz, fallback=get_timezone(None))
    local = utc_to_local(when, tz)
    if not is_quiet(local.time(), start, end):
        return when
    end_time = float_to_time(end)
    day = local.date()
    if local.time() >= end_time:  # evening part of a window that wraps past midnight
        day += datetime.timedelta(days=1)
    deferred = local_to_utc(datetime.datetime.combine(day, end_time), tz)
    # a wall clock that jumps (DST, an offset change) can land the end of the
    # window before ``when`` in UTC: never send earlier than due
    return max(deferred, when)


def at_local_time(when, sender_tz, recipient_tz):
    """The instant, in naive UTC, at which the recipient's wall clock shows
    what the sender's showed at ``when`` (naive UTC): a send scheduled for
    09:00 in Brussels goes out at 09:00 in Lisbon, an hour later in UTC.

    >>> at_local_time(datetime.datetime(2027, 1, 4, 8, 0), "Europe/Brussels", "Europe/Lisbon")
    datetime.datetime(2027, 1, 4, 9, 0)
    >>> at_local_time(datetime.datetime(2027, 1, 4, 8, 0), "Europe/Brussels", "")  # no timezone: the sender's
    datetime.datetime(2027, 1, 4, 8, 0)
    """
    sender = get_timezone(sender_tz, fallback=get_timezone(None))
    recipient = get_timezone(recipient_tz, fallback=sender) if recipient_tz else sender
    return local_to_utc(utc_to_local(when, sender), recipient)
