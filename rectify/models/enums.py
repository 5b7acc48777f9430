"""Enumerations stored by code (ASCII) and shown by their Chinese label."""
import enum

import sqlalchemy as sa
from wtforms import SelectChoice


class LabeledEnum(enum.Enum):
    """An enum whose value is a stable ASCII code and which carries a Chinese label."""

    def __new__(cls, code: str, label: str):
        member = object.__new__(cls)
        member._value_ = code
        member.label = label
        return member

    @classmethod
    def from_label(cls, label: str):
        for member in cls:
            if member.label == label:
                return member
        raise ValueError(label)

    @classmethod
    def choices(cls) -> list[SelectChoice]:
        """Options for a WTForms SelectField: code as value, Chinese label shown."""
        return [SelectChoice(member.value, member.label) for member in cls]

    def __str__(self) -> str:
        return self.label


def enum_column_type(enum_class) -> sa.Enum:
    """A VARCHAR holding the code, without a database enum type, so new codes need no ALTER."""
    return sa.Enum(
        enum_class,
        native_enum=False,
        create_constraint=False,
        length=24,
        values_callable=lambda members: [member.value for member in members],
    )


class Role(LabeledEnum):
    ADMIN = ("admin", "管理员")
    SUPERVISOR = ("supervisor", "督办员")
    LEADER = ("leader", "责任领导")
    OWNER = ("owner", "责任人")
    VIEWER = ("viewer", "查看")


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


class ExportState(LabeledEnum):
    QUEUED = ("queued", "排队中")
    RUNNING = ("running", "生成中")
    DONE = ("done", "已完成")
    FAILED = ("failed", "失败")


class ExtensionStatus(LabeledEnum):
    PENDING = ("pending", "待审批")
    APPROVED = ("approved", "已同意")
    REFUSED = ("refused", "未同意")
