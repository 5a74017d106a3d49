"""«Регистр застрахованных лиц»: the register screen, the person card and its print, the forms
of changes (register, edit, close insurance) that put requests into the buffer."""

from flask import Blueprint

bp = Blueprint("persons", __name__, url_prefix="/persons", template_folder="templates")

from webapp.persons import changes, routes  # noqa: E402, F401  (routes attach to bp)
