"""Error pages in Russian; users never see a traceback."""

from __future__ import annotations

from flask import Flask, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from register.roles import AccessDenied

TITLES: dict[int, tuple[str, str]] = {
    400: ("Некорректный запрос", "Запрос не удалось обработать. Вернитесь назад и повторите."),
    403: ("Доступ запрещён", "Ваша роль не даёт доступа к этой странице."),
    404: ("Страница не найдена", "Такой страницы или записи нет. Проверьте адрес."),
    405: ("Действие недоступно", "Это действие нельзя выполнить таким способом."),
    500: (
        "Внутренняя ошибка",
        "При обработке запроса произошла ошибка. Она записана в журнал; "
        "повторите позже или обратитесь к администратору.",
    ),
}


def error_page(code: int, message: str | None = None) -> tuple[str, int]:
    title, default = TITLES.get(code, (f"Ошибка {code}", "Запрос не выполнен."))
    return render_template(
        "errors/error.html", code=code, title=title, message=message or default
    ), code


def init_app(app: Flask) -> None:
    @app.errorhandler(AccessDenied)
    def access_denied(exc: AccessDenied) -> tuple[str, int]:
        return error_page(403, str(exc) or None)

    @app.errorhandler(CSRFError)
    def csrf_error(_exc: CSRFError) -> Response | tuple[str, int]:
        if not current_user.is_authenticated:
            # Usually the session ran out while the form stayed open: just log in again.
            flash("Сеанс истёк или форма устарела. Войдите снова.", "warning")
            return redirect(url_for("auth.login"))
        return error_page(
            400, "Форма устарела или отправлена не с этой страницы. Обновите страницу и повторите."
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[str, int] | HTTPException:
        if exc.code is None or exc.code < 400:
            return exc
        return error_page(exc.code)

    @app.errorhandler(500)
    def internal_error(_exc: Exception) -> tuple[str, int]:
        # Flask has logged the traceback already; the user gets a page without it.
        title, message = TITLES[500]
        try:
            # A page without the user's data: the error may be in the database itself.
            return render_template("errors/500.html", title=title, message=message), 500
        except Exception:  # the error page must not fail in turn
            return f"{title}. {message}", 500
