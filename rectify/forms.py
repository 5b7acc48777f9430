"""Form pieces shared by several areas."""
from flask_wtf import FlaskForm
from wtforms import SubmitField


class EmptyForm(FlaskForm):
    """A form with only its CSRF token: for buttons that change something."""

    submit = SubmitField("确定")
