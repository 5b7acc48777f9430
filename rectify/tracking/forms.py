"""Forms of the ticket page. Each measure's forms carry a prefix so one page can hold many."""
from flask import request
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    MultipleFileField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import HiddenInput

from rectify.accounts.people import resolve_people, split_names, unknown_message, unknown_names
from rectify.core.forms import Form
from rectify.models import SourceKind
from rectify.tracking.workflow import WorkflowError


class UnknownPeople(WorkflowError):
    """Names typed into a form that nobody carries, not confirmed as new people (新建人员)."""

    def __init__(self, unknown):
        super().__init__(unknown_message(unknown), 400)
        self.unknown = unknown


def people_named(text) -> list:
    """The people a form's field names (责任人, 责任领导): known ones, and new ones only when the form
    confirms them (a 新建人员 choice of the picker, or its checkbox); otherwise UnknownPeople."""
    names = split_names(text)
    confirmed = [name for value in request.form.getlist("new_people") for name in split_names(value)]
    unknown = unknown_names(names, confirmed)
    if unknown:
        raise UnknownPeople(unknown)
    return resolve_people(names)


class VersionedForm(Form):
    """Carries the version of the measure the user saw, to refuse stale saves."""

    version = IntegerField(widget=HiddenInput(), validators=[Optional()])


class ProgressForm(VersionedForm):
    text = TextAreaField("进展情况", validators=[DataRequired("请填写进展情况。"), Length(max=5000)])
    files = MultipleFileField("佐证材料（可多选）")
    submit = SubmitField("提交进展")


class SubmitForReviewForm(VersionedForm):
    note = TextAreaField("完成情况说明", validators=[DataRequired("请填写完成情况说明。"), Length(max=5000)])
    files = MultipleFileField("佐证材料（可多选）")
    submit = SubmitField("申请销号")


class ReviewForm(VersionedForm):
    decision = RadioField(
        "审核意见",
        choices=[SelectChoice("approve", "同意销号"), SelectChoice("stage", "阶段性完成，转长期坚持"), SelectChoice("return", "退回整改")],
        validators=[InputRequired("请选择审核意见。")],
    )
    note = TextAreaField("说明（退回时必填）", validators=[Length(max=5000)])
    submit = SubmitField("提交审核")


class EvidenceForm(Form):
    files = MultipleFileField("佐证材料（可多选）")
    submit = SubmitField("上传")


class CommentForm(Form):
    text = TextAreaField("意见", validators=[DataRequired("请填写意见。"), Length(max=5000)])
    submit = SubmitField("发表意见")


class ExtensionForm(Form):
    until = DateField("申请延期至", validators=[DataRequired("请填写有效的日期。")])
    reason = TextAreaField("延期理由", validators=[DataRequired("请填写延期理由。"), Length(max=5000)])
    submit = SubmitField("申请延期")


class ExtensionDecisionForm(Form):
    decision = RadioField("审批意见", choices=[SelectChoice("approve", "同意"), SelectChoice("refuse", "不同意")],
                          validators=[InputRequired("请选择审批意见。")])
    reason = TextAreaField("理由（不同意时必填）", validators=[Length(max=5000)])
    submit = SubmitField("提交审批")


class MeasureForm(VersionedForm):
    text = TextAreaField("整改措施", validators=[DataRequired("请填写整改措施。"), Length(max=5000)])
    goal = TextAreaField("整改目标", validators=[Length(max=5000)])
    lead_unit_id = SelectField("责任单位", coerce=int)
    cooperating = StringField("配合单位（多个用顿号分隔）", validators=[Length(max=500)])
    leaders = StringField("责任领导（多人用顿号分隔）", validators=[Length(max=500)])
    owners = StringField("责任人（多人用顿号分隔）", validators=[Length(max=500)])
    due_on = DateField("整改时限", validators=[Optional()])
    is_immediate = BooleanField("立行立改")
    is_long_term = BooleanField("长期坚持")
    submit = SubmitField("保存措施")


class ProblemForm(Form):
    number = StringField("序号", validators=[Length(max=32)])
    aspect = StringField("问题类别（方面）", validators=[Length(max=200)])
    description = TextAreaField("存在问题", validators=[DataRequired("请填写问题描述。"), Length(max=10000)])
    lead_unit_id = SelectField("牵头单位", coerce=int)
    leaders = StringField("责任领导（多人用顿号分隔）", validators=[Length(max=500)])
    unit_plans = BooleanField("由牵头单位制定整改措施（提交整改方案，经督办员审核后生效）")
    submit = SubmitField("保存问题")

    def validate_unit_plans(self, field):
        if field.data and not self.lead_unit_id.data:
            raise ValidationError("由牵头单位制定整改措施时，请选择牵头单位。")


class BatchForm(Form):
    kind = SelectField("来源", choices=SourceKind.choices())
    title = StringField("批次名称", validators=[DataRequired("请填写批次名称。"), Length(max=200)])
    issuer = StringField("反馈单位", validators=[Length(max=100)])
    doc_number = StringField("文号", validators=[Length(max=100)])
    feedback_on = DateField("反馈日期", validators=[Optional()])
    period_end_on = DateField("集中整改期截止", validators=[Optional()])
    submit = SubmitField("保存批次")
