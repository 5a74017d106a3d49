"""Response headers: nothing loaded from elsewhere, no framing, no caching of personal data."""

from __future__ import annotations

from flask import Flask, request
from werkzeug.wrappers import Response

# Everything the pages use is served by the app itself (Bootstrap included); the
# browser enforces it. Bootstrap's CSS draws a few icons from data: URIs.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "img-src 'self' data:",
        "style-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


def set_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.endpoint not in ("static", "bootstrap.static"):
        # Pages show personal data: not kept by the browser or a proxy (152-ФЗ),
        # so «Back» after logout shows nothing.
        response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.after_request(set_headers)
