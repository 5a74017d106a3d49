"""«Просмотр состояния в ФЕРЗЛ»: the register's person beside the central segment's data,
with both histories, the look-up by other criteria, «Обновить данные в РСЕРЗ из ФЕРЗЛ»,
«Отправить в ФЕРЗЛ» and the print of either side.

The look-up client comes from one factory (lookup.py): ``app.extensions`` holds it, so
a test or another deployment substitutes its own.
"""

from flask import Blueprint
from flask.blueprints import BlueprintSetupState

bp = Blueprint(
    "ferzl_state",
    __name__,
    url_prefix="/persons",
    template_folder="templates",
)


@bp.record_once
def _install_client(state: BlueprintSetupState) -> None:
    from webapp.ferzl_state.lookup import install_client

    install_client(state.app)


from webapp.ferzl_state import routes  # noqa: E402, F401  (routes attach to bp)
