"""The main screen and the «РСЕРЗ» screen of modes: tiles leading to the screens a role may use."""

from flask import Blueprint

bp = Blueprint("main", __name__, template_folder="templates")

from webapp.main import routes  # noqa: E402, F401  (routes attach to bp)
