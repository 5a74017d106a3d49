"""The one-command demo: prepare the data, then run web app, Dagster UI and emulator."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import click
from sqlalchemy import func, select

from register.settings import PROJECT_ROOT, Settings


@dataclass
class Service:
    name: str
    log_name: str
    command: list[str]
    url: str
    # `dagster dev` shuts its webserver, daemon and code servers down on SIGINT.
    stop_signal: int = signal.SIGTERM
    process: subprocess.Popen[bytes] | None = None


def run_demo(settings: Settings, *, persons: int, seed: int, start: bool = True) -> None:
    from rserz.cli import _create_demo_users, generate_demo_region, initialise

    started = time.monotonic()
    # Ctrl-C and SIGTERM both end in the `finally` that stops the children, even when
    # this process was started with SIGINT ignored (as a background job of a script).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    click.echo(f"Каталог данных: {settings.data_dir}")
    initialise(settings)
    existing = _count_persons(settings)
    if existing == 0:
        click.echo(f"Генерация демо-региона: {persons} застрахованных…")
        click.echo(generate_demo_region(settings, persons=persons, seed=seed, workers=2))
    else:
        click.echo(f"Регистр уже содержит {existing} застрахованных — генерация пропущена.")
        _create_demo_users(settings)
    if not _snapshot_published(settings):
        click.echo("Конвейер Dagster: выгрузка изменений, история, срез, публикация…")
        _run_pipeline(settings)
    else:
        click.echo("Срез текущего месяца уже опубликован.")
    if not start:
        return
    services = _services(settings)
    try:
        _start(services, settings)
        _banner(settings, services, time.monotonic() - started)
        _supervise(services)
    except KeyboardInterrupt:
        pass
    finally:
        _stop(services)


def _count_persons(settings: Settings) -> int:
    from register.db import make_engine
    from register.models import Person

    engine = make_engine(settings.database_url)
    with engine.connect() as conn:
        count = int(conn.execute(select(func.count()).select_from(Person)).scalar_one())
    engine.dispose()
    return count


def _snapshot_published(settings: Settings) -> bool:
    from orchestration.lib.partitions import current_snapshot_date
    from warehouse.marts import list_snapshots

    first = current_snapshot_date()
    return any(s.snapshot_date == first for s in list_snapshots(settings.marts_dir))


def _run_pipeline(settings: Settings) -> None:
    # In a child process: Dagster's in-process run must not share this process's state.
    log = settings.logs_dir / "pipeline.log"
    with open(log, "ab") as out:
        result = subprocess.run(
            [sys.executable, "-m", "rserz.cli", "pipeline"],
            cwd=PROJECT_ROOT,
            env=_env(settings),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    if result.returncode != 0:
        tail = log.read_text(errors="replace").splitlines()[-20:]
        raise click.ClickException("Конвейер завершился с ошибкой:\n" + "\n".join(tail))
    click.echo(f"Срез построен и опубликован (журнал: {log}).")


def _env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env["DAGSTER_HOME"] = str(settings.dagster_home)
    env["RSERZ_DATA_DIR"] = str(settings.data_dir)
    env["RSERZ_WAREHOUSE_PATH"] = str(settings.warehouse_path)
    env.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
    return env


def _services(settings: Settings) -> list[Service]:
    from rserz.cli import _web_command

    host = settings.host
    return [
        Service(
            "ФЕРЗЛ (эмулятор)",
            "ferzl-emulator",
            [sys.executable, "-m", "rserz.cli", "ferzl-emulator"],
            f"http://{host}:{settings.ferzl_port}/health",
        ),
        Service(
            "Веб-приложение",
            "webapp",
            _web_command(settings),
            f"http://{host}:{settings.web_port}/auth/login",
        ),
        Service(
            "Dagster UI",
            "dagster",
            [
                sys.executable,
                "-m",
                "dagster",
                "dev",
                "-m",
                "orchestration.definitions",
                "-h",
                host,
                "-p",
                str(settings.dagster_port),
            ],
            f"http://{host}:{settings.dagster_port}/server_info",
            stop_signal=signal.SIGINT,
        ),
    ]


def _start(services: list[Service], settings: Settings) -> None:
    env = _env(settings)
    for service in services:
        log = _log_path(settings, service)
        with open(log, "ab") as out:
            service.process = subprocess.Popen(
                service.command,
                cwd=PROJECT_ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches us only; we stop the children in order
            )
    deadline = time.monotonic() + 180
    for service in services:
        while not _answers(service.url):
            assert service.process is not None
            if service.process.poll() is not None:
                raise click.ClickException(
                    f"{service.name} не запустился — см. {_log_path(settings, service)}"
                )
            if time.monotonic() > deadline:
                raise click.ClickException(f"{service.name} не отвечает по {service.url}")
            time.sleep(0.5)


def _log_path(settings: Settings, service: Service) -> Path:
    return settings.logs_dir / f"{service.log_name}.log"


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status < 500)
    except Exception:
        return False


def _banner(settings: Settings, services: list[Service], seconds: float) -> None:
    from synthetic.users import describe_demo_users

    h = settings.host
    lines = [
        "",
        f"Платформа РС ЕРЗ запущена за {seconds:.0f} с.",
        f"  Веб-приложение:  http://{h}:{settings.web_port}/",
        f"  Dagster UI:      http://{h}:{settings.dagster_port}/",
        f"  ФЕРЗЛ (эмулятор): http://{h}:{settings.ferzl_port}/health",
        "Демо-пользователи (логин / пароль — роль):",
        *(f"  {line}" for line in describe_demo_users()),
        f"Обмен с ФЕРЗЛ: {settings.exchange_outbound} → {settings.exchange_inbound} "
        f"(отправка через {settings.send_delay_seconds} с после сохранения или сразу — "
        "«Отправить принудительно»)",
        f"Журналы процессов: {settings.logs_dir}",
        "Остановить: Ctrl-C",
        "",
    ]
    click.echo("\n".join(lines))


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def _supervise(services: list[Service]) -> None:
    while True:
        for service in services:
            assert service.process is not None
            if service.process.poll() is not None:
                click.echo(f"{service.name} завершился (код {service.process.returncode}).")
                return
        time.sleep(1)


def _stop(services: list[Service]) -> None:
    for service in reversed(services):
        proc = service.process
        if proc is None or proc.poll() is not None:
            continue
        os.killpg(proc.pid, service.stop_signal)
    for service in reversed(services):
        proc = service.process
        if proc is None:
            continue
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    click.echo("Все процессы остановлены.")
