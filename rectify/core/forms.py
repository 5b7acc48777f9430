"""Form pieces shared by several areas."""
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField

from rectify.core.text import one_sentence


def _without_nul(value):
    """NUL characters never come from typing; PostgreSQL refuses them in text, so they go."""
    return value.replace("\x00", "") if isinstance(value, str) else value


def form_errors(form) -> str:
    """A form's errors as one sentence (nested forms' errors included)."""
    def flat(errors):
        for error in errors.values() if isinstance(errors, dict) else errors:
            if isinstance(error, (list, dict)):
                yield from flat(error)
            else:
                yield str(error)

    return one_sentence(flat(form.errors))


class Form(FlaskForm):
    """Base of every form: WTForms' own messages in Chinese (its bundled zh catalogue), and no
    NUL character in any text field."""

    class Meta:
        locales = ["zh"]

        def bind_field(self, form, unbound_field, options):
            if not issubclass(unbound_field.field_class, StringField):  # lists and nested forms take no filters
                return unbound_field.bind(form=form, **options)
            filters = (*(unbound_field.kwargs.get("filters") or ()), *options.pop("filters", ()), _without_nul)
            return unbound_field.bind(form=form, filters=filters, **options)


class EmptyForm(Form):
    """A form with only its CSRF token: for buttons that change something."""

    submit = SubmitField("确定")
