"""One HTTP POST to a webhook receiver, with the standard library only.

Redirects are never followed (a 3xx is a failed attempt, as the Standard
Webhooks spec advises), so a receiver cannot send the request to another host.
"""

import http.client
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_RESPONSE_BYTES = 64 * 1024


@dataclass(frozen=True)
class PostResult:
    status: int | None  # None when no HTTP answer came back
    error: str = ""
    retry_after: int | None = None  # seconds, from a Retry-After header

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def post(*, url: str, body: bytes, headers: dict[str, str], timeout: float) -> PostResult:
    """POST ``body`` to ``url``; never raises for network or HTTP failures."""
    parts = urlsplit(url)
    connection: http.client.HTTPConnection
    try:
        port = parts.port
    except ValueError:
        return PostResult(None, "invalid port in URL")
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(
            parts.hostname or "", port, timeout=timeout, context=ssl.create_default_context())
    elif parts.scheme == "http":
        connection = http.client.HTTPConnection(parts.hostname or "", port, timeout=timeout)
    else:
        return PostResult(None, f"unsupported scheme {parts.scheme!r}")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(MAX_RESPONSE_BYTES)
        retry_after = response.getheader("Retry-After")
        return PostResult(response.status, "" if 200 <= response.status < 300
                          else f"HTTP {response.status} {response.reason}",
                          int(retry_after) if retry_after and retry_after.isdigit() else None)
    except (OSError, http.client.HTTPException) as exc:
        return PostResult(None, f"{type(exc).__name__}: {exc}".strip())
    finally:
        connection.close()
