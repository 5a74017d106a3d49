"""«Регистр застрахованных лиц»: search, the list of persons, the person card."""

from flask import Blueprint

bp = Blueprint("persons", __name__, url_prefix="/persons", template_folder="templates")

from webapp.persons import routes  # noqa: E402, F401  (routes attach to bp)
