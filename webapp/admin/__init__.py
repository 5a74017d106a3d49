"""«Администрирование»: users, their roles, СМО/МО bindings, passwords and certificates."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")

from webapp.admin import routes  # noqa: E402, F401  (routes attach to bp)
