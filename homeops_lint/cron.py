"""A faithful reading of robfig/cron **v1.2.0** ``cron.Parse``: the schedule parser CloudNativePG uses
for ``ScheduledBackup.spec.schedule`` (domain.md §4.4).

What matters for a linter, and what most people get wrong:

* the first field is **seconds**: ``sec min hour dom month [dow]``;
* five fields are accepted and read as ``sec min hour dom month`` (day of week defaults to ``*``),
  so the crontab habit ``0 3 * * *`` runs at minute 3 of every hour, not daily at 03:00;
* descriptors (``@daily``, ``@every 1h``...) must match exactly (``"@daily "`` is an error);
* day of month and day of week are OR-ed when neither is ``*``/``?``, AND-ed otherwise.

``parse()`` returns a schedule or raises ``CronError`` with the library's own message. ``describe()``
says in words what a schedule does; ``runs_per_day()`` and ``next_run()`` quantify it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional, Union

# Go's unicode.IsSpace (strings.Fields), which differs from Python's str.split() on \x1c-\x1f.
_GO_SPACE = frozenset("\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
                      "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
_INT_RE = re.compile(r"^[+-]?[0-9]+$")  # strconv.Atoi: ASCII digits, optional sign, nothing else
_INT64_MAX = 2**63 - 1

MONTH_NAMES = {name: i + 1 for i, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))}
DOW_NAMES = {name: i for i, name in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}
FIELD_NAMES = ("seconds", "minutes", "hours", "day of month", "month", "day of week")


@dataclass(frozen=True)
class Bounds:
    low: int
    high: int
    names: Optional[dict[str, int]] = None


BOUNDS = (Bounds(0, 59), Bounds(0, 59), Bounds(0, 23), Bounds(1, 31), Bounds(1, 12, MONTH_NAMES),
          Bounds(0, 6, DOW_NAMES))
DESCRIPTORS = {
    # name: (second, minute, hour, dom, month, dow) — None means "*" (all values, star bit set)
    "@yearly": ("0", "0", "0", "1", "1", None),
    "@annually": ("0", "0", "0", "1", "1", None),
    "@monthly": ("0", "0", "0", "1", None, None),
    "@weekly": ("0", "0", "0", None, None, "0"),
    "@daily": ("0", "0", "0", None, None, None),
    "@midnight": ("0", "0", "0", None, None, None),
    "@hourly": ("0", "0", None, None, None, None),
}


class CronError(ValueError):
    """The schedule does not parse; the message is robfig/cron's own wording."""


@dataclass(frozen=True)
class Field:
    values: frozenset[int]
    star: bool  # the field used '*' or '?' (matters for the day-of-month/day-of-week rule)


@dataclass(frozen=True)
class SpecSchedule:
    second: Field
    minute: Field
    hour: Field
    dom: Field
    month: Field
    dow: Field
    fields: int  # how many fields the text had (1 for a descriptor)
    descriptor: str = ""

    def day_matches(self, day: datetime) -> bool:
        dom_match = day.day in self.dom.values
        dow_match = (day.isoweekday() % 7) in self.dow.values  # Go: Sunday == 0
        if self.dom.star or self.dow.star:
            return dom_match and dow_match
        return dom_match or dow_match

    def matches(self, moment: datetime) -> bool:
        return (moment.second in self.second.values and moment.minute in self.minute.values
                and moment.hour in self.hour.values and moment.month in self.month.values
                and self.day_matches(moment))


@dataclass(frozen=True)
class EverySchedule:
    """``@every <duration>``: a fixed delay, rounded down to whole seconds, at least one second."""

    seconds: int
    descriptor: str


Schedule = Union[SpecSchedule, EverySchedule]


# --- parsing --------------------------------------------------------------------------------
def go_fields(text: str) -> list[str]:
    """strings.Fields with Go's notion of white space."""
    out: list[str] = []
    current: list[str] = []
    for char in text:
        if char in _GO_SPACE:
            if current:
                out.append("".join(current))
                current = []
        else:
            current.append(char)
    if current:
        out.append("".join(current))
    return out


def _atoi(expr: str) -> int:
    if not _INT_RE.match(expr) or abs(int(expr)) > _INT64_MAX:
        raise CronError(f"Failed to parse int from {expr}: strconv.Atoi: parsing {expr!r}: invalid syntax")
    num = int(expr)
    if num < 0:
        raise CronError(f"Negative number ({num}) not allowed: {expr}")
    return num


def _int_or_name(expr: str, bounds: Bounds) -> int:
    if bounds.names is not None and expr.lower() in bounds.names:
        return bounds.names[expr.lower()]
    return _atoi(expr)


def _range(expr: str, bounds: Bounds) -> tuple[set[int], bool]:
    range_and_step = expr.split("/")
    low_and_high = range_and_step[0].split("-")
    single = len(low_and_high) == 1
    star = False
    if low_and_high[0] in ("*", "?"):
        # v1.2.0 ignores anything after '*-' ("*-5" is "*"): reproduce it, do not "fix" it.
        start, end, star = bounds.low, bounds.high, True
    else:
        start = _int_or_name(low_and_high[0], bounds)
        if len(low_and_high) == 1:
            end = start
        elif len(low_and_high) == 2:
            end = _int_or_name(low_and_high[1], bounds)
        else:
            raise CronError(f"Too many hyphens: {expr}")
    if len(range_and_step) == 1:
        step = 1
    elif len(range_and_step) == 2:
        step = _atoi(range_and_step[1])
        if single:
            end = bounds.high  # "N/step" means "N-max/step"
    else:
        raise CronError(f"Too many slashes: {expr}")
    if start < bounds.low:
        raise CronError(f"Beginning of range ({start}) below minimum ({bounds.low}): {expr}")
    if end > bounds.high:
        raise CronError(f"End of range ({end}) above maximum ({bounds.high}): {expr}")
    if start > end:
        raise CronError(f"Beginning of range ({start}) beyond end of range ({end}): {expr}")
    if step == 0:
        raise CronError(f"Step of range should be a positive number: {expr}")
    return set(range(start, end + 1, step)), star


def parse_field(text: str, bounds: Bounds) -> Field:
    values: set[int] = set()
    star = False
    for expr in (part for part in text.split(",") if part):  # strings.FieldsFunc drops empty parts
        part_values, part_star = _range(expr, bounds)
        values |= part_values
        star = star or part_star
    return Field(frozenset(values), star)


def _all(bounds: Bounds) -> Field:
    return Field(frozenset(range(bounds.low, bounds.high + 1)), True)


def parse(spec: str) -> Schedule:
    """``cron.Parse`` of robfig/cron v1.2.0: six fields with seconds, the last one optional."""
    if not spec:
        raise CronError("Empty spec string")
    if spec[0] == "@":
        return _descriptor(spec)
    fields = go_fields(spec)
    if not 5 <= len(fields) <= 6:
        raise CronError(f"Expected 5 to 6 fields, found {len(fields)}: {spec}")
    expanded = fields + ["*"] * (6 - len(fields))
    parsed = [parse_field(text, bounds) for text, bounds in zip(expanded, BOUNDS)]
    return SpecSchedule(*parsed, fields=len(fields))


def _descriptor(spec: str) -> Schedule:
    if spec in DESCRIPTORS:
        parts = DESCRIPTORS[spec]
        fields = [(_all(b) if text is None else Field(frozenset({int(text)}), False))
                  for text, b in zip(parts, BOUNDS)]
        return SpecSchedule(*fields, fields=1, descriptor=spec)
    if spec.startswith("@every "):
        try:
            nanos = parse_go_duration(spec[len("@every "):])
        except ValueError as exc:
            raise CronError(f"Failed to parse duration {spec}: {exc}") from None
        nanos = max(nanos, 10**9)
        return EverySchedule(nanos // 10**9, spec)
    raise CronError(f"Unrecognized descriptor: {spec}")


_UNITS = {"ns": 1, "us": 10**3, "\u00b5s": 10**3, "\u03bcs": 10**3, "ms": 10**6, "s": 10**9,
          "m": 60 * 10**9, "h": 3600 * 10**9}
_DURATION_PART = re.compile(r"([0-9]*)(?:\.([0-9]*))?([^0-9.]*)")


def parse_go_duration(text: str) -> int:
    """time.ParseDuration, in nanoseconds: ``[-+]?(<number><unit>)+`` or ``0``."""
    original = text
    sign = 1
    if text[:1] in "+-" and text:
        sign = -1 if text[0] == "-" else 1
        text = text[1:]
    if text == "0":
        return 0
    if not text:
        raise ValueError(f'time: invalid duration "{original}"')
    total = 0.0
    pos = 0
    while pos < len(text):
        match = _DURATION_PART.match(text, pos)
        assert match is not None  # the pattern matches the empty string
        whole, frac, unit = match.group(1), match.group(2), match.group(3)
        if not whole and not frac:
            raise ValueError(f'time: invalid duration "{original}"')
        if not unit:
            raise ValueError(f'time: missing unit in duration "{original}"')
        if unit not in _UNITS:
            raise ValueError(f'time: unknown unit "{unit}" in duration "{original}"')
        value = float(f"{whole or '0'}.{frac or '0'}")
        total += value * _UNITS[unit]
        pos = match.end()
    if total > _INT64_MAX:
        raise ValueError(f'time: invalid duration "{original}"')
    return sign * int(total)


# --- what a schedule does ---------------------------------------------------------------------
def runs_per_day(schedule: Schedule) -> int:
    """How many backups start on a day the schedule fires (an ``@every`` delay: 86400 / delay)."""
    if isinstance(schedule, EverySchedule):
        return max(1, 86400 // schedule.seconds)
    return len(schedule.second.values) * len(schedule.minute.values) * len(schedule.hour.values)


_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # 29: leap years count


def ever_runs(schedule: Schedule) -> bool:
    """False when no moment matches (an empty field, or 31 February)."""
    if isinstance(schedule, EverySchedule):
        return True
    spec = schedule
    if not all((spec.second.values, spec.minute.values, spec.hour.values, spec.month.values)):
        return False
    if spec.dom.star or spec.dow.star:
        if not spec.dow.values:
            return False
        return any(day <= _DAYS_IN_MONTH[month - 1] for month in spec.month.values for day in spec.dom.values)
    # Neither is '*': either one matching is enough.
    return bool(spec.dow.values) or any(
        day <= _DAYS_IN_MONTH[month - 1] for month in spec.month.values for day in spec.dom.values)


def next_run(schedule: Schedule, after: datetime) -> Optional[datetime]:
    """The first run strictly after ``after`` (naive wall-clock time); None within five years."""
    after = after.replace(microsecond=0)
    if isinstance(schedule, EverySchedule):
        return after + timedelta(seconds=schedule.seconds)
    spec = schedule
    times = sorted((h, m, s) for h in spec.hour.values for m in spec.minute.values for s in spec.second.values)
    if not times:
        return None
    day = datetime(after.year, after.month, after.day)
    limit = after.year + 5
    while day.year <= limit:
        if day.month in spec.month.values and spec.day_matches(day):
            for h, m, s in times:
                candidate = day.replace(hour=h, minute=m, second=s)
                if candidate > after:
                    return candidate
        day += timedelta(days=1)
    return None


def _compact(values: frozenset[int], names: Optional[tuple[str, ...]] = None, offset: int = 0) -> str:
    """{1,2,3,5} -> '1-3, 5' (or names)."""
    items = sorted(values)
    label = (lambda v: names[v - offset]) if names else str
    runs: list[str] = []
    i = 0
    while i < len(items):
        j = i
        while j + 1 < len(items) and items[j + 1] == items[j] + 1:
            j += 1
        if j - i >= 2:
            runs.append(f"{label(items[i])}-{label(items[j])}")
        else:
            runs.extend(label(v) for v in items[i:j + 1])
        i = j + 1
    return ", ".join(runs)


def _step(values: frozenset[int], bounds: Bounds) -> Optional[int]:
    """The step of an evenly spaced set that starts at the field's minimum ('*/15'), if it is one."""
    items = sorted(values)
    if len(items) < 2 or items[0] != bounds.low:
        return None
    step = items[1] - items[0]
    expected = list(range(bounds.low, bounds.high + 1, step))
    return step if items == expected else None


def _unit_phrase(values: frozenset[int], bounds: Bounds, unit: str) -> str:
    """'every minute', 'every 15 minutes', 'minute 3', 'minutes 0, 30'."""
    if len(values) == bounds.high - bounds.low + 1:
        return f"every {unit}"
    step = _step(values, bounds)
    if step is not None:
        return f"every {step} {unit}s"
    if len(values) == 1:
        return f"{unit} {next(iter(values))}"
    return f"{unit}s {_compact(values)}"


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")
_WEEKDAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")


def _time_phrase(spec: SpecSchedule) -> str:
    sec, minute, hour = spec.second.values, spec.minute.values, spec.hour.values
    sb, mb, hb = BOUNDS[0], BOUNDS[1], BOUNDS[2]
    if len(minute) * len(hour) <= 4 and len(sec) == 1:
        s = next(iter(sec))
        clock = [f"{h:02d}:{m:02d}" + (f":{s:02d}" if s else "") for h in sorted(hour) for m in sorted(minute)]
        return "at " + (clock[0] if len(clock) == 1 else ", ".join(clock[:-1]) + " and " + clock[-1])
    parts = []
    if sec != frozenset({0}):
        second_text = _unit_phrase(sec, sb, "second")
        parts.append(second_text if second_text.startswith("every") else "at " + second_text)
    minute_text = _unit_phrase(minute, mb, "minute")
    hour_text = _unit_phrase(hour, hb, "hour")
    all_minutes = minute_text == "every minute"
    if parts and all_minutes:
        pass  # "every second" already covers every minute
    elif parts:
        parts.append("of " + minute_text)
    else:
        parts.append(minute_text if minute_text.startswith("every") else "at " + minute_text)
    if hour_text != "every hour" or not parts[-1].startswith(("every", "of every")):
        parts.append("of " + hour_text)
    text = " ".join(parts)
    return text.replace("every 1 seconds", "every second")


def _day_phrase(spec: SpecSchedule) -> str:
    dom_all = len(spec.dom.values) == 31
    dow_all = len(spec.dow.values) == 7
    dom_text = f"on day {_compact(spec.dom.values)} of the month" if len(spec.dom.values) == 1 else \
        f"on days {_compact(spec.dom.values)} of the month"
    dow_text = "on " + _compact(spec.dow.values, _WEEKDAYS)
    if spec.dom.star or spec.dow.star:
        pieces = ([] if dom_all else [dom_text]) + ([] if dow_all else [dow_text])
        day = " and ".join(pieces) if len(pieces) < 2 else f"{dom_text} when it is {dow_text[3:]}"
    else:
        day = f"{dom_text} or {dow_text}"  # neither is '*': v1.2.0 fires when either matches
    if len(spec.month.values) != 12:
        day = (day + " " if day else "") + "in " + _compact(spec.month.values, _MONTHS, 1)
    return day


def describe(schedule: Schedule) -> str:
    """What the schedule does, in words: 'daily at 03:00', 'at minute 3 of every hour'."""
    if isinstance(schedule, EverySchedule):
        return f"every {format_seconds(schedule.seconds)}, counted from when the operator starts it"
    if not ever_runs(schedule):
        return "never (no date matches it)"
    time_text = _time_phrase(schedule)
    day_text = _day_phrase(schedule)
    if not day_text:
        if time_text.startswith("at ") and len(schedule.hour.values) * len(schedule.minute.values) <= 4:
            return "daily " + time_text
        return time_text
    return f"{time_text} {day_text}"


def format_seconds(seconds: int) -> str:
    out = []
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute"), (1, "second")):
        count, seconds = divmod(seconds, size)
        if count:
            out.append(f"{count} {unit}" + ("s" if count != 1 else ""))
    return " ".join(out) or "0 seconds"


def as_crontab(spec: str) -> Optional[Schedule]:
    """How a five-field crontab line (minute first) would read: seconds 0 prepended. None if invalid."""
    fields = go_fields(spec)
    if len(fields) != 5:
        return None
    try:
        return parse("0 " + " ".join(fields))
    except CronError:
        return None
