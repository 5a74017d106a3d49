"""Resources follow the platform settings; dbt is pointed at the same warehouse file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from orchestration.defs.resources import WAREHOUSE_PATH_ENV, make_resources


def test_dbt_and_the_assets_use_the_settings_warehouse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RSERZ_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("RSERZ_DATABASE_URL", "sqlite:///x.sqlite")
    monkeypatch.setenv(WAREHOUSE_PATH_ENV, "/left/over/from/another/run.duckdb")

    resources = make_resources()

    warehouse = resources["warehouse"]
    assert warehouse.warehouse_path == str(tmp_path.resolve() / "warehouse.duckdb")
    assert warehouse.marts_dir == str(tmp_path.resolve() / "marts")
    assert warehouse.database_url == "sqlite:///x.sqlite"
    # dbt's profile reads the file from the environment of this process.
    assert os.environ[WAREHOUSE_PATH_ENV] == warehouse.warehouse_path
