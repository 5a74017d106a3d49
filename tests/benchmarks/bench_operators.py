"""Load test: operators working at once against the web app under gunicorn.

Each operator logs in, then repeats: search (surname prefix + birth date), open a
person card, save an edit of that person (a change request into the buffer).
Prints p50/p95 per action and the error count.

    .venv/bin/python -m tests.benchmarks.bench_operators --data-dir /tmp/bench1m \
        [--database-url postgresql+psycopg://…] [--operators 50] [--seconds 60]

The data directory must hold a region (`rserz generate-region`). Operators
op01…opNN (role ТФОМС) are created when missing.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path

import requests
from sqlalchemy import select

from register.db import make_engine, make_session_factory, transaction, upgrade
from register.models import BufferRequest, Person, User
from register.passwords import hash_password
from register.settings import PROJECT_ROOT

PASSWORD = "load-test-pass"
REASONS: dict[str, int] = defaultdict(int)


class FormFields(HTMLParser):
    """Name → value of the inputs, selects and text areas of the form with ``form_id``."""

    def __init__(self, form_id: str):
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.fields: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("id") == self.form_id or a.get("data-testid") == self.form_id
        if not self.inside or ("name" not in a and tag != "option"):
            return
        if tag == "input":
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields[a["name"]] = a.get("value", "on")
            elif kind not in ("submit", "button"):
                self.fields[a["name"]] = a.get("value", "")
        elif tag == "select":
            self._select = a["name"]
            self.fields.setdefault(self._select, "")
        elif tag == "option" and self._select and "selected" in a:
            self.fields[self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a["name"]
            self.fields[self._textarea] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.fields[self._textarea] += data


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(database_url: str, operators: int, persons_each: int) -> list[list[Person]]:
    """Create the operators; give each its own persons (so edits never collide)."""
    upgrade(database_url)
    factory = make_session_factory(make_engine(database_url))
    with transaction(factory) as s:
        digest = hash_password(PASSWORD)
        for n in range(1, operators + 1):
            login = f"op{n:02d}"
            if s.scalar(select(User.id).where(User.login == login)) is None:
                s.add(
                    User(
                        login=login,
                        full_name=f"Оператор {n}",
                        role="tfoms",
                        password_hash=digest,
                        is_active=True,
                        failed_logins=0,
                    )
                )
    with factory() as s:
        pending = select(BufferRequest.person_id).where(BufferRequest.person_id.is_not(None))
        rows = list(
            s.scalars(
                select(Person)
                .where(Person.status == "insured", Person.id.not_in(pending))
                .order_by(Person.id)
                .limit(operators * persons_each * 7)
            )
        )
    picked = rows[::7][: operators * persons_each]
    return [picked[i::operators] for i in range(operators)]


class Operator(threading.Thread):
    def __init__(
        self,
        base: str,
        login: str,
        persons: list[Person],
        deadline: float,
        think: tuple[float, float],
        timings: dict[str, list[float]],
        errors: dict[str, int],
        lock: threading.Lock,
    ):
        super().__init__(daemon=True)
        self.base, self.login, self.persons = base, login, persons
        self.deadline, self.think = deadline, think
        self.timings, self.errors, self.lock = timings, errors, lock
        self.http = requests.Session()
        self.rng = random.Random(login)

    def record(self, action: str, seconds: float, ok: bool) -> None:
        with self.lock:
            self.timings[action].append(seconds)
            if not ok:
                self.errors[action] += 1

    def timed(
        self, action: str, method: str, path: str, ok_text: str | None = None, **kw: object
    ) -> requests.Response | None:
        t0 = time.perf_counter()
        try:
            r = self.http.request(method, self.base + path, timeout=30, **kw)  # type: ignore[arg-type]
        except requests.RequestException as exc:
            self.record(action, time.perf_counter() - t0, False)
            with self.lock:
                REASONS[f"{action}: {exc.__class__.__name__}"] += 1
            return None
        ok = r.status_code < 400 and (ok_text is None or ok_text in r.text)
        self.record(action, time.perf_counter() - t0, ok)
        if not ok:
            reasons = re.findall(
                r'data-testid="(?:error-[^"]+|conflict|blocked)"[^>]*>([^<]+)', r.text
            )
            with self.lock:
                REASONS[
                    f"{action}: HTTP {r.status_code} {'; '.join(x.strip() for x in reasons)}"
                ] += 1
        return r

    def run(self) -> None:
        page = self.http.get(self.base + "/auth/login").text
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        assert token
        self.http.post(
            self.base + "/auth/login",
            data={"login": self.login, "password": PASSWORD, "csrf_token": token[1]},
        )
        n = 0
        while time.monotonic() < self.deadline:
            person = self.persons[n % len(self.persons)]
            n += 1
            query = urllib.parse.urlencode(
                {
                    "surname": person.surname[:4],
                    "birth_date": person.birth_date.strftime("%d.%m.%Y"),
                }
            )
            self.timed("поиск (ФИО + дата рождения)", "GET", f"/persons/?{query}", person.enp)
            self.pause()
            self.timed("карточка ЗЛ", "GET", f"/persons/{person.id}", person.enp)
            self.pause()
            form_page = self.http.get(self.base + f"/persons/{person.id}/edit")
            parser = FormFields("edit-form")
            parser.feed(form_page.text)
            fields = parser.fields
            fields["phone"] = f"+7 900 {self.rng.randint(100, 999)}-{self.rng.randint(10, 99)}-00"
            self.timed(
                "сохранение изменения",
                "POST",
                f"/persons/{person.id}/edit",
                "Запрос №",
                data=fields,
            )
            self.pause()

    def pause(self) -> None:
        time.sleep(self.rng.uniform(*self.think))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--database-url")
    parser.add_argument("--operators", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument(
        "--think",
        type=float,
        nargs=2,
        default=(0.5, 1.5),
        help="pause between actions, seconds (min max)",
    )
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()

    database_url = args.database_url or f"sqlite:///{args.data_dir / 'rserz.sqlite'}"
    per_operator = prepare(database_url, args.operators, persons_each=200)
    port = _free_port()
    env = {**os.environ, "RSERZ_DATA_DIR": str(args.data_dir), "RSERZ_DATABASE_URL": database_url}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--threads",
            str(args.threads),
            "--worker-class",
            "gthread",
            "webapp.wsgi:app",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                requests.get(base + "/auth/login", timeout=2)
                break
            except requests.RequestException:
                time.sleep(0.5)
        timings: dict[str, list[float]] = defaultdict(list)
        errors: dict[str, int] = defaultdict(int)
        lock = threading.Lock()
        deadline = time.monotonic() + args.seconds
        operators = [
            Operator(
                base,
                f"op{i + 1:02d}",
                per_operator[i],
                deadline,
                tuple(args.think),
                timings,
                errors,
                lock,
            )
            for i in range(args.operators)
        ]
        started = time.monotonic()
        for op in operators:
            op.start()
        for op in operators:
            op.join()
        elapsed = time.monotonic() - started
    finally:
        server.terminate()
        server.wait(30)

    print(f"База: {make_engine(database_url).url.render_as_string(hide_password=True)}")
    print(
        f"Операторов: {args.operators}, {elapsed:.0f} с, gunicorn {args.workers}×{args.threads}, "
        f"пауза {args.think[0]}–{args.think[1]} с"
    )
    total = 0
    for action, samples in timings.items():
        ordered = sorted(samples)
        total += len(ordered)
        p50 = statistics.median(ordered) * 1000
        p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1000
        print(
            f"{action:30} n={len(ordered):5}  p50 {p50:7.1f} мс  p95 {p95:7.1f} мс  "
            f"ошибок {errors[action]}"
        )
    print(
        f"Всего действий: {total} ({total / elapsed:.1f} в секунду), ошибок: {sum(errors.values())}"
    )
    for reason, count in sorted(REASONS.items(), key=lambda kv: -kv[1])[:10]:
        print(f"  {count} × {reason}")


if __name__ == "__main__":
    main()
