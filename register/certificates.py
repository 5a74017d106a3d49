"""Login by electronic signature (ЭП): the certificate verified by the TLS proxy → a user.

The reverse proxy terminates GOST TLS and verifies the client certificate; the
app receives the certificate's thumbprint and subject and maps them to the user
an administrator bound the certificate to.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from register.audit import audit
from register.models import User, utcnow
from register.snils import normalize_snils
from register.users import LoginResult

# СНИЛС in a qualified certificate's subject: "SNILS=…" or its OID 1.2.643.100.3.
_SNILS_IN_SUBJECT = re.compile(r"(?:SNILS|1\.2\.643\.100\.3)\s*=\s*([0-9 \-]{11,14})", re.I)
_HEX = re.compile(r"^[0-9A-F]{40}$|^[0-9A-F]{64}$")


def normalize_thumbprint(value: str | None) -> str | None:
    """Upper-case hex without separators; None unless it is a SHA-1 or SHA-256/ГОСТ digest."""
    if not value:
        return None
    cleaned = re.sub(r"[\s:]", "", value).upper()
    return cleaned if _HEX.match(cleaned) else None


def snils_from_subject(subject: str | None) -> str | None:
    """The СНИЛС written in a certificate subject, as 11 digits."""
    if not subject:
        return None
    match = _SNILS_IN_SUBJECT.search(subject)
    if not match:
        return None
    snils = normalize_snils(match.group(1))
    return snils if snils and len(snils) == 11 and snils.isdigit() else None


def authenticate_certificate(
    session: Session,
    *,
    thumbprint: str | None,
    subject: str | None,
    remote_addr: str | None = None,
) -> LoginResult:
    """The user bound to this certificate, if the administrator enabled ЭП login for them."""
    print_ = normalize_thumbprint(thumbprint)
    snils = snils_from_subject(subject)
    user = None
    if print_:
        user = session.scalar(select(User).where(User.cert_thumbprint == print_))
    if user is None and snils:
        user = session.scalar(select(User).where(User.cert_snils == snils))
    details = {"thumbprint": print_, "snils": snils}
    if user is None:
        audit(session, None, "login_cert_failed", "user", None, details, remote_addr)
        return LoginResult(None, "Сертификат не привязан ни к одному пользователю")
    if not user.is_active or not user.cert_login_enabled:
        audit(session, user, "login_cert_failed", "user", user.id, details, remote_addr)
        return LoginResult(None, "Вход по электронной подписи для пользователя не разрешён")
    user.last_login_at = utcnow()
    audit(session, user, "login_cert", "user", user.id, details, remote_addr)
    return LoginResult(user)
