"""«Журнал аудита»: who saw and changed what, and every login (ТФОМС only)."""

from flask import Blueprint

from webapp.audit import display

bp = Blueprint("audit", __name__, url_prefix="/audit", template_folder="templates")
# The time zone of the screens (RSERZ_TIMEZONE) is read and checked at registration.
bp.record_once(lambda state: display.init_app(state.app))

from webapp.audit import routes  # noqa: E402, F401  (routes attach to bp)
