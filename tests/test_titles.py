"""Titles of ledgers, summaries, reports and bulletins: never a doubled word at a seam."""
import pytest

from rectify.core.titles import joined, report_title, subject_of


@pytest.mark.parametrize("parts, title", [
    (("县委第三巡察组反馈意见整改", "整改台账"), "县委第三巡察组反馈意见整改台账"),
    (("县委第三巡察组反馈意见", "整改台账"), "县委第三巡察组反馈意见整改台账"),
    (("县委第三巡察组反馈意见整改台账", "整改台账"), "县委第三巡察组反馈意见整改台账"),
    (("经济责任审计整改", "整改情况统计"), "经济责任审计整改情况统计"),
    (("市审计局审计发现问题", "问题整改台账"), "市审计局审计发现问题整改台账"),
    (("全部批次", "整改台账"), "全部批次整改台账"),
    (("县委第三巡察组反馈意见整改", "整改进展通报"), "县委第三巡察组反馈意见整改进展通报"),
    (("2023年", "年度述职评议"), "2023年年度述职评议"),  # one shared character is no doubled word
    (("", "整改台账"), "整改台账"),
])
def test_joined_titles_repeat_no_word(parts, title):
    assert joined(*parts) == title


@pytest.mark.parametrize("batch, subject", [
    ("县委第三巡察组反馈意见整改", "县委第三巡察组反馈意见"),
    ("县委第三巡察组反馈意见整改工作", "县委第三巡察组反馈意见"),
    ("经济责任审计整改台账", "经济责任审计"),
    ("整改", "整改"),
])
def test_subject_of_a_batch(batch, subject):
    assert subject_of(batch) == subject


@pytest.mark.parametrize("batch, title", [
    ("县委第三巡察组反馈意见整改", "关于县委第三巡察组反馈意见整改落实情况的报告"),
    ("县委第三巡察组反馈意见", "关于县委第三巡察组反馈意见整改落实情况的报告"),
    ("市委第二巡视组巡视反馈", "关于市委第二巡视组巡视反馈意见整改落实情况的报告"),
    ("2023年度抓基层党建工作述职评议", "关于2023年度抓基层党建工作述职评议反馈意见整改落实情况的报告"),
    ("市审计局审计发现问题整改", "关于市审计局审计发现问题整改落实情况的报告"),
    ("关于县委巡察反馈意见整改落实情况的报告", "关于县委巡察反馈意见整改落实情况的报告"),
])
def test_report_titles(batch, title):
    assert report_title(batch) == title
    assert "整改整改" not in title and "意见意见" not in title
