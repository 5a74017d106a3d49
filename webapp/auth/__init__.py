"""Login, logout, the current user and the role checks of every screen."""

from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/auth", template_folder="templates")

from webapp.auth import routes, users  # noqa: E402, F401  (routes attach to bp)
