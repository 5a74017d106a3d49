"""«Срезы»: published monthly snapshots of the register (Parquet, never the warehouse file)."""

from flask import Blueprint

bp = Blueprint("snapshots", __name__, url_prefix="/snapshots", template_folder="templates")

from webapp.snapshots import routes  # noqa: E402, F401  (routes attach to bp)
