"""Resources of the code location, from the platform settings (``RSERZ_*`` environment)."""

import os
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration.lib.dbt_project import DBT_EXECUTABLE, dbt_project
from register.settings import Settings, load_settings

#: dbt's profile (dbt_project/profiles.yml) reads the warehouse file from here.
WAREHOUSE_PATH_ENV = "RSERZ_WAREHOUSE_PATH"


class WarehouseResource(dg.ConfigurableResource):
    """Where the warehouse path of a run reads and writes."""

    database_url: str
    warehouse_path: str
    marts_dir: str


def make_resources(settings: Settings | None = None) -> dict[str, Any]:
    """The resources for the given settings (default: from the environment now).

    The warehouse file is the settings' ``warehouse_path``. dbt runs as a
    subprocess and its profile reads the file from ``RSERZ_WAREHOUSE_PATH``, so
    the variable is set to that path in this process: the assets and dbt always
    use the same file, whatever the variable held before.
    """
    settings = settings or load_settings()
    warehouse_path = settings.warehouse_path
    os.environ[WAREHOUSE_PATH_ENV] = str(warehouse_path)
    return {
        "warehouse": WarehouseResource(
            database_url=settings.database_url,
            warehouse_path=str(warehouse_path),
            marts_dir=str(settings.marts_dir),
        ),
        "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE),
    }


@dg.definitions
def resources() -> dg.Definitions:
    # Warehouse runs execute in one process: DuckDB allows one writing process per file.
    return dg.Definitions(resources=make_resources(), executor=dg.in_process_executor)
