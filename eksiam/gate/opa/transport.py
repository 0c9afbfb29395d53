"""How the gate reaches an OPA server: its address from ``--opa-url``, and reading HTTP failures."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
import urllib3

from eksiam.errors import UsageError

TOKEN_ENV = "EKSIAM_OPA_TOKEN"


@dataclass(frozen=True)
class OpaEndpoint:
    """Where a real OPA server listens, parsed from ``--opa-url``."""

    url: str
    host: str
    port: int
    tls: bool

    @classmethod
    def parse(cls, url: str) -> "OpaEndpoint":
        parts = urlsplit(url.strip())
        usage = "--opa-url must look like http://host:8181 or https://host"
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UsageError(f"{usage}, not {url!r}")
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            # opa-python-client always addresses /v1 at the server's root.
            raise UsageError(f"{usage} without a path, not {url!r}: OPA serves its API at the root")
        if parts.username or parts.password:
            raise UsageError(f"{usage} without credentials in it: put the token in {TOKEN_ENV}")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise UsageError(f"{usage}: {url!r} has an invalid port") from None
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        return cls(url=f"{parts.scheme}://{host}:{port}", host=host, port=port, tls=parts.scheme == "https")


def timed_out(error: requests.RequestException) -> bool:
    # Once urllib3 has retried, requests reports a read timeout as a ConnectionError
    # wrapping MaxRetryError(reason=ReadTimeoutError); it is still a timeout to the user.
    # (urllib3's NewConnectionError, a refused connection, subclasses its ConnectTimeoutError.)
    reason = getattr(error.args[0], "reason", None) if error.args else None
    timed_out = isinstance(reason, urllib3.exceptions.TimeoutError) and not isinstance(
        reason, urllib3.exceptions.NewConnectionError
    )
    return isinstance(error, requests.Timeout) or timed_out


def opa_message(response: requests.Response | None) -> str:
    if response is None:
        return ""
    try:
        body = response.json()
    except ValueError:
        return " ".join(response.text.split())[:200]
    errors = body.get("errors") if isinstance(body, dict) else None
    if errors and isinstance(errors[0], dict):
        first = errors[0]
        location = first.get("location") or {}
        where = f"{location.get('file')}:{location.get('row')}: " if location.get("file") else ""
        return f"{where}{first.get('code', '')}: {' '.join(str(first.get('message', '')).split())}"
    message = str(body.get("message", "")) if isinstance(body, dict) else ""
    return message or response.reason or ""
