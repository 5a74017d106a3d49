"""Forms of the login screen."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    login = StringField(
        "Логин",
        validators=[DataRequired("Введите логин"), Length(max=60, message="Слишком длинный логин")],
        render_kw={"autofocus": True, "autocomplete": "username", "spellcheck": "false"},
    )
    password = PasswordField(
        "Пароль",
        validators=[
            DataRequired("Введите пароль"),
            Length(max=200, message="Слишком длинный пароль"),
        ],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField("Войти")


class LogoutForm(FlaskForm):
    """Logout is a POST with a CSRF token: a link on another site cannot log the user out."""

    submit = SubmitField("Выйти")


class CertificateLoginForm(FlaskForm):
    """Login by electronic signature: the certificate itself comes from the TLS proxy."""

    submit = SubmitField("Войти по ЭП")
