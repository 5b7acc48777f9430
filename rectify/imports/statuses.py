"""Status words as lists write them (整改状态, 整改情况), and progress text that states a status.

The longest word found decides, so 未整改到位 (in progress) is not read as 未整改 (not started)
nor 已整改到位 as anything but done. A progress text states completion only in so many words
(该问题已完成整改。, 已整改到位), never by mentioning a plan (已完成整改方案制定).
"""
import re
import unicodedata
from typing import Optional

from rectify.tracking.enums import MeasureStatus

STATUS_WORDS = {
    MeasureStatus.DONE: ("已完成", "已整改", "已整改到位", "已办结", "已销号", "完成整改", "整改完成", "已完成整改",
                         "整改到位", "已落实", "办结", "销号", "完成", "已解决", "是"),
    MeasureStatus.LONG_TERM: ("长期坚持", "长期整改", "常态化推进", "持续整改"),
    MeasureStatus.IN_PROGRESS: ("整改中", "正在整改", "推进中", "正在推进", "部分完成", "申请延期", "逾期", "进行中",
                                "整改不彻底", "部分整改", "基本完成", "未整改到位", "持续推进", "未完全整改",
                                "正在办理", "阶段性成果", "基本完成取得阶段性成果", "待审核", "整改未到位"),
    MeasureStatus.NOT_STARTED: ("未启动", "待整改", "未开始", "未完成", "否", "未整改", "尚未整改", "未落实", "未办结"),
}
_BY_WORD = {word: status for status, words in STATUS_WORDS.items() for word in words}
# Too short to be read inside a longer text (未按期完成 is not done): only a cell saying just that.
EXACT_ONLY = {"完成", "办结", "销号", "是", "否"}
_LONGEST_FIRST = sorted(set(_BY_WORD) - EXACT_ONLY, key=len, reverse=True)
_NOISE = re.compile(r"[\s:：。；;，,!！、]")
# Progress text that states the work is done: 已/均已/已全部 + a completion word, ending there.
STATES_DONE = re.compile(r"(?<![未没尚])(?:已|均已|已全部|全部)(?:完成整改|整改完成|整改到位|整改完毕|完成|办结|销号|整改)"
                         r"(?=$|[。；;，,！!\s])")


def _clean(text: str) -> str:
    return _NOISE.sub("", unicodedata.normalize("NFKC", text))


def status_for(text: Optional[str]) -> Optional[MeasureStatus]:
    """The status a status cell names (its longest known word), or None."""
    cleaned = _clean(text or "")
    if not cleaned:
        return None
    if cleaned in _BY_WORD:
        return _BY_WORD[cleaned]
    for word in _LONGEST_FIRST:
        if len(word) > 1 and word in cleaned:
            return _BY_WORD[word]
    return None


def status_stated(progress: Optional[str]) -> Optional[MeasureStatus]:
    """The status a progress text states: completion in so many words, or a status word it opens with."""
    if not progress:
        return None
    head = re.split(r"[，,。；;：:\n]", unicodedata.normalize("NFKC", progress).strip(), maxsplit=1)[0]
    opening = _clean(head)
    if opening in _BY_WORD and len(opening) > 1:
        return _BY_WORD[opening]
    if STATES_DONE.search(unicodedata.normalize("NFKC", progress)):
        return MeasureStatus.DONE
    return None
