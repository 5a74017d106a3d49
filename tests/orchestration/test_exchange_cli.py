"""`rserz send-batches` / `rserz ingest-answers`: Russian messages, not tracebacks."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from register.db import make_engine
from rserz.cli import main


@pytest.mark.parametrize("command", ["send-batches", "ingest-answers"])
def test_without_a_database_the_commands_say_what_to_do(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RSERZ_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("RSERZ_DATABASE_URL", raising=False)
    result = CliRunner().invoke(main, [command])
    assert result.exit_code == 1
    assert "выполните «rserz init»" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "rserz.sqlite").exists()  # nothing created as a side effect


def test_an_unmigrated_database_is_named_as_such(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    make_engine(url).connect().close()  # an empty file, no tables
    monkeypatch.setenv("RSERZ_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("RSERZ_DATABASE_URL", url)
    result = CliRunner().invoke(main, ["send-batches"])
    assert result.exit_code == 1 and "не обновлена до текущей версии" in result.output


def test_ingest_reports_in_russian(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RSERZ_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("RSERZ_DATABASE_URL", sqlite_url)
    inbound = tmp_path / "exchange" / "inbound"
    inbound.mkdir(parents=True)
    (inbound / "broken.uprak2").write_bytes(b"<UPRMessageBatch")
    result = CliRunner().invoke(main, ["ingest-answers", "--no-warehouse"])
    assert result.exit_code == 0, result.output
    assert "broken.uprak2: не прочитан (перемещён в bad/)" in result.output
    assert (inbound / "bad" / "broken.uprak2").exists()
