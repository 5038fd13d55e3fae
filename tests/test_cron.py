"""homeops_lint.cron reads schedules exactly as robfig/cron v1.2.0 cron.Parse does (CloudNativePG)."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from homeops_lint import cron

# --- known answers (robfig/cron v1.2.0 parser.go behaviour) --------------------------------------


@pytest.mark.parametrize("spec, text", [
    ("0 3 * * *", "at minute 3 of every hour"),
    ("0 0 3 * * *", "daily at 03:00"),
    ("0 15 2 * * *", "daily at 02:15"),
    ("30 0 3 * * 1", "at 03:00:30 on Monday"),
    ("0 0 3 * * 1-5", "at 03:00 on Monday-Friday"),
    ("0 0 3 1 * 1", "at 03:00 on day 1 of the month or on Monday"),  # neither is '*': OR
    ("0 0 */6 * * *", "daily at 00:00, 06:00, 12:00 and 18:00"),
    ("0 */15 * * * *", "every 15 minutes"),
    ("*/10 * * * * *", "every 10 seconds"),
    ("@daily", "daily at 00:00"),
    ("@hourly", "at minute 0 of every hour"),
    ("@weekly", "at 00:00 on Sunday"),
    ("0 0 0 31 2 *", "never (no date matches it)"),
])
def test_describe(spec: str, text: str) -> None:
    assert cron.describe(cron.parse(spec)) == text


@pytest.mark.parametrize("spec, error", [
    ("", "Empty spec string"),
    ("0 3 * *", "Expected 5 to 6 fields, found 4"),
    ("0 0 3 * * * *", "Expected 5 to 6 fields, found 7"),
    ("@daily ", "Unrecognized descriptor"),  # descriptors must match exactly
    ("@Daily", "Unrecognized descriptor"),
    ("0 0 24 * * *", "End of range (24) above maximum (23)"),
    ("0 0 3 * * 7", "End of range (7) above maximum (6)"),  # v1.2.0 has no 7 for Sunday
    ("30 2 * * 0", "Beginning of range (0) below minimum (1)"),  # month 0: a shifted crontab line
    ("0 0 3 * * 1-2-3", "Too many hyphens"),
    ("0 0 3/2/1 * * *", "Too many slashes"),
    ("0 0 */0 * * *", "Step of range should be a positive number"),
    ("0 0 5-3 * * *", "beyond end of range"),
    ("0 0 x * * *", "Failed to parse int from x"),
    ("0 0 ３ * * *", "Failed to parse int"),  # Go's Atoi takes ASCII digits only
    ("@every 1x", "unknown unit"),
    ("@every 10", "missing unit"),
])
def test_rejected(spec: str, error: str) -> None:
    with pytest.raises(cron.CronError, match=error.replace("(", r"\(").replace(")", r"\)")):
        cron.parse(spec)


def test_v120_quirks() -> None:
    assert cron.parse("*-5 * * * * *").second.values == frozenset(range(60))  # text after '*-' ignored
    assert cron.parse("0 0 3 ? * *") == cron.parse("0 0 3 * * *")  # '?' is '*' in every field
    assert cron.parse("0 0 5/6 * * *").hour.values == frozenset({5, 11, 17, 23})  # N/step = N-max/step
    assert cron.parse("0 0 +3 * * *").hour.values == frozenset({3})  # strconv.Atoi accepts a sign
    assert cron.parse("0 0 3,, * * *").hour.values == frozenset({3})  # empty list items are dropped
    assert cron.parse("0 0 3 * JAN,jul SUN").month.values == frozenset({1, 7})
    assert cron.parse("\t0  0\u00a03 * * *").hour.values == frozenset({3})  # Go white space
    every = cron.parse("@every 1h30m")
    assert isinstance(every, cron.EverySchedule) and every.seconds == 5400
    assert cron.parse("@every 100ms").seconds == 1  # at least one second
    assert cron.parse("@every 1.5s").seconds == 1  # rounded down to whole seconds


def test_five_fields_read_as_seconds_first() -> None:
    five = cron.parse("0 3 * * *")
    assert five.fields == 5 and five.minute.values == frozenset({3}) and len(five.hour.values) == 24
    meant = cron.as_crontab("0 3 * * *")
    assert meant is not None and cron.describe(meant) == "daily at 03:00"


# --- properties --------------------------------------------------------------------------------

def _term(bounds: cron.Bounds) -> st.SearchStrategy[str]:
    low, high = bounds.low, bounds.high
    value = st.integers(low, high)
    names = list(bounds.names) if bounds.names else []
    single = value.map(str) | (st.sampled_from(names) if names else value.map(str))
    ranged = st.tuples(value, value).map(lambda ab: f"{min(ab)}-{max(ab)}")
    step = st.integers(1, high - low + 1)
    return st.one_of(
        st.just("*"), st.just("?"), single, ranged,
        st.tuples(st.sampled_from(["*"]), step).map(lambda t: f"{t[0]}/{t[1]}"),
        st.tuples(value, step).map(lambda t: f"{t[0]}/{t[1]}"),
        st.tuples(ranged, step).map(lambda t: f"{t[0]}/{t[1]}"),
    )


def _field(bounds: cron.Bounds) -> st.SearchStrategy[str]:
    return st.lists(_term(bounds), min_size=1, max_size=3).map(",".join)


def _member(term: str, value: int, bounds: cron.Bounds) -> bool:
    """Whether ``value`` is in one term, decided independently of the parser (a predicate, not a set)."""
    base, _, step_text = term.partition("/")
    step = int(step_text) if step_text else 1

    def num(text: str) -> int:
        return bounds.names[text.lower()] if bounds.names and text.lower() in bounds.names else int(text)

    if base in ("*", "?"):
        start, end = bounds.low, bounds.high
    elif "-" in base:
        start, end = (num(x) for x in base.split("-"))
    else:
        start = num(base)
        end = bounds.high if step_text else start
    return start <= value <= end and (value - start) % step == 0


SIX = st.tuples(*(_field(b) for b in cron.BOUNDS))


@given(SIX)
def test_field_sets_match_an_independent_reading(fields: tuple[str, ...]) -> None:
    schedule = cron.parse(" ".join(fields))
    assert isinstance(schedule, cron.SpecSchedule)
    parsed = (schedule.second, schedule.minute, schedule.hour, schedule.dom, schedule.month, schedule.dow)
    for text, bounds, field in zip(fields, cron.BOUNDS, parsed):
        expected = {v for v in range(bounds.low, bounds.high + 1)
                    if any(_member(t, v, bounds) for t in text.split(","))}
        assert field.values == expected
        assert field.star == any(t.split("/")[0] in ("*", "?") for t in text.split(","))


@given(st.tuples(*(_field(b) for b in cron.BOUNDS[:5])))
def test_five_fields_mean_six_with_any_weekday(fields: tuple[str, ...]) -> None:
    five = cron.parse(" ".join(fields))
    six = cron.parse(" ".join(fields) + " *")
    assert isinstance(five, cron.SpecSchedule) and isinstance(six, cron.SpecSchedule)
    assert (five.second, five.minute, five.hour, five.dom, five.month, five.dow) == \
        (six.second, six.minute, six.hour, six.dom, six.month, six.dow)


@given(st.text(max_size=40))
def test_never_crashes(text: str) -> None:
    try:
        schedule = cron.parse(text)
    except cron.CronError:
        return
    assert isinstance(cron.describe(schedule), str)
    assert cron.runs_per_day(schedule) >= 1


@given(st.integers(0, 59), st.integers(0, 59), st.integers(0, 23))
def test_single_time_is_daily(second: int, minute: int, hour: int) -> None:
    schedule = cron.parse(f"{second} {minute} {hour} * * *")
    clock = f"{hour:02d}:{minute:02d}" + (f":{second:02d}" if second else "")
    assert cron.describe(schedule) == f"daily at {clock}"
    assert cron.runs_per_day(schedule) == 1
    # The same numbers written as a crontab line (minute first) run hourly or worse, never daily.
    shifted = cron.parse(f"{minute} {hour} * * *")
    assert cron.runs_per_day(shifted) >= 24


DAY_FIELDS = st.tuples(_field(cron.BOUNDS[0]), _field(cron.BOUNDS[1]), _field(cron.BOUNDS[2]))


@settings(max_examples=30, deadline=None)
@given(DAY_FIELDS, st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 1, 1)))
def test_next_run_is_the_first_matching_second(fields: tuple[str, str, str], start: datetime) -> None:
    schedule = cron.parse(" ".join(fields) + " * * *")
    assert isinstance(schedule, cron.SpecSchedule)
    start = start.replace(microsecond=0)
    found = cron.next_run(schedule, start)
    assert found is not None and found > start and schedule.matches(found)
    moment = start + timedelta(seconds=1)
    while moment < found:  # brute force: nothing earlier matches
        assert not schedule.matches(moment)
        moment += timedelta(seconds=1)


@settings(max_examples=40, deadline=None)
@given(st.tuples(_field(cron.BOUNDS[3]), _field(cron.BOUNDS[4]), _field(cron.BOUNDS[5])))
def test_ever_runs_agrees_with_a_calendar_walk(days: tuple[str, str, str]) -> None:
    schedule = cron.parse("0 0 0 " + " ".join(days))
    assert isinstance(schedule, cron.SpecSchedule)
    day = datetime(2024, 1, 1)  # a leap year and the next: every (month, day, weekday) occurs
    matched = False
    while day.year < 2032 and not matched:
        matched = day.month in schedule.month.values and schedule.day_matches(day)
        day += timedelta(days=1)
    assert cron.ever_runs(schedule) == matched
