"""Document titles joined without doubled words.

A batch is often named for its work ("县委第三巡察组反馈意见整改"); a title built by appending
"整改台账" to it read "……反馈意见整改整改台账". Each seam drops the longest overlap (two characters
or more) between the end of the text so far and the start of the next part.
"""

ENDINGS_NEEDING_NO_FEEDBACK = ("意见", "问题", "建议", "事项")
WORK_SUFFIXES = ("整改落实情况的报告", "整改情况报告", "整改台账", "整改工作", "整改")


def joined(*parts: str) -> str:
    """``parts`` end to end, each seam without a repeated word: 反馈意见整改 + 整改台账 → 反馈意见整改台账."""
    text = ""
    for part in (p.strip() for p in parts if p and p.strip()):
        overlap = next((size for size in range(min(len(text), len(part)), 1, -1) if text.endswith(part[:size])), 0)
        text += part[overlap:]
    return text


def subject_of(title: str) -> str:
    """What a batch is about, without a trailing word for the work: 县委第三巡察组反馈意见整改 → 县委第三巡察组反馈意见."""
    subject = title.strip().removeprefix("关于")
    stripped = True
    while stripped:
        stripped = False
        for suffix in WORK_SUFFIXES:
            if subject.endswith(suffix) and len(subject) > len(suffix):
                subject, stripped = subject[: -len(suffix)].rstrip("的、，, "), True
    return subject


def report_title(batch_title: str) -> str:
    """关于……反馈意见整改落实情况的报告."""
    subject = subject_of(batch_title)
    if not subject.endswith(ENDINGS_NEEDING_NO_FEEDBACK):
        subject = joined(subject, "反馈意见")
    return joined("关于", subject, "整改落实情况的报告")
