# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Recurrence rules of customer reminders.

The options mirror ``calendar.recurrence`` so users find the same choices as
on calendar events. This module deliberately imports nothing from Odoo (only
the standard library, python-dateutil and pytz): the date maths is unit
tested without a database, and the models merely map their fields onto
:class:`Recurrence`.

Datetimes follow the Odoo convention: naive values are UTC. Rules, however,
are evaluated on the wall clock of the reminder's timezone, so that a reminder
set for 09:00 in Brussels stays at 09:00 local time across DST changes.
"""

import dataclasses
import datetime
import itertools

from dateutil import relativedelta, rrule

from .timezone import UnknownTimezoneError, get_timezone, local_to_utc, utc_to_local

RRULE_TYPES = [
    ("daily", "Days"),
    ("weekly", "Weeks"),
    ("monthly", "Months"),
    ("yearly", "Years"),
]

END_TYPES = [
    ("count", "Number of repetitions"),
    ("end_date", "End date"),
    ("forever", "Forever"),
]

MONTH_BY = [
    ("date", "Date of month"),
    ("day", "Day of month"),
]

BYDAY = [
    ("1", "First"),
    ("2", "Second"),
    ("3", "Third"),
    ("4", "Fourth"),
    ("-1", "Last"),
]

WEEKDAYS = [
    ("MON", "Monday"),
    ("TUE", "Tuesday"),
    ("WED", "Wednesday"),
    ("THU", "Thursday"),
    ("FRI", "Friday"),
    ("SAT", "Saturday"),
    ("SUN", "Sunday"),
]

# Ordered like Python's and dateutil's weekday numbers (Monday == 0).
WEEKDAY_FIELDS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_FREQUENCIES = {
    "daily": rrule.DAILY,
    "weekly": rrule.WEEKLY,
    "monthly": rrule.MONTHLY,
    "yearly": rrule.YEARLY,
}

_RRULE_WEEKDAYS = {
    "MON": rrule.MO,
    "TUE": rrule.TU,
    "WED": rrule.WE,
    "THU": rrule.TH,
    "FRI": rrule.FR,
    "SAT": rrule.SA,
    "SUN": rrule.SU,
}

# Every month has at least 28 days: up to that day no clamping is needed.
_DAYS_IN_EVERY_MONTH = 28
# Beyond these a rule is a typing error, and a costly one: an interval of
# 10**6 years overflows dates, a count of 10**12 is no bound at all.
MAX_INTERVAL = 999
MAX_COUNT = 9999


class RecurrenceError(ValueError):
    """Invalid recurrence parameters.

    :param str message: plain English explanation, meant for the user
    :param str field: name of the offending field (``interval``, ``mon`` when
        no weekday is chosen, ``day``, ``byday``, ``weekday``, ``month_by``,
        ``rrule_type``, ``end_type``, ``count``, ``until``,
        ``activation_date`` or ``tz``), so that callers can point at it or
        substitute a translated message
    """

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


def _is_positive_int(value):
    """Return whether ``value`` is an integer >= 1 (booleans excluded)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def _as_date(value):
    """Return the date part of ``value``, a date or a datetime."""
    return value.date() if isinstance(value, datetime.datetime) else value


@dataclasses.dataclass(frozen=True)
class Recurrence:
    """Recurrence settings of a reminder, named like ``calendar.recurrence``.

    ``recurrency`` False means the reminder happens once, at its activation;
    the other fields are then ignored. Fields irrelevant to the chosen
    ``rrule_type``/``month_by``/``end_type`` are ignored as well, so a record
    can be mapped field by field without cleaning hidden values first.
    """

    recurrency: bool = False
    rrule_type: str = "weekly"
    interval: int = 1
    mon: bool = False
    tue: bool = False
    wed: bool = False
    thu: bool = False
    fri: bool = False
    sat: bool = False
    sun: bool = False
    month_by: str = "date"
    day: int = 1
    byday: str = "1"
    weekday: str = "MON"
    end_type: str = "forever"
    count: int = 1
    until: datetime.date | None = None

    def validate(self, activation_local):
        """Check the parameters against the activation.

        :param datetime.datetime activation_local: naive activation datetime,
            in the local time of the reminder's timezone
        :raise RecurrenceError: on the first invalid parameter found
        """
        if not isinstance(activation_local, datetime.datetime) or activation_local.tzinfo is not None:
            raise RecurrenceError(
                "The activation date must be a naive datetime.", "activation_date"
            )
        if not self.recurrency:
            return
        if self.rrule_type not in _FREQUENCIES:
            raise RecurrenceError(
                f"Unknown recurrence type {self.rrule_type!r}.", "rrule_type"
            )
        if not _is_positive_int(self.interval) or self.interval > MAX_INTERVAL:
            raise RecurrenceError(f"The interval must be between 1 and {MAX_INTERVAL}.", "interval")
        if self.rrule_type == "weekly" and not self._weekdays():
            raise RecurrenceError("Choose at least one weekday.", "mon")
        if self.rrule_type == "monthly":
            self._validate_monthly()
        if self.end_type not in dict(END_TYPES):
            raise RecurrenceError(f"Unknown end type {self.end_type!r}.", "end_type")
        if self.end_type == "count" and (not _is_positive_int(self.count) or self.count > MAX_COUNT):
            raise RecurrenceError(
                f"The number of repetitions must be between 1 and {MAX_COUNT}.", "count"
            )
        if self.end_type == "end_date":
            if not isinstance(self.until, datetime.date):
                raise RecurrenceError("The end date is required.", "until")
            if _as_date(self.until) < activation_local.date():
                raise RecurrenceError(
                    "The end date cannot be before the activation date.", "until"
                )

    def _validate_monthly(self):
        """Check the parameters specific to monthly rules."""
        if self.month_by not in dict(MONTH_BY):
            raise RecurrenceError(
                f"Unknown monthly option {self.month_by!r}.", "month_by"
            )
        if self.month_by == "date":
            if not _is_positive_int(self.day) or self.day > 31:
                raise RecurrenceError("The day must be between 1 and 31.", "day")
        else:
            if self.byday not in dict(BYDAY):
                raise RecurrenceError(
                    f"Unknown week position {self.byday!r}.", "byday"
                )
            if self.weekday not in _RRULE_WEEKDAYS:
                raise RecurrenceError(f"Unknown weekday {self.weekday!r}.", "weekday")

    def _weekdays(self):
        """Return the dateutil weekdays whose flag is set, Monday first."""
        return tuple(
            rrule.weekday(index)
            for index, fname in enumerate(WEEKDAY_FIELDS)
            if getattr(self, fname)
        )


def _monthday_params(day):
    """Return rrule parameters selecting ``day`` of the month, or the last
    day of the months too short to have it.

    Plain ``bymonthday=31`` skips the short months entirely, whereas a user
    asking for "the 31st" expects a reminder every month. RFC 5545 idiom: both
    the day and the last day are candidates, and BYSETPOS keeps the earliest.
    """
    if day <= _DAYS_IN_EVERY_MONTH:
        return {"bymonthday": day}
    return {"bymonthday": (day, -1), "bysetpos": 1}


def _build_rrule(recurrence, dtstart, anchor=None):
    """Return the dateutil rrule of a validated recurrent ``recurrence``.

    :param datetime.datetime dtstart: naive local activation datetime
    :param datetime.datetime anchor: the local activation when ``dtstart``
        was moved forward (see :func:`_fast_forward`): a yearly rule keeps
        the activation's day, not the moved start's
    """
    anchor = anchor or dtstart
    params = {"dtstart": dtstart, "interval": recurrence.interval}
    if recurrence.rrule_type == "weekly":
        params["byweekday"] = recurrence._weekdays()
        # dateutil otherwise takes calendar.firstweekday(), a process-wide
        # setting; weeks must not depend on it when the interval is > 1.
        params["wkst"] = rrule.MO
    elif recurrence.rrule_type == "monthly":
        if recurrence.month_by == "date":
            params.update(_monthday_params(recurrence.day))
        else:
            weekday = _RRULE_WEEKDAYS[recurrence.weekday]
            params["byweekday"] = weekday(int(recurrence.byday))
    elif recurrence.rrule_type == "yearly" and anchor.day > _DAYS_IN_EVERY_MONTH:
        # dateutil's implicit BYMONTHDAY would skip Feb 29 in common years.
        params["bymonth"] = anchor.month
        params.update(_monthday_params(anchor.day))
    elif recurrence.rrule_type == "yearly" and anchor is not dtstart:
        params["bymonth"] = anchor.month
        params["bymonthday"] = anchor.day

    if recurrence.end_type == "count":
        params["count"] = recurrence.count
    elif recurrence.end_type == "end_date":
        # The end date is inclusive: the whole local day of `until` counts.
        params["until"] = datetime.datetime.combine(
            _as_date(recurrence.until), datetime.time.max
        )
    return rrule.rrule(_FREQUENCIES[recurrence.rrule_type], **params)


def _get_timezone(tz):
    """The timezone of a recurrence: UTC when empty (as Odoo does for users
    without a timezone).

    :raise RecurrenceError: for an unknown timezone, naming the field
    """
    try:
        return get_timezone(tz)
    except UnknownTimezoneError as error:
        raise RecurrenceError(str(error), "tz") from None


def _check_utc_datetime(value):
    """Raise unless ``value`` is a naive datetime, as Odoo stores them."""
    if not isinstance(value, datetime.datetime) or value.tzinfo is not None:
        raise RecurrenceError(
            "The activation date must be a naive UTC datetime.", "activation_date"
        )


# rrule frequency -> the unit its interval counts
_PERIODS = {
    "daily": lambda n: relativedelta.relativedelta(days=n),
    "weekly": lambda n: relativedelta.relativedelta(weeks=n),
    "monthly": lambda n: relativedelta.relativedelta(months=n),
    "yearly": lambda n: relativedelta.relativedelta(years=n),
}


def _periods_between(rrule_type, start, end):
    """Whole frequency units (days, weeks, months, years) from ``start`` to
    ``end``, rounded down (naive local datetimes, ``end`` after ``start``)."""
    if rrule_type == "daily":
        return (end - start).days
    if rrule_type == "weekly":
        return (end - start).days // 7
    months = (end.year - start.year) * 12 + end.month - start.month
    return months if rrule_type == "monthly" else months // 12


def _fast_forward(recurrence, dtstart, after_local):
    """A later ``dtstart`` for the same occurrences after ``after_local``.

    dateutil walks a rule from its start: a daily reminder activated in 1970
    costs 20,000 steps to reach today. Moving the start forward by a whole
    number of intervals keeps every period aligned as before, so the rule
    yields the same occurrences from the moved start's second period on; the
    moved start stays at least one interval before ``after_local``, so the
    first (partial) period holds nothing wanted. Rules that end after a
    number of repetitions count from the activation and are not moved (the
    count is bounded).
    """
    if after_local is None or recurrence.end_type == "count" or after_local <= dtstart:
        return dtstart
    steps = _periods_between(recurrence.rrule_type, dtstart, after_local) // recurrence.interval - 1
    if steps < 1:
        return dtstart
    return dtstart + _PERIODS[recurrence.rrule_type](steps * recurrence.interval)


def _iter_occurrences(recurrence, activation, activation_local, tz, after_local=None):
    """Yield every occurrence, unfiltered (from ``after_local`` on, roughly,
    when given); see :func:`occurrences`."""
    if not recurrence.recurrency:
        yield activation
        return
    # dateutil drops microseconds from dtstart; they are put back on each
    # occurrence so that all share the activation's wall-clock time exactly.
    anchor = activation_local.replace(microsecond=0)
    dtstart = _fast_forward(recurrence, anchor, after_local)
    previous = None
    for local in _build_rrule(recurrence, dtstart, anchor=anchor):
        if local == anchor:
            # The activation instant is known: converting its wall-clock time
            # back could land on the other pass of an ambiguous hour.
            occurrence = activation
        else:
            local = local.replace(microsecond=activation_local.microsecond)
            occurrence = local_to_utc(local, tz)
        if previous is not None and occurrence <= previous:
            # Only when a zone skips a whole day (Pacific/Apia, 2011): two
            # local dates collapse onto one instant; remind once.
            continue
        previous = occurrence
        yield occurrence


def occurrences(recurrence, activation, tz, after=None, limit=None, before=None, fast_forward=True):
    """Return an iterator over the occurrences of a reminder.

    The rule is evaluated on the wall clock of ``tz`` with the local
    activation as dateutil's ``dtstart``: the activation is the first
    occurrence only when it matches the rule (a weekly Monday rule activated
    on a Wednesday starts the next Monday). ``count`` counts occurrences from
    the activation, and the end date is inclusive (whole local day). See
    :func:`.timezone.local_to_utc` for times skipped or repeated by DST transitions.

    Parameters are validated when this function is called, not when the
    iterator is first advanced. Occurrences are computed lazily: with
    ``end_type`` 'forever' and neither ``limit`` nor ``before``, the iterator
    is infinite.

    :param Recurrence recurrence: recurrence settings
    :param datetime.datetime activation: naive UTC activation datetime
    :param str tz: IANA timezone name, e.g. 'Europe/Brussels' (UTC if empty)
    :param datetime.datetime after: naive UTC; only yield occurrences strictly
        after it
    :param int limit: yield at most that many occurrences (after filtering)
    :param datetime.datetime before: naive UTC; stop at the first occurrence
        at or after it
    :param bool fast_forward: start the rule near ``after`` rather than at
        the activation (same result, see :func:`_fast_forward`); off only to
        check that claim
    :return: iterator of naive UTC datetimes, strictly increasing
    :raise RecurrenceError: for invalid parameters
    """
    tzinfo = _get_timezone(tz)
    _check_utc_datetime(activation)
    activation_local = utc_to_local(activation, tzinfo)
    recurrence.validate(activation_local)
    if limit is not None and limit < 0:
        raise ValueError("The limit cannot be negative.")

    after_local = utc_to_local(after, tzinfo) if after is not None and fast_forward else None
    result = _iter_occurrences(recurrence, activation, activation_local, tzinfo, after_local)
    # Occurrences are strictly increasing: both bounds can stop scanning
    # instead of filtering the whole (possibly infinite) sequence.
    if after is not None:
        result = itertools.dropwhile(lambda occurrence: occurrence <= after, result)
    if before is not None:
        result = itertools.takewhile(lambda occurrence: occurrence < before, result)
    if limit is not None:
        result = itertools.islice(result, limit)
    return result


def next_occurrences(recurrence, activation, tz, count, after=None):
    """Return the first ``count`` occurrences strictly after ``after``.

    Convenience around :func:`occurrences`, e.g. to preview a reminder or to
    find the next due one from a cron (``count=1, after=now``).

    :return: list of naive UTC datetimes, possibly shorter than ``count``
        when the recurrence ends first

    The last day of every month at 09:00 in Brussels, from 31 January 2027
    (February has no 31st: its last day; 09:00 local is 07:00 UTC in
    summer time):

    >>> monthly = Recurrence(recurrency=True, rrule_type="monthly", month_by="date", day=31)
    >>> for day in next_occurrences(monthly, datetime.datetime(2027, 1, 31, 8, 0), "Europe/Brussels", 3):
    ...     print(day)
    2027-01-31 08:00:00
    2027-02-28 08:00:00
    2027-03-31 07:00:00

    The second Tuesday of the month, after a date, ending after 2 times:

    >>> second_tuesday = Recurrence(recurrency=True, rrule_type="monthly", month_by="day", byday="2",
    ...                             weekday="TUE", end_type="count", count=2)
    >>> next_occurrences(second_tuesday, datetime.datetime(2027, 1, 1, 8, 0), "Europe/Brussels", 5)
    [datetime.datetime(2027, 1, 12, 8, 0), datetime.datetime(2027, 2, 9, 8, 0)]
    """
    return list(occurrences(recurrence, activation, tz, after=after, limit=count))


def to_rrule_string(recurrence, activation_local):
    """Return the RFC 5545 text of the rule, as ``calendar.recurrence`` does.

    The text holds a ``DTSTART`` line with the local activation as floating
    time, then the ``RRULE`` line; ``dateutil.rrule.rrulestr`` parses it back.

    :param datetime.datetime activation_local: naive activation datetime, in
        the local time of the reminder's timezone
    :return: the rule text, or an empty string when not recurrent
    :raise RecurrenceError: for invalid parameters

    >>> print(to_rrule_string(Recurrence(recurrency=True, rrule_type="weekly", interval=2, mon=True, thu=True),
    ...                       datetime.datetime(2027, 1, 4, 9, 0)))
    DTSTART:20270104T090000
    RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH
    """
    recurrence.validate(activation_local)
    if not recurrence.recurrency:
        return ""
    return str(_build_rrule(recurrence, activation_local.replace(microsecond=0)))
