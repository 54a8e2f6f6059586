"""One HTTP POST to a webhook receiver, with the standard library only.

Redirects are never followed (a 3xx is a failed attempt, as the Standard
Webhooks spec advises), so a receiver cannot send the request to another host.
With private networks refused, the host name is resolved once, every address
is checked, and the connection goes to the checked address (no DNS rebinding).
"""

import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class PostResult:
    status: int | None  # None when no HTTP answer came back
    error: str = ""
    retry_after: int | None = None  # seconds, from a Retry-After header

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to ``address`` while the request names the URL's host."""

    def __init__(self, address: str, host: str, port: int, *, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, address: str, host: str, port: int, *, timeout: float,
                 context: ssl.SSLContext) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self._address = address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        # Certificate and SNI are checked against the URL's host name.
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)  # type: ignore[attr-defined]


def is_public(address: str) -> bool:
    return ipaddress.ip_address(address.split("%", 1)[0]).is_global


def _public_address(host: str, port: int) -> str:
    """The first address of ``host``; raises PermissionError if any address is not public."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = [str(info[4][0]) for info in infos]
    refused = [a for a in addresses if not is_public(a)]
    if refused:
        raise PermissionError(f"{host} resolves to a private address ({refused[0]})")
    return addresses[0]


def post(*, url: str, body: bytes, headers: dict[str, str], timeout: float,
         allow_private: bool = True) -> PostResult:
    """POST ``body`` to ``url``; never raises for network or HTTP failures."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return PostResult(None, "invalid port in URL")
    if parts.scheme not in {"http", "https"}:
        return PostResult(None, f"unsupported scheme {parts.scheme!r}")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    connection: http.client.HTTPConnection | None = None
    try:
        if parts.scheme == "https":
            context = ssl.create_default_context()
            connection = (http.client.HTTPSConnection(host, port, timeout=timeout,
                                                      context=context) if allow_private else
                          _PinnedHTTPSConnection(_public_address(host, port), host, port,
                                                 timeout=timeout, context=context))
        else:
            connection = (http.client.HTTPConnection(host, port, timeout=timeout)
                          if allow_private else
                          _PinnedHTTPConnection(_public_address(host, port), host, port,
                                                timeout=timeout))
        connection.request("POST", path, body=body, headers=headers)
        # Only the status line and headers are read: a receiver that trickles a
        # body cannot hold the worker past the timeout of each read.
        response = connection.getresponse()
        retry_after = response.getheader("Retry-After")
        return PostResult(response.status, "" if 200 <= response.status < 300
                          else f"HTTP {response.status} {response.reason}",
                          int(retry_after) if retry_after and retry_after.isdigit() else None)
    except (OSError, http.client.HTTPException) as exc:
        return PostResult(None, f"{type(exc).__name__}: {exc}".strip())
    finally:
        if connection is not None:
            connection.close()
