"""The forms of the reminders' pages."""
from wtforms import IntegerField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from rectify.core.forms import Form
from rectify.reminders.preferences import CATEGORIES, CHOICES


class ReminderSettingsForm(Form):
    due_days = StringField("到期前提醒（天，逗号分隔）", validators=[DataRequired("请填写天数。"),
                           Regexp(r"^\s*\d+(\s*[,，]\s*\d+)*\s*$", message="请填写用逗号分隔的天数，如 7,3,1。")])
    overdue_every = IntegerField("逾期后每隔几天提醒", validators=[NumberRange(1, 30, "应为 1 到 30。")])
    leader_days = IntegerField("逾期几天后同时提醒责任领导（催办）", validators=[NumberRange(0, 365, "应为 0 到 365。")])
    supervisors_days = IntegerField("逾期几天后同时提醒督办员（督办）", validators=[NumberRange(0, 365, "应为 0 到 365。")])
    unacknowledged_days = IntegerField("分派几天未签收时提醒", validators=[NumberRange(1, 60, "应为 1 到 60。")])
    monthly_day = IntegerField("长期坚持事项每月几日起提醒报送进展", validators=[NumberRange(1, 28, "应为 1 到 28。")])
    max_items = IntegerField("每条提醒最多列出几项", validators=[NumberRange(1, 500, "应为 1 到 500。")])
    submit = SubmitField("保存")


SETTING_FIELDS = {
    "due_days": "RECTIFY_REMIND_DUE_DAYS", "overdue_every": "RECTIFY_REMIND_OVERDUE_EVERY",
    "leader_days": "RECTIFY_ESCALATE_LEADER_DAYS", "supervisors_days": "RECTIFY_ESCALATE_SUPERVISORS_DAYS",
    "unacknowledged_days": "RECTIFY_REMIND_UNACKNOWLEDGED_DAYS", "monthly_day": "RECTIFY_REMIND_MONTHLY_DAY",
    "max_items": "RECTIFY_REMIND_MAX_ITEMS",
}


class NoticeChoicesForm(Form):
    """One choice (立即, 每日汇总, 不接收) per category of workflow events."""

    submit = SubmitField("保存")

    @classmethod
    def for_choices(cls, current: dict[str, str], **kwargs) -> "NoticeChoicesForm":
        class Bound(cls):
            pass

        for category, label in CATEGORIES.items():
            setattr(Bound, category, SelectField(label, choices=[SelectChoice(value, text) for value, text in CHOICES.items()],
                                                 default=current[category]))
        return Bound(**kwargs)

    def choices(self) -> dict[str, str]:
        return {category: self[category].data for category in CATEGORIES}


class WebhookForm(Form):
    name = StringField("名称（如：OA 系统）", validators=[DataRequired("请填写名称。"), Length(max=100)])
    url = StringField("接收地址", validators=[DataRequired("请填写接收地址。"), Length(max=500),
                                          Regexp(r"^https?://", message="地址应以 http:// 或 https:// 开头。")])
    secret = StringField("签名密钥（留空则自动生成）", validators=[Optional(), Length(min=16, max=200,
                                                                        message="密钥应为 16 到 200 个字符。")])
    submit = SubmitField("添加")
