"""«Буфер»: requests for changes waiting for (or finished with) the central segment."""

from flask import Blueprint

bp = Blueprint("buffer", __name__, url_prefix="/buffer", template_folder="templates")

from webapp.buffer import routes  # noqa: E402, F401  (routes attach to bp)
