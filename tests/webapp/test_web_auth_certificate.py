"""Login by electronic signature: the TLS proxy's verdict is believed only from the proxy itself."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from register.db import make_engine, make_session_factory, transaction
from register.models import AuditLog, User
from register.roles import ADMIN
from register.users import bind_certificate
from tests.webapp.support import csrf_token, seed_region
from webapp import create_app

PROXY = "10.0.0.5"
#: nginx's $ssl_client_fingerprint: SHA-1, lower-case hex without separators.
PRINT = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4"
OTHER_PRINT = "ffffffffffffffffffffffffffffffffffffffff"
SUBJECT = "CN=Петрова Ольга Ивановна,SNILS=11223344595,O=ТФОМС,C=RU"


def verified(thumbprint: str = PRINT, subject: str = SUBJECT) -> dict[str, str]:
    return {
        "X-SSL-Client-Verify": "SUCCESS",
        "X-SSL-Client-Fingerprint": thumbprint,
        "X-SSL-Client-S-DN": subject,
    }


@pytest.fixture
def database(sqlite_url: str) -> str:
    """The seeded region; «tfoms» has its certificate bound and ЭП login enabled, «mo» a
    certificate bound but ЭП login not enabled."""
    engine = make_engine(sqlite_url)
    with transaction(make_session_factory(engine)) as s:
        seed_region(s)
        admin = s.scalars(select(User).where(User.role == ADMIN)).one()
        for login, thumbprint, enabled in (("tfoms", PRINT, True), ("mo", OTHER_PRINT, False)):
            target = s.scalars(select(User).where(User.login == login)).one()
            bind_certificate(
                s, admin, target.id, thumbprint=thumbprint, snils=None, enabled=enabled
            )
    engine.dispose()
    return sqlite_url


@pytest.fixture
def make_app(tmp_path: Path, database: str) -> Iterator[Callable[..., Flask]]:
    made: list[Flask] = []

    def make(**config: Any) -> Flask:
        app = create_app(
            {
                "TESTING": True,
                "RSERZ_DATA_DIR": str(tmp_path / "data"),
                "RSERZ_DATABASE_URL": database,
                **config,
            }
        )
        made.append(app)
        return app

    yield make
    for app in made:
        app.extensions["rserz_db"].engine.dispose()


def client_at(app: Flask, address: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def post_certificate(client: FlaskClient, headers: dict[str, str], next_: str | None = None) -> Any:
    page = client.get("/auth/login", query_string={"mode": "cert"})
    return client.post(
        "/auth/login/certificate",
        query_string={"next": next_} if next_ else None,
        data={"csrf_token": csrf_token(page.text)},
        headers=headers,
    )


def attempts(app: Flask) -> list[AuditLog]:
    with app.extensions["rserz_db"].session_factory() as s:
        return list(
            s.scalars(
                select(AuditLog)
                .where(AuditLog.action.in_(("login_cert", "login_cert_failed")))
                .order_by(AuditLog.id)
            )
        )


def test_login_page_offers_both_ways(make_app: Callable[..., Flask]) -> None:
    client = make_app(RSERZ_CERT_PROXIES=PROXY).test_client()
    page = client.get("/auth/login", query_string={"next": "/buffer/"}).text
    assert 'data-testid="password-login-form"' in page
    assert 'href="/auth/login?mode=cert&amp;next=/buffer/"' in page
    cert = client.get("/auth/login", query_string={"mode": "cert"}).text
    assert 'data-testid="cert-login-form"' in cert and 'action="/auth/login/certificate"' in cert
    assert 'data-testid="password-login-form"' not in cert
    assert "Вход по ЭП не настроен" not in cert


def test_success_from_the_configured_proxy(make_app: Callable[..., Flask]) -> None:
    app = make_app(RSERZ_CERT_PROXIES=f"192.168.0.0/24, {PROXY}")
    client = client_at(app, PROXY)
    response = post_certificate(client, verified(), next_="/buffer/")
    assert response.status_code == 302
    assert response.location == "/buffer/"
    # The same session as after a password: idle timeout, the user's name in the top bar.
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if "rserz_session=" in h)
    assert "Expires=" in cookie and "HttpOnly" in cookie
    page = client.get("/")
    assert page.status_code == 200 and "Петрова Ольга Ивановна" in page.text
    (row,) = attempts(app)
    assert (row.action, row.user_login, row.remote_addr) == ("login_cert", "tfoms", PROXY)
    assert row.details == {"thumbprint": PRINT.upper(), "snils": "11223344595"}


def test_renewed_certificate_maps_by_the_snils_in_its_subject(
    make_app: Callable[..., Flask], database: str
) -> None:
    app = make_app(RSERZ_CERT_PROXIES=PROXY)
    with transaction(app.extensions["rserz_db"].session_factory) as s:
        target = s.scalars(select(User).where(User.login == "tfoms")).one()
        target.cert_snils = "11223344595"
    response = post_certificate(client_at(app, PROXY), verified(thumbprint="0" * 40))
    assert response.status_code == 302


def test_headers_from_another_address_are_refused(make_app: Callable[..., Flask]) -> None:
    app = make_app(RSERZ_CERT_PROXIES=PROXY)
    client = client_at(app, "10.0.0.99")
    response = post_certificate(client, verified())
    assert response.status_code == 403
    assert "только через защищённый шлюз" in response.text
    assert client.get("/").status_code == 302
    (row,) = attempts(app)
    assert row.action == "login_cert_failed" and row.user_id is None
    assert row.details == {"reason": "untrusted_peer", "peer": "10.0.0.99"}


def test_forwarded_for_cannot_impersonate_the_proxy(make_app: Callable[..., Flask]) -> None:
    # Behind ProxyFix request.remote_addr is the X-Forwarded-For address: a client that
    # writes the proxy's address there is still not the proxy.
    app = make_app(RSERZ_CERT_PROXIES=PROXY, RSERZ_TRUSTED_PROXIES="1")
    client = client_at(app, "203.0.113.7")
    response = post_certificate(client, {**verified(), "X-Forwarded-For": PROXY})
    assert response.status_code == 403
    assert attempts(app)[-1].details == {"reason": "untrusted_peer", "peer": "203.0.113.7"}


def test_through_the_proxy_the_client_address_is_audited(make_app: Callable[..., Flask]) -> None:
    app = make_app(RSERZ_CERT_PROXIES=PROXY, RSERZ_TRUSTED_PROXIES="1")
    client = client_at(app, PROXY)
    response = post_certificate(client, {**verified(), "X-Forwarded-For": "198.51.100.20"})
    assert response.status_code == 302
    assert attempts(app)[-1].remote_addr == "198.51.100.20"


@pytest.mark.parametrize(
    ("verify", "text", "reason"),
    [
        (
            "FAILED:certificate has expired",
            "не прошёл проверку на защищённом шлюзе: certificate has expired",
            "not_verified",
        ),
        ("FAILED", "не прошёл проверку", "not_verified"),
        ("NONE", "Сертификат не предъявлен", "no_certificate"),
        (None, "Сертификат не предъявлен", "no_certificate"),
    ],
)
def test_unverified_certificate_is_refused(
    make_app: Callable[..., Flask], verify: str | None, text: str, reason: str
) -> None:
    app = make_app(RSERZ_CERT_PROXIES=PROXY)
    headers = verified()
    if verify is None:
        del headers["X-SSL-Client-Verify"]
    else:
        headers["X-SSL-Client-Verify"] = verify
    client = client_at(app, PROXY)
    response = post_certificate(client, headers)
    assert response.status_code == 403
    assert text in response.text
    assert client.get("/").status_code == 302
    assert attempts(app)[-1].details == {"reason": reason, "peer": PROXY}


@pytest.mark.parametrize("thumbprint", [None, "", "xyz", "a1b2c3"])
def test_missing_or_invalid_thumbprint_is_refused(
    make_app: Callable[..., Flask], thumbprint: str | None
) -> None:
    app = make_app(RSERZ_CERT_PROXIES=PROXY)
    headers = verified()
    if thumbprint is None:
        del headers["X-SSL-Client-Fingerprint"]
    else:
        headers["X-SSL-Client-Fingerprint"] = thumbprint
    response = post_certificate(client_at(app, PROXY), headers)
    assert response.status_code == 403
    assert "Не удалось прочитать отпечаток сертификата" in response.text
    assert attempts(app)[-1].details == {"reason": "no_thumbprint", "peer": PROXY}


def test_certificate_not_bound_or_not_enabled_is_refused(make_app: Callable[..., Flask]) -> None:
    app = make_app(RSERZ_CERT_PROXIES=PROXY)
    unknown = post_certificate(
        client_at(app, PROXY), verified(thumbprint="1" * 40, subject="CN=Кто-то")
    )
    assert unknown.status_code == 403
    assert "Сертификат не привязан ни к одному пользователю" in unknown.text
    not_enabled = post_certificate(client_at(app, PROXY), verified(thumbprint=OTHER_PRINT))
    assert "Вход по электронной подписи для пользователя не разрешён" in not_enabled.text
    with transaction(app.extensions["rserz_db"].session_factory) as s:
        s.scalars(select(User).where(User.login == "tfoms")).one().is_active = False
    inactive = post_certificate(client_at(app, PROXY), verified())
    assert "не разрешён" in inactive.text
    assert [r.action for r in attempts(app)] == ["login_cert_failed"] * 3


def test_without_configured_proxies_the_headers_are_ignored(
    make_app: Callable[..., Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RSERZ_CERT_PROXIES", raising=False)
    app = make_app()
    client = client_at(app, "127.0.0.1")
    page = client.get("/auth/login", query_string={"mode": "cert"}).text
    assert 'data-testid="cert-login-disabled"' in page and "Вход по ЭП не настроен" in page
    button = re.search(r'<input[^>]*data-testid="cert-login-submit"[^>]*>', page)
    assert button and " disabled" in button.group(0)
    response = post_certificate(client, verified())
    assert response.status_code == 403
    assert "Вход по ЭП не настроен" in response.text
    assert client.get("/").status_code == 302
    assert attempts(app) == []


def test_header_names_are_configurable(make_app: Callable[..., Flask]) -> None:
    app = make_app(
        RSERZ_CERT_PROXIES=PROXY,
        RSERZ_CERT_HEADER_VERIFY="X-Client-Verify",
        RSERZ_CERT_HEADER_FINGERPRINT="X-Client-Cert-Hash",
        RSERZ_CERT_HEADER_SUBJECT="X-Client-DN",
    )
    # The default names mean nothing now.
    assert post_certificate(client_at(app, PROXY), verified()).status_code == 403
    headers = {"X-Client-Verify": "SUCCESS", "X-Client-Cert-Hash": PRINT, "X-Client-DN": SUBJECT}
    assert post_certificate(client_at(app, PROXY), headers).status_code == 302


def test_certificate_login_needs_the_csrf_token(make_app: Callable[..., Flask]) -> None:
    app = make_app(RSERZ_CERT_PROXIES=PROXY)
    client = client_at(app, PROXY)
    response = client.post("/auth/login/certificate", headers=verified())
    assert response.status_code == 302
    assert "Сеанс истёк или форма устарела" in client.get(response.location).text
    assert client.get("/").status_code == 302
    assert attempts(app) == []


def test_a_malformed_proxy_list_stops_the_start(make_app: Callable[..., Flask]) -> None:
    with pytest.raises(ValueError, match=r"RSERZ_CERT_PROXIES: 'nginx\.local'"):
        make_app(RSERZ_CERT_PROXIES="10.0.0.5, nginx.local")
