"""Login by electronic signature (ЭП): what the TLS proxy says about the client certificate.

GOST TLS is terminated by a reverse proxy (nginx built with GOST support, a
КриптоПро-based gateway …) that verifies the client certificate and passes its
verdict, thumbprint and subject to the app in request headers. Any client can send
such headers, so the app believes them only when the TCP peer — the immediate one,
never an address taken from X-Forwarded-For — is one of the configured proxies.

Settings (environment or the app's config):

- ``RSERZ_CERT_PROXIES`` — comma-separated addresses/networks of the proxies; empty
  (the default) switches ЭП login off;
- ``RSERZ_CERT_HEADER_VERIFY`` (``X-SSL-Client-Verify``, must be ``SUCCESS``),
  ``RSERZ_CERT_HEADER_FINGERPRINT`` (``X-SSL-Client-Fingerprint``),
  ``RSERZ_CERT_HEADER_SUBJECT`` (``X-SSL-Client-S-DN``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network
from typing import Any

from flask import Flask, current_app

from register.certificates import normalize_thumbprint

SETTINGS_KEY = "RSERZ_CERT_LOGIN"

DEFAULT_HEADERS = {
    "RSERZ_CERT_HEADER_VERIFY": "X-SSL-Client-Verify",
    "RSERZ_CERT_HEADER_FINGERPRINT": "X-SSL-Client-Fingerprint",
    "RSERZ_CERT_HEADER_SUBJECT": "X-SSL-Client-S-DN",
}

NOT_CONFIGURED = "Вход по ЭП не настроен. Обратитесь к администратору."
NOT_FROM_PROXY = (
    "Вход по ЭП возможен только через защищённый шлюз ТФОМС, проверяющий сертификаты. "
    "Откройте адрес для входа по ЭП, который сообщил администратор."
)
NO_CERTIFICATE = "Сертификат не предъявлен. Подключите носитель ключа ЭП и повторите вход."
NOT_VERIFIED = "Сертификат не прошёл проверку на защищённом шлюзе"
NO_THUMBPRINT = "Не удалось прочитать отпечаток сертификата: вход по ЭП отклонён"

Network = IPv4Network | IPv6Network


@dataclass(frozen=True)
class CertLoginSettings:
    proxies: tuple[Network, ...]
    verify_header: str
    fingerprint_header: str
    subject_header: str

    @property
    def enabled(self) -> bool:
        return bool(self.proxies)

    def trusts(self, peer: str | None) -> bool:
        """Whether the TCP peer is one of the configured proxies."""
        if not peer:
            return False
        try:
            address = ip_address(peer)
        except ValueError:
            return False
        return any(address in network for network in self.proxies)


def parse_proxies(value: str) -> tuple[Network, ...]:
    """``"10.0.0.5, 192.168.10.0/24"`` → networks; ValueError naming a bad item."""
    networks: list[Network] = []
    for item in value.split(","):
        item = item.strip()
        if not item:
            continue
        try:
            networks.append(ip_network(item, strict=False))
        except ValueError:
            raise ValueError(
                f"RSERZ_CERT_PROXIES: {item!r} is neither an IP address nor a network"
            ) from None
    return tuple(networks)


def init_app(app: Flask) -> None:
    """Read the settings once; a malformed proxy list stops the start-up with its reason."""

    def value(name: str, default: str) -> str:
        configured = app.config.get(name)
        return str(configured if configured is not None else os.environ.get(name, default))

    app.config[SETTINGS_KEY] = CertLoginSettings(
        proxies=parse_proxies(value("RSERZ_CERT_PROXIES", "")),
        verify_header=value(
            "RSERZ_CERT_HEADER_VERIFY", DEFAULT_HEADERS["RSERZ_CERT_HEADER_VERIFY"]
        ),
        fingerprint_header=value(
            "RSERZ_CERT_HEADER_FINGERPRINT", DEFAULT_HEADERS["RSERZ_CERT_HEADER_FINGERPRINT"]
        ),
        subject_header=value(
            "RSERZ_CERT_HEADER_SUBJECT", DEFAULT_HEADERS["RSERZ_CERT_HEADER_SUBJECT"]
        ),
    )


def cert_settings() -> CertLoginSettings:
    return current_app.config[SETTINGS_KEY]


def peer_address(environ: Mapping[str, Any]) -> str | None:
    """The TCP peer as the WSGI server saw it.

    ProxyFix (``RSERZ_TRUSTED_PROXIES``) replaces ``REMOTE_ADDR`` with the client's
    address from X-Forwarded-For and keeps the original aside; the proxy check needs
    the original — the X-Forwarded-For value is whatever the client wrote.
    """
    original = environ.get("werkzeug.proxy_fix.orig")
    if isinstance(original, Mapping):
        return original.get("REMOTE_ADDR")
    return environ.get("REMOTE_ADDR")


@dataclass(frozen=True)
class ProxyVerdict:
    """The certificate as the proxy presented it, or why it is refused before any look-up."""

    thumbprint: str | None = None
    subject: str | None = None
    refusal: str | None = None  # for the user, in Russian
    reason: str | None = None  # for the audit log
    peer: str | None = None


def read_verdict(
    settings: CertLoginSettings, environ: Mapping[str, Any], headers: Mapping[str, str]
) -> ProxyVerdict:
    """Check where the request came from and what the proxy says; headers of anyone else are
    ignored."""
    peer = peer_address(environ)
    if not settings.enabled:
        return ProxyVerdict(refusal=NOT_CONFIGURED, reason="not_configured", peer=peer)
    if not settings.trusts(peer):
        return ProxyVerdict(refusal=NOT_FROM_PROXY, reason="untrusted_peer", peer=peer)
    verify = (headers.get(settings.verify_header) or "").strip()
    if verify in ("", "NONE"):
        return ProxyVerdict(refusal=NO_CERTIFICATE, reason="no_certificate", peer=peer)
    if verify != "SUCCESS":
        # nginx: "FAILED:<the OpenSSL reason>", e.g. "FAILED:certificate has expired".
        detail = verify.partition(":")[2].strip()[:200]
        refusal = f"{NOT_VERIFIED}: {detail}" if detail else NOT_VERIFIED
        return ProxyVerdict(refusal=refusal, reason="not_verified", peer=peer)
    thumbprint = normalize_thumbprint(headers.get(settings.fingerprint_header))
    if thumbprint is None:
        return ProxyVerdict(refusal=NO_THUMBPRINT, reason="no_thumbprint", peer=peer)
    subject = (headers.get(settings.subject_header) or "").strip()[:1000] or None
    return ProxyVerdict(thumbprint=thumbprint, subject=subject, peer=peer)
