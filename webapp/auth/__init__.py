"""Login (password or electronic signature), logout, the current user and the role checks."""

from flask import Blueprint

from webapp.auth import certificate

bp = Blueprint("auth", __name__, url_prefix="/auth", template_folder="templates")
# The ЭП login settings are read (and checked) when the app registers the blueprint.
bp.record_once(lambda state: certificate.init_app(state.app))

from webapp.auth import routes, users  # noqa: E402, F401  (routes attach to bp)
