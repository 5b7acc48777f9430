"""Deadlines as written in real ledgers."""
from datetime import date, datetime

import pytest

from rectify.imports.deadlines import Deadline, DeadlineError, parse_deadline

FEEDBACK = date(2023, 3, 15)


@pytest.mark.parametrize(
    "written, due_on",
    [
        ("2023年6月30日", date(2023, 6, 30)),
        ("2023.6.30", date(2023, 6, 30)),
        ("2023/6/30", date(2023, 6, 30)),
        ("2023-06-30", date(2023, 6, 30)),
        ("２０２３年６月３０日", date(2023, 6, 30)),
        ("2023年6月", date(2023, 6, 30)),
        ("2023年6月底前", date(2023, 6, 30)),
        ("2023.6", date(2023, 6, 30)),
        ("2024年2月底", date(2024, 2, 29)),
        ("2023年第二季度", date(2023, 6, 30)),
        ("2023年第4季度", date(2023, 12, 31)),
        ("2023年上半年", date(2023, 6, 30)),
        ("2024年底前", date(2024, 12, 31)),
        ("2023年3月至2023年6月", date(2023, 6, 30)),
        ("2023年3月-6月", date(2023, 6, 30)),
        (date(2023, 6, 30), date(2023, 6, 30)),
        (datetime(2023, 6, 30, 0, 0), date(2023, 6, 30)),
        (45107, date(2023, 6, 30)),
        (45107.0, date(2023, 6, 30)),
    ],
)
def test_dated_deadlines(written, due_on):
    parsed = parse_deadline(written, FEEDBACK)
    assert parsed.due_on == due_on
    assert not parsed.year_inferred


@pytest.mark.parametrize(
    "written, due_on",
    [
        ("6月底", date(2023, 6, 30)),
        ("8月底之前", date(2023, 8, 31)),
        ("8月底前", date(2023, 8, 31)),
        ("6月30日前", date(2023, 6, 30)),
        ("1-8月", date(2023, 8, 31)),
        ("7、8月", date(2023, 8, 31)),
        ("年底前", date(2023, 12, 31)),
        ("上半年", date(2023, 6, 30)),
        ("第三季度", date(2023, 9, 30)),
        ("2月底前", date(2024, 2, 29)),  # before the feedback date: the next year's
    ],
)
def test_deadlines_without_a_year_take_it_from_the_batch(written, due_on):
    parsed = parse_deadline(written, FEEDBACK)
    assert parsed.due_on == due_on
    assert parsed.year_inferred


@pytest.mark.parametrize(
    "written, expected",
    [
        ("立行立改", Deadline(None, True, False, "立行立改")),
        ("即知即改", Deadline(None, True, False, "即知即改")),
        ("长期坚持", Deadline(None, False, True, "长期坚持")),
        ("常态化推进", Deadline(None, False, True, "常态化推进")),
        ("立行立改，长期坚持", Deadline(None, True, True, "立行立改，长期坚持")),
        ("2024年底前，并长期坚持", Deadline(date(2024, 12, 31), False, True, "2024年底前，并长期坚持")),
        ("立行立改，2023年4月底前完成", Deadline(date(2023, 4, 30), True, False, "立行立改，2023年4月底前完成")),
    ],
)
def test_kinds_and_both(written, expected):
    assert parse_deadline(written, FEEDBACK) == expected


def test_empty_means_no_deadline():
    assert parse_deadline(None, FEEDBACK) == Deadline(None)
    assert parse_deadline("", FEEDBACK) == Deadline(None)


@pytest.mark.parametrize("written", ["尽快", "按要求", "2023年13月", "2023年2月30日", 12.5, "待定"])
def test_unreadable_deadlines_are_errors(written):
    with pytest.raises(DeadlineError):
        parse_deadline(written, FEEDBACK)
