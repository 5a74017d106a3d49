"""Forms of the administration screen; the rules (role bindings, password length,
certificate uniqueness) are checked by register.users and come back as UserError."""

from __future__ import annotations

from collections.abc import Mapping

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from register.roles import ROLE_NAMES

_NO_AUTOFILL = {"autocomplete": "off", "spellcheck": "false"}


def _role_choices() -> list[SelectChoice]:
    return [SelectChoice(code, name) for code, name in ROLE_NAMES.items()]


class _Binding(FlaskForm):
    """Role with its СМО or МО (the choices are filled from the reference books)."""

    full_name = StringField(
        "ФИО",
        validators=[
            DataRequired("Введите ФИО"),
            Length(max=200, message="Не длиннее 200 символов"),
        ],
        render_kw={"autocomplete": "off"},
    )
    role = SelectField(
        "Роль", choices=_role_choices(), validate_choice=False, render_kw={"data-role-select": ""}
    )
    smo_code = SelectField("СМО", choices=[], validate_choice=False)
    mo_code = SelectField("МО", choices=[], validate_choice=False)

    def fill_choices(self, smo: Mapping[str, str], mo: Mapping[str, str]) -> None:
        self.smo_code.choices = [SelectChoice("", "—")] + [
            SelectChoice(code, f"{name} ({code})") for code, name in smo.items()
        ]
        self.mo_code.choices = [SelectChoice("", "—")] + [
            SelectChoice(code, f"{name} ({code})") for code, name in mo.items()
        ]


class UserCreateForm(_Binding):
    login = StringField(
        "Логин",
        validators=[
            DataRequired("Введите логин"),
            Length(max=60, message="Не длиннее 60 символов"),
        ],
        render_kw={**_NO_AUTOFILL, "autofocus": True},
    )
    password = PasswordField(
        "Начальный пароль",
        validators=[DataRequired("Введите пароль"), Length(max=200)],
        render_kw={"autocomplete": "new-password"},
    )
    password_again = PasswordField(
        "Пароль ещё раз",
        validators=[EqualTo("password", "Пароли не совпадают")],
        render_kw={"autocomplete": "new-password"},
    )


class UserEditForm(_Binding):
    is_active = BooleanField("Учётная запись активна")


class PasswordForm(FlaskForm):
    password = PasswordField(
        "Новый пароль",
        validators=[DataRequired("Введите пароль"), Length(max=200)],
        render_kw={"autocomplete": "new-password"},
    )
    password_again = PasswordField(
        "Пароль ещё раз",
        validators=[EqualTo("password", "Пароли не совпадают")],
        render_kw={"autocomplete": "new-password"},
    )


class CertificateForm(FlaskForm):
    thumbprint = StringField(
        "Отпечаток сертификата",
        validators=[Length(max=120)],
        render_kw={**_NO_AUTOFILL, "placeholder": "40 или 64 шестнадцатеричных символа"},
    )
    snils = StringField(
        "СНИЛС владельца",
        validators=[Length(max=20)],
        render_kw={**_NO_AUTOFILL, "placeholder": "XXX-XXX-XXX YY"},
    )
    enabled = BooleanField("Разрешить вход по ЭП")
