"""`rserz` — the platform's command line for people and scripts.

Each command calls the same library functions as the Dagster assets and the
web app; none holds business rules of its own.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
from pathlib import Path

import click

from register.settings import PROJECT_ROOT, Settings, load_settings


def _settings() -> Settings:
    settings = load_settings()
    os.environ.setdefault("DAGSTER_HOME", str(settings.dagster_home))
    os.environ.setdefault("RSERZ_WAREHOUSE_PATH", str(settings.warehouse_path))
    return settings


@click.group(help="РС ЕРЗ — регистр застрахованных лиц: командная строка платформы.")
def main() -> None:
    pass


@main.command(help="Создать каталог данных, базу данных (миграции) и справочники.")
@click.option("--demo-users/--no-demo-users", default=False, help="Создать демо-пользователей.")
def init(demo_users: bool) -> None:
    settings = _settings()
    initialise(settings)
    if demo_users:
        _create_demo_users(settings)
    click.echo(f"Каталог данных: {settings.data_dir}")
    click.echo(f"База данных: {_safe_url(settings.database_url)}")


def initialise(settings: Settings) -> None:
    """Idempotent set-up of the data directory, the database and the Dagster instance."""
    from register.db import make_engine, make_session_factory, transaction, upgrade
    from register.reference import seed_reference_books

    settings.ensure_dirs()
    dagster_yaml = settings.dagster_home / "dagster.yaml"
    shutil.copyfile(PROJECT_ROOT / "dagster.yaml", dagster_yaml)
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    with transaction(make_session_factory(engine)) as session:
        seed_reference_books(session)
    engine.dispose()


def _create_demo_users(settings: Settings) -> list[str]:
    from register.db import make_engine, make_session_factory, transaction
    from synthetic.users import create_demo_users

    engine = make_engine(settings.database_url)
    with transaction(make_session_factory(engine)) as session:
        created = create_demo_users(session)
    engine.dispose()
    return created


@main.command("create-user", help="Создать пользователя (пароль запрашивается).")
@click.option("--login", required=True)
@click.option("--full-name", required=True, help="ФИО пользователя.")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["tfoms", "smo", "mo", "statistician", "admin"]),
)
@click.option("--smo", "smo_code", help="Код СМО (для роли smo).")
@click.option("--mo", "mo_code", help="Код МО (для роли mo).")
@click.password_option(help="Пароль (не короче 8 символов).")
def create_user_cmd(
    login: str, full_name: str, role: str, smo_code: str | None, mo_code: str | None, password: str
) -> None:
    from register.db import make_engine, make_session_factory, transaction
    from register.users import UserError, create_user

    settings = _settings()
    engine = make_engine(settings.database_url)
    try:
        with transaction(make_session_factory(engine)) as session:
            create_user(
                session,
                login=login,
                full_name=full_name,
                role=role,
                password=password,
                smo_code=smo_code,
                mo_code=mo_code,
            )
    except UserError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Пользователь {login} создан.")


@main.command("generate-region", help="Сгенерировать синтетический регион в пустую базу.")
@click.option("--persons", default=50_000, show_default=True, help="Число застрахованных.")
@click.option("--seed", default=1, show_default=True, help="Зерно генератора.")
@click.option("--workers", default=2, show_default=True, help="Процессов генерации.")
def generate_region_cmd(persons: int, seed: int, workers: int) -> None:
    settings = _settings()
    initialise(settings)
    summary = generate_demo_region(settings, persons=persons, seed=seed, workers=workers)
    click.echo(summary)


def generate_demo_region(settings: Settings, *, persons: int, seed: int, workers: int) -> str:
    """The synthetic region, its package files and the demo users."""
    from synthetic.load import generate_region
    from synthetic.region_packages import write_region_packages

    try:
        summary = generate_region(
            settings.database_url,
            persons=persons,
            seed=seed,
            region_code=settings.region_code,
            workers=workers,
            out_dir=settings.demo_packages_dir,
        )
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from exc
    packages = write_region_packages(
        settings.database_url,
        settings.demo_packages_dir,
        region_code=settings.region_code,
        seed=seed,
    )
    _create_demo_users(settings)
    files = ", ".join(p.path.name for p in packages)
    return f"{summary}\nФайлы пакетов ({settings.demo_packages_dir}): {files}"


@main.command(help="Выгрузить изменения регистра в хранилище, построить и опубликовать срез.")
@click.option(
    "--date",
    "snapshot_date",
    type=click.DateTime(formats=["%Y-%m-%d", "%d.%m.%Y"]),
    help="Дата среза (1-е число месяца); по умолчанию — 1-е число текущего месяца.",
)
def pipeline(snapshot_date: dt.datetime | None) -> None:
    _settings()
    from dagster import DagsterInstance

    from orchestration.materialize_all import materialize_pipeline

    try:
        ok = materialize_pipeline(
            snapshot_date.date() if snapshot_date else None, instance=DagsterInstance.get()
        )
    except ValueError as exc:  # a date that is not a month partition: message in Russian
        raise click.ClickException(str(exc)) from exc
    if not ok:
        raise click.ClickException("Конвейер завершился с ошибкой — см. Dagster UI")
    click.echo("Срез построен и опубликован.")


@main.command("serve-web", help="Запустить веб-приложение (gunicorn).")
@click.option("--workers", default=2, show_default=True)
def serve_web(workers: int) -> None:
    settings = _settings()
    os.execvp(sys.executable, _web_command(settings, workers))


def _web_command(settings: Settings, workers: int = 2) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"{settings.host}:{settings.web_port}",
        "--workers",
        str(workers),
        "--threads",
        "4",
        "--access-logfile",
        "-",
        "webapp.wsgi:app",
    ]


@main.command("ferzl-emulator", help="Запустить эмулятор центрального сегмента (ФЕРЗЛ).")
@click.option(
    "--faults",
    envvar="RSERZ_FERZL_FAULTS",
    help="Сбои ответов: delay=<с>,duplicate=<n>,reorder,malformed=<n>,unknown=<n>.",
)
@click.option("--poll", default=0.5, show_default=True, help="Опрос каталога пакетов, с.")
@click.option(
    "--other-regions",
    default=5_000,
    show_default=True,
    help="Лиц других регионов при первом заполнении.",
)
@click.option("--no-answer", is_flag=True, help="Только поиск (HTTP), пакеты не обрабатывать.")
def ferzl_emulator(faults: str | None, poll: float, other_regions: int, no_answer: bool) -> None:
    from ferzl.emulator.faults import parse_faults
    from ferzl.emulator.seed import SeedError
    from ferzl.emulator.server import serve

    settings = _settings()
    try:
        parsed = parse_faults(faults)
    except ValueError as exc:
        raise click.ClickException(f"--faults: {exc}") from exc
    settings.ensure_dirs()
    try:
        serve(
            settings,
            faults=parsed,
            poll=poll,
            other_regions=other_regions,
            answer=not no_answer,
        )
    except SeedError as exc:
        raise click.ClickException(str(exc)) from exc


@main.command(help="Поднять всю платформу на встроенных настройках с демо-регионом.")
@click.option("--persons", default=50_000, show_default=True, help="Размер демо-региона.")
@click.option("--seed", default=1, show_default=True)
@click.option("--no-start", is_flag=True, help="Только подготовить данные, не запускать процессы.")
def demo(persons: int, seed: int, no_start: bool) -> None:
    from rserz.demo import run_demo

    try:
        run_demo(_settings(), persons=persons, seed=seed, start=not no_start)
    except KeyboardInterrupt:
        click.echo("Прервано.")
        sys.exit(130)


@main.command("bench-search", help="Замерить поиск по регистру (p50/p95, мс).")
@click.option("--repeat", default=200, show_default=True, help="Запросов каждого вида.")
def bench_search(repeat: int) -> None:
    from rserz.bench import run_search_benchmark

    for line in run_search_benchmark(_settings().database_url, repeat=repeat):
        click.echo(line)


def _register_sessions(settings: Settings):  # type: ignore[no-untyped-def]
    """A session factory on the operational database, or a Russian error when there is none."""
    from sqlalchemy import inspect

    from register.db import make_engine, make_session_factory

    url = settings.database_url
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        raise click.ClickException(
            f"Оперативной базы нет ({_safe_url(url)}): выполните «rserz init»."
        )
    engine = make_engine(url)
    try:
        migrated = inspect(engine).has_table("exchange_batch")
    except Exception as exc:
        engine.dispose()
        raise click.ClickException(
            f"Оперативная база недоступна ({_safe_url(url)}): {exc}"
        ) from exc
    if not migrated:
        engine.dispose()
        raise click.ClickException(
            "Оперативная база не обновлена до текущей версии: выполните «rserz init»."
        )
    return engine, make_session_factory(engine)


@main.command(
    "send-batches",
    help="Отправить запросы буфера в ФЕРЗЛ: пакеты .uprmes в исходящую папку "
    "(то же делает сенсор Dagster).",
)
@click.option("--max-batches", type=int, default=None, help="Не больше стольких пакетов.")
def send_batches(max_batches: int | None) -> None:
    from ferzl.sender import send_queued

    settings = _settings()
    engine, factory = _register_sessions(settings)
    try:
        report = send_queued(factory, settings, max_batches=max_batches)
    finally:
        engine.dispose()
    for name in report.batches:
        click.echo(name)
    click.echo(report.text())


@main.command(
    "ingest-answers",
    help="Принять квитанции и ответы ФЕРЗЛ (.uprak1/.uprak2) из входящей папки "
    "(то же делает сенсор Dagster).",
)
@click.option(
    "--warehouse/--no-warehouse",
    default=True,
    show_default=True,
    help="Записать ответы и в хранилище (raw.ferzl_answer).",
)
def ingest_answers(warehouse: bool) -> None:
    from ferzl.answer_ingest import IngestResult, ingest_pending
    from warehouse.connection import WarehouseBusyError
    from warehouse.exchange_answers import load_answers

    settings = _settings()
    not_loaded: list[str] = []

    def each(result: IngestResult) -> None:
        click.echo(result.text())
        if not (warehouse and result.raw):
            return
        try:
            load_answers(settings.warehouse_path, result.sha256, result.file_name, result.raw)
        except WarehouseBusyError as exc:
            not_loaded.append(f"{result.file_name}: в хранилище не записан — {exc}")

    engine, factory = _register_sessions(settings)
    try:
        results, failures = ingest_pending(factory, settings, after_each=each)
    finally:
        engine.dispose()
    click.echo(f"Файлов обработано: {len(results)}")
    for line in failures + not_loaded:
        click.echo(line, err=True)
    if failures or not_loaded:
        raise click.ClickException(
            "Не всё принято: необработанные файлы остались во входящей папке и будут "
            "прочитаны следующим запуском. Чтобы записать в хранилище ответы файла из "
            "inbound/done/, верните файл во входящую папку: буфер он не изменит."
        )


def _safe_url(url: str) -> str:
    """The URL without a password, for the console."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':')[0]}:***@{host}" if ":" in creds else url
    return url


if __name__ == "__main__":
    main()
