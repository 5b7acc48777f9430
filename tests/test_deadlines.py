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


@pytest.mark.parametrize("written", ["尽快", "按要求", "2023年13月", "2023年2月30日", 12.5])
def test_unreadable_deadlines_are_errors(written):
    with pytest.raises(DeadlineError):
        parse_deadline(written, FEEDBACK)


@pytest.mark.parametrize("written", ["限期整改", "待定", "未定", "限期", "/"])
def test_a_deadline_still_to_be_set_is_no_date_and_no_error(written):
    assert parse_deadline(written, FEEDBACK) == Deadline(None, text=written, unset=True)


@pytest.mark.parametrize(
    "written, due_on",
    [
        ("3天", date(2023, 3, 18)),
        ("3天内整改到位", date(2023, 3, 18)),
        ("30日内", date(2023, 4, 14)),
        ("即日起10日内", date(2023, 3, 25)),
        ("一周内", date(2023, 3, 22)),
        ("两周内", date(2023, 3, 29)),
        ("半个月", date(2023, 3, 30)),
        ("一个月内", date(2023, 4, 15)),
        ("3个月", date(2023, 6, 15)),
        ("半年内", date(2023, 9, 15)),
        ("24小时内", date(2023, 3, 16)),
        ("5个工作日", date(2023, 3, 22)),  # Wednesday 15 March: Thu, Fri, Mon, Tue, Wed
    ],
)
def test_relative_deadlines_count_from_the_feedback_date(written, due_on):
    parsed = parse_deadline(written, FEEDBACK)
    assert (parsed.due_on, parsed.relative, parsed.text) == (due_on, True, written)


def test_working_days_skip_the_holidays_and_count_the_makeup_days():
    """27 September 2023: Mid-Autumn and National Day off from 29 September to 6 October;
    Saturday 7 and Sunday 8 October were working days (调休)."""
    assert parse_deadline("5个工作日", date(2023, 9, 27)).due_on == date(2023, 10, 10)
    assert parse_deadline("3个工作日内", date(2023, 9, 27)).due_on == date(2023, 10, 8)


def test_a_date_written_beside_a_relative_deadline_wins():
    assert parse_deadline("2023年6月30日（3天）", FEEDBACK) == Deadline(date(2023, 6, 30), text="2023年6月30日（3天）")
