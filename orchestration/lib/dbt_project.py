"""The dbt project of the warehouse as Dagster sees it."""

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject
from dagster_dbt.dbt_project import using_dagster_dev

DBT_PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"

#: dbt from the same environment as Dagster, whether or not it is on PATH.
DBT_EXECUTABLE = (
    str(Path(sys.executable).with_name("dbt"))
    if Path(sys.executable).with_name("dbt").exists()
    else "dbt"
)

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR)


def parse_project(project: DbtProject = dbt_project) -> Path:
    """Run ``dbt parse`` (no database, no network) and put the manifest in place atomically.

    dbt writes into a private target folder first, so that a process loading the
    code location at the same moment never reads a half-written manifest.
    """
    scratch = project.project_dir / project.target_path / f".parse-{uuid.uuid4().hex[:8]}"
    try:
        subprocess.run(
            [
                DBT_EXECUTABLE,
                "parse",
                "--quiet",
                "--project-dir",
                str(project.project_dir),
                "--profiles-dir",
                str(project.profiles_dir),
                "--target-path",
                str(scratch),
            ],
            cwd=project.project_dir,
            env={**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
            check=True,
        )
        os.replace(scratch / "manifest.json", project.manifest_path)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return project.manifest_path


def _manifest_is_stale(project: DbtProject) -> bool:
    """True when the manifest is missing or older than a file of the project."""
    if not project.manifest_path.exists():
        return True
    built = project.manifest_path.stat().st_mtime
    generated = {project.project_dir / project.target_path, project.project_dir / "logs"}
    return any(
        path.stat().st_mtime > built
        for path in project.project_dir.rglob("*")
        if path.is_file() and not any(folder in path.parents for folder in generated)
    )


def prepare_manifest(project: DbtProject = dbt_project) -> Path:
    """Make sure ``target/manifest.json`` is there and up to date; return its path.

    Under ``dagster dev`` the project is parsed on every load, as dagster-dbt
    does; elsewhere (run workers, the CLI, tests) only when the manifest is
    missing or a model, macro, test or config file changed since it was built.
    """
    if using_dagster_dev() or _manifest_is_stale(project):
        parse_project(project)
    return project.manifest_path


class WarehouseDbtTranslator(DagsterDbtTranslator):
    """Models are keyed by their name alone (``snapshot_month``), like the other assets;
    sources take the key of the asset that loads them (``meta.dagster.asset_key``)."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "model":
            return dg.AssetKey(dbt_resource_props["name"])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return "warehouse"


def run_dbt(
    dbt: DbtCliResource, args: Sequence[str], context: dg.AssetExecutionContext
) -> Iterator[Any]:
    """Stream the events of a dbt command for Dagster; on success drop its artifacts.

    dagster-dbt gives every invocation a folder of its own under ``target/``; a
    failed run keeps it (compiled SQL, logs) for the engineer who looks into it.
    """
    invocation = dbt.cli(list(args), context=context)
    yield from invocation.stream()
    shutil.rmtree(invocation.target_path, ignore_errors=True)
