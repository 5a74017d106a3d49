"""ЭП login mapping, user administration and the audit review query."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from register.audit import AuditQuery, search_audit
from register.certificates import (
    authenticate_certificate,
    normalize_thumbprint,
    snils_from_subject,
)
from register.db import transaction
from register.models import AuditLog
from register.roles import ADMIN, AccessDenied
from register.users import UserError, authenticate, bind_certificate, set_password, update_user
from tests.factories import make_user, user

PRINT = "a1:b2:c3:d4:e5:f6:07:18:29:3a:4b:5c:6d:7e:8f:90:a1:b2:c3:d4"


def test_thumbprint_and_subject_parsing() -> None:
    assert normalize_thumbprint(PRINT) == "A1B2C3D4E5F60718293A4B5C6D7E8F90A1B2C3D4"
    assert normalize_thumbprint("abc") is None and normalize_thumbprint(None) is None
    assert snils_from_subject("CN=Иванов,SNILS=112-233-445 95,O=ТФОМС") == "11223344595"
    assert snils_from_subject("CN=X,1.2.643.100.3=11223344595") == "11223344595"
    assert snils_from_subject("CN=X") is None


@pytest.fixture
def admin_region(region: sessionmaker[Session]) -> sessionmaker[Session]:
    with transaction(region) as s:
        make_user(s, "root", ADMIN)
    return region


def test_certificate_login_needs_binding_and_enabling(admin_region: sessionmaker[Session]) -> None:
    factory = admin_region
    with transaction(factory) as s:
        result = authenticate_certificate(s, thumbprint=PRINT, subject="CN=x")
        assert result.user is None and "не привязан" in (result.message or "")
    with transaction(factory) as s:
        bind_certificate(
            s, user(s, "root"), user(s, "tfoms").id, thumbprint=PRINT, snils=None, enabled=False
        )
    with transaction(factory) as s:
        result = authenticate_certificate(s, thumbprint=PRINT, subject="CN=x")
        assert result.user is None and "не разрешён" in (result.message or "")
    with transaction(factory) as s:
        bind_certificate(
            s,
            user(s, "root"),
            user(s, "tfoms").id,
            thumbprint=PRINT,
            snils="112-233-445 95",
            enabled=True,
        )
    with transaction(factory) as s:
        assert authenticate_certificate(s, thumbprint=PRINT, subject="").user is not None
        # A renewed certificate (new thumbprint) still maps by the СНИЛС in its subject.
        renewed = authenticate_certificate(
            s, thumbprint="F" * 40, subject="CN=Петрова,SNILS=11223344595"
        )
        assert renewed.user is not None and renewed.user.login == "tfoms"
    with factory() as s:
        actions = list(s.scalars(select(AuditLog.action)))
        assert actions.count("login_cert_failed") == 2 and actions.count("login_cert") == 2


def test_binding_refusals(admin_region: sessionmaker[Session]) -> None:
    with transaction(admin_region) as s:
        bind_certificate(
            s, user(s, "root"), user(s, "tfoms").id, thumbprint=PRINT, snils=None, enabled=True
        )
    cases = [
        ({"thumbprint": "xyz", "snils": None, "enabled": True}, "Отпечаток"),
        ({"thumbprint": None, "snils": "112-233-445 96", "enabled": True}, "СНИЛС"),
        ({"thumbprint": None, "snils": None, "enabled": True}, "укажите"),
        ({"thumbprint": PRINT, "snils": None, "enabled": True}, "уже привязан"),
    ]
    for kwargs, message in cases:
        with pytest.raises(UserError, match=message), transaction(admin_region) as s:
            bind_certificate(s, user(s, "root"), user(s, "smo1").id, **kwargs)
    with pytest.raises(AccessDenied), transaction(admin_region) as s:
        bind_certificate(
            s, user(s, "tfoms"), user(s, "smo1").id, thumbprint=None, snils=None, enabled=False
        )


def test_admin_edits_role_and_password(admin_region: sessionmaker[Session]) -> None:
    with transaction(admin_region) as s:
        target = user(s, "smo1")
        update_user(
            s,
            user(s, "root"),
            target.id,
            full_name="Новое ФИО",
            role="mo",
            smo_code="50001",
            mo_code="500001",
            is_active=True,
        )
        assert (target.role, target.smo_code, target.mo_code) == ("mo", None, "500001")
        set_password(s, user(s, "root"), target.id, "new-password-1")
    with transaction(admin_region) as s:
        assert authenticate(s, "smo1", "new-password-1").user is not None
    with pytest.raises(UserError, match="СМО"), transaction(admin_region) as s:
        update_user(
            s,
            user(s, "root"),
            user(s, "smo2").id,
            full_name="X",
            role="smo",
            smo_code=None,
            mo_code=None,
            is_active=True,
        )
    with admin_region() as s:
        rows, _ = search_audit(s, user(s, "tfoms"), AuditQuery(action="user.update"))
        assert len(rows) == 1 and rows[0].details["after"]["role"] == "mo"
        rows, _ = search_audit(s, user(s, "tfoms"), AuditQuery(user_login="SMO1"))
        assert [r.action for r in rows] == ["login"]
        with pytest.raises(AccessDenied):
            search_audit(s, user(s, "root"), AuditQuery())
