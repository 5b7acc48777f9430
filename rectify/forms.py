"""Form pieces shared by several areas."""
from flask_wtf import FlaskForm
from wtforms import SubmitField


class Form(FlaskForm):
    """Base of every form: WTForms' own messages in Chinese (its bundled zh catalogue)."""

    class Meta:
        locales = ["zh"]


class EmptyForm(Form):
    """A form with only its CSRF token: for buttons that change something."""

    submit = SubmitField("确定")
