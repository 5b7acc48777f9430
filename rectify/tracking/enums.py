"""The states of the work, stored by code and shown by their Chinese label."""
from rectify.core.enums import LabeledEnum


class SourceKind(LabeledEnum):
    XUNSHI = ("xunshi", "巡视")
    XUNCHA = ("xuncha", "巡察")
    REVIEW = ("review", "述职评议")
    AUDIT = ("audit", "审计")
    SUPERVISION = ("supervision", "督查")
    SELF_CHECK = ("self_check", "自查")
    OTHER = ("other", "其他")


class MeasureStatus(LabeledEnum):
    NOT_STARTED = ("not_started", "未启动")
    IN_PROGRESS = ("in_progress", "整改中")
    PENDING_REVIEW = ("pending_review", "待审核")
    DONE = ("done", "已完成")
    LONG_TERM = ("long_term", "长期坚持")


class ProblemStatus(LabeledEnum):
    """Derived from the problem's measures; never stored."""

    NOT_STARTED = ("not_started", "未启动")
    IN_PROGRESS = ("in_progress", "整改中")
    CLOSED = ("closed", "已销号")


class Warning(LabeledEnum):  # noqa: A001 - the domain's word; the builtin is not used here
    """The warning colour of a measure; derived from deadline, status and today."""

    RED = ("red", "逾期")
    YELLOW = ("yellow", "临期")
    GREEN = ("green", "正常")
    GREY = ("grey", "已完成")


class UpdateKind(LabeledEnum):
    PROGRESS = ("progress", "整改进展")
    SUBMITTED = ("submitted", "申请销号")
    RETURNED = ("returned", "退回")
    APPROVED = ("approved", "销号")
    STAGE_DONE = ("stage_done", "阶段性完成（长期坚持）")
    COMMENT = ("comment", "意见")


class ExtensionStatus(LabeledEnum):
    PENDING = ("pending", "待审批")
    APPROVED = ("approved", "已同意")
    REFUSED = ("refused", "未同意")
