"""The exchange runs through Dagster: sensors decide, jobs send and ingest."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from sqlalchemy import select

from orchestration.defs.exchange.jobs import ingest_ferzl_answers_job, send_to_ferzl_job
from orchestration.defs.exchange.sensors import ferzl_answers_sensor, ferzl_outbound_sensor
from orchestration.defs.resources import make_resources
from register import buffer
from register.buffer import create_request
from register.db import make_engine, make_session_factory, transaction
from register.models import BufferRequest
from register.roles import TFOMS
from register.settings import load_settings
from tests.exchange_support import answer_batch_file
from tests.factories import make_user, seed_region, user


@pytest.fixture
def factory(tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    data_dir = tmp_path / "data"
    monkeypatch.setenv("RSERZ_DATA_DIR", str(data_dir))
    monkeypatch.setenv("RSERZ_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("RSERZ_SEND_DELAY", "3600")
    load_settings().ensure_dirs()
    engine = make_engine(sqlite_url)
    factory = make_session_factory(engine)
    with transaction(factory) as s:
        seed_region(s)
        make_user(s, "tfoms", TFOMS)
        create_request(
            s,
            user(s, "tfoms"),
            operation="register",
            raw={
                "surname": "Орлова",
                "name": "Вера",
                "sex": "2",
                "birth_date": "01.02.1990",
                "doc_type": "14",
                "doc_series": "4610",
                "doc_number": "765432",
                "doc_issue_date": "01.03.2010",
                "smo_code": "50001",
                "insurance_start": "01.11.2026",
                "policy_form": "Э",
            },
            region_code="50",
            today=dt.date(2026, 11, 25),
        )
    yield factory
    engine.dispose()


def _status(factory) -> str:  # type: ignore[no-untyped-def]
    with factory() as s:
        return s.scalars(select(BufferRequest.status)).one()


def test_forced_request_is_sent_and_its_answers_ingested(factory) -> None:  # type: ignore[no-untyped-def]
    settings = load_settings()
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(instance=instance)
        waiting = ferzl_outbound_sensor(context)
        assert not waiting.run_requests  # one request, young, not forced: it waits
        with transaction(factory) as s:
            request_id = s.scalars(select(BufferRequest.id)).one()
            buffer.force_send(s, user(s, "tfoms"), request_id)
        due = ferzl_outbound_sensor(dg.build_sensor_context(instance=instance))
        assert len(due.run_requests) == 1

        assert send_to_ferzl_job.execute_in_process(
            instance=instance, resources=make_resources(settings)
        ).success
        assert _status(factory) == buffer.SENT
        (batch_file,) = settings.exchange_outbound.glob("*.uprmes")
        answer_batch_file(settings.exchange_inbound, batch_file)

        found = ferzl_answers_sensor(dg.build_sensor_context(instance=instance))
        assert len(found.run_requests) == 2
        assert all(len(r.run_key or "") == 64 for r in found.run_requests)  # sha256
        for run_request in sorted(found.run_requests, key=lambda r: r.tags["file"]):
            result = ingest_ferzl_answers_job.execute_in_process(
                run_config=run_request.run_config,
                instance=instance,
                resources=make_resources(settings),
            )
            assert result.success
        assert _status(factory) == buffer.ACCEPTED
        materialized = instance.get_latest_materialization_event(dg.AssetKey("ferzl_answers"))
        assert materialized is not None

    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        codes = sorted(r[0] for r in con.sql("select code from raw.ferzl_answer").fetchall())
    finally:
        con.close()
    assert codes == ["AA", "CA"]


def test_a_copy_of_an_answer_under_another_name_is_moved_aside(factory) -> None:  # type: ignore[no-untyped-def]
    settings = load_settings()
    with transaction(factory) as s:
        request_id = s.scalars(select(BufferRequest.id)).one()
        buffer.force_send(s, user(s, "tfoms"), request_id)
    with dg.instance_for_test() as instance:
        resources = make_resources(settings)
        assert send_to_ferzl_job.execute_in_process(instance=instance, resources=resources).success
        (batch_file,) = settings.exchange_outbound.glob("*.uprmes")
        answer_batch_file(settings.exchange_inbound, batch_file)
        for run_request in ferzl_answers_sensor(
            dg.build_sensor_context(instance=instance)
        ).run_requests:
            assert ingest_ferzl_answers_job.execute_in_process(
                run_config=run_request.run_config,
                instance=instance,
                resources=resources,
                tags=run_request.tags,
            ).success
        done = settings.exchange_inbound / "done" / (batch_file.stem + ".uprak2")
        copy = settings.exchange_inbound / (batch_file.stem + ".dup.uprak2")
        copy.write_bytes(done.read_bytes())
        again = ferzl_answers_sensor(dg.build_sensor_context(instance=instance))
        assert not again.run_requests
        assert not copy.exists()
    assert _status(factory) == buffer.ACCEPTED


def test_a_failed_run_is_retried_under_a_new_key_and_a_leftover_is_set_aside(
    factory, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from ferzl import answer_ingest
    from register.models import ExchangeEvent

    settings = load_settings()
    with transaction(factory) as s:
        request_id = s.scalars(select(BufferRequest.id)).one()
        buffer.force_send(s, user(s, "tfoms"), request_id)
    with dg.instance_for_test() as instance:
        resources = make_resources(settings)
        assert send_to_ferzl_job.execute_in_process(instance=instance, resources=resources).success
        (batch_file,) = settings.exchange_outbound.glob("*.uprmes")
        answer_batch_file(settings.exchange_inbound, batch_file)
        (settings.exchange_inbound / (batch_file.stem + ".uprak1")).unlink()
        (first,) = ferzl_answers_sensor(dg.build_sensor_context(instance=instance)).run_requests

        def locked(*_: object, **__: object) -> None:
            raise RuntimeError("database is locked")

        with monkeypatch.context() as patched:
            patched.setattr(answer_ingest, "ingest_answer_bytes", locked)
            failed = ingest_ferzl_answers_job.execute_in_process(
                run_config=first.run_config,
                instance=instance,
                resources=resources,
                tags=first.tags,
                raise_on_error=False,
            )
        assert not failed.success
        (retry,) = ferzl_answers_sensor(dg.build_sensor_context(instance=instance)).run_requests
        assert retry.run_key == f"{first.run_key}:1"
        assert ingest_ferzl_answers_job.execute_in_process(
            run_config=retry.run_config, instance=instance, resources=resources, tags=retry.tags
        ).success
        assert _status(factory) == buffer.ACCEPTED

        # The same file back under its own name (a run stopped before moving it): set aside
        # quietly, no run, no journal row.
        done = settings.exchange_inbound / "done" / (batch_file.stem + ".uprak2")
        leftover = settings.exchange_inbound / done.name
        leftover.write_bytes(done.read_bytes())
        assert not ferzl_answers_sensor(dg.build_sensor_context(instance=instance)).run_requests
        assert not leftover.exists()
    with factory() as s:
        assert not list(s.scalars(select(ExchangeEvent)))
