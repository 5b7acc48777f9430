"""The 整改方案 form: the proposed measures, one row each (rows are added in the page)."""
from wtforms import FieldList, FormField, HiddenField, StringField, SubmitField, TextAreaField
from wtforms import Form as SubForm
from wtforms.validators import Length, Optional

from rectify.core.forms import Form
from rectify.plans.operations import MAX_MEASURES, Draft


class DraftRow(SubForm):
    """One proposed measure. A plain WTForms form: the CSRF token is the outer form's."""

    text = TextAreaField("整改措施", validators=[Optional(), Length(max=5000)])
    deadline = StringField("整改时限（如：2026年12月底前、30日内、长期坚持）", validators=[Optional(), Length(max=100)])
    people = StringField("责任人（多人用顿号分隔）", validators=[Optional(), Length(max=500)])
    unit = StringField("责任单位（不填为本单位）", validators=[Optional(), Length(max=100)])
    cooperating = StringField("配合单位", validators=[Optional(), Length(max=500)])
    replaces = HiddenField()


class PlanForm(Form):
    rows = FieldList(FormField(DraftRow), min_entries=3, max_entries=MAX_MEASURES)
    save = SubmitField("保存草稿")
    submit = SubmitField("提交审核")

    def drafts(self) -> list[Draft]:
        return [Draft(row.text.data or "", row.deadline.data or "", row.people.data or "", row.unit.data or "",
                      row.cooperating.data or "", int(row.replaces.data) if (row.replaces.data or "").isdigit() else None)
                for row in self.rows]

    @classmethod
    def for_plan(cls, measures: list[dict]) -> "PlanForm":
        """A blank form, or one holding a saved or returned proposal."""
        rows = [{"text": m["text"], "deadline": m["deadline"], "people": m["people"], "unit": m["unit"],
                 "cooperating": m["cooperating"], "replaces": m.get("replaces") or ""} for m in measures]
        return cls(formdata=None, data={"rows": rows + [{}] * max(0, 3 - len(rows))})


class ReturnPlanForm(Form):
    reason = TextAreaField("退回理由", validators=[Optional(), Length(max=2000)])
    submit = SubmitField("退回修改")
