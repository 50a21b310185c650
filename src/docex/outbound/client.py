"""One HTTP request under the outbound policy: checked address, no redirects, one deadline.

:func:`request` checks the URL (:func:`~docex.outbound.policy.check_url`), resolves the
host and checks every address (:func:`~docex.outbound.policy.resolve`), then connects to
one of *those* addresses while sending the name in ``Host`` and TLS SNI and verifying the
certificate against it. A redirect is returned as the 3xx it is, never followed.

The policy's ``timeout`` bounds the whole exchange. Socket timeouts alone bound each read,
so a server trickling one byte of its headers every half second would hold a request for
as long as it liked; a watchdog timer therefore shuts the socket down when the deadline
passes, which ends any read or write in progress.

A failure is an :class:`OutboundFailedError` whose :attr:`~OutboundFailedError.kind` is
deliberately coarse (unreachable, timeout, TLS, …): callers show it to whoever chose the
URL, and "refused" versus "reset" versus a TLS alert would turn that into a port scanner.
The details go to the ``docex.outbound`` log only.
"""

from __future__ import annotations

import http.client
import logging
import socket
import ssl
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from docex import __version__
from docex.errors import DocexError
from docex.outbound.policy import (
    IPAddress,
    OutboundPolicy,
    OutboundRefusedError,
    ResolutionTimeoutError,
    check_url,
    resolve,
)

log = logging.getLogger("docex.outbound")

USER_AGENT = f"docex/{__version__}"
HTTPS_ONLY = frozenset({"https"})
HTTP_OR_HTTPS = frozenset({"http", "https"})


class FailureKind(StrEnum):
    """Why a request got no usable response, as much as the URL's owner may learn."""

    REFUSED = "refused by the outbound policy"
    UNREACHABLE = "unreachable"
    TIMEOUT = "timeout"
    TLS = "TLS"
    TOO_LARGE = "response too large"
    PROTOCOL = "invalid HTTP response"


class OutboundFailedError(DocexError):
    """A request under the outbound policy got no usable response; ``str()`` is the kind."""

    code = "outbound-failed"

    def __init__(self, kind: FailureKind) -> None:
        super().__init__(kind.value)
        self.kind = kind


@dataclass(frozen=True, slots=True)
class Response:
    """A response, read in full (within ``max_response_bytes``) unless asked not to."""

    status: int
    body: bytes
    content_type: str | None


class _Watchdog:
    """Shuts a connection's socket down once the deadline passes."""

    def __init__(self, deadline: float) -> None:
        self.fired = False
        self._socket: socket.socket | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._fire)
        self._timer.daemon = True
        self._timer.start()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._socket = sock
            fired = self.fired
        if fired:
            raise TimeoutError("the deadline passed while connecting")

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            sock = self._socket
        if sock is not None:
            try:
                # The plain socket's shutdown, also under TLS: SSLSocket.shutdown would
                # tear down the TLS object a reader in another thread is using.
                socket.socket.shutdown(sock, socket.SHUT_RDWR)
            except OSError:
                pass  # already closed: the request ended meanwhile

    def cancel(self) -> None:
        self._timer.cancel()


def _connect(
    addresses: list[IPAddress], port: int, deadline: float, watchdog: _Watchdog
) -> socket.socket:
    last: OSError | None = None
    for address in addresses:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the deadline passed while connecting")
        try:
            sock = socket.create_connection((str(address), port), timeout=remaining)
        except OSError as exc:
            last = exc
            continue
        watchdog.watch(sock)
        return sock
    raise last or OSError("no address to connect to")


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """``http.client`` connecting to checked addresses instead of resolving ``host`` again."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        addresses: list[IPAddress],
        deadline: float,
        watchdog: _Watchdog,
    ) -> None:
        super().__init__(host, port, timeout=max(0.001, deadline - time.monotonic()))
        self._addresses = addresses
        self._deadline = deadline
        self._watchdog = watchdog

    def connect(self) -> None:
        self.sock = _connect(self._addresses, self.port, self._deadline, self._watchdog)


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    def __init__(
        self,
        host: str,
        port: int,
        *,
        addresses: list[IPAddress],
        deadline: float,
        watchdog: _Watchdog,
        context: ssl.SSLContext,
    ) -> None:
        super().__init__(host, port, addresses=addresses, deadline=deadline, watchdog=watchdog)
        self._context = context

    def connect(self) -> None:
        raw = _connect(self._addresses, self.port, self._deadline, self._watchdog)
        try:
            # SNI and certificate verification use the name, not the address we dialled.
            self.sock = self._context.wrap_socket(raw, server_hostname=self.host)
        except BaseException:
            raw.close()
            raise


def request(
    method: str,
    url: str,
    *,
    policy: OutboundPolicy,
    schemes: frozenset[str] = HTTPS_ONLY,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    read_body: bool = True,
    tls_context: ssl.SSLContext | None = None,
) -> Response:
    """Send one request to ``url`` under ``policy``; the response, of whatever status.

    :param schemes: the schemes the caller accepts (HTTPS only for webhooks; OCSP and
        CRLs, being signed, may come over plain HTTP).
    :param read_body: ``False`` to close the response unread (a webhook's answer body is
        of no interest, and must not make docex download anything).
    :param tls_context: certificates to trust instead of the system's (tests).
    :raises OutboundFailedError: no usable response; its ``kind`` says why, coarsely.
    """
    deadline = time.monotonic() + policy.timeout
    try:
        checked = check_url(url, policy=policy, schemes=schemes)
    except OutboundRefusedError as exc:
        log.warning("outbound %s refused: %s", method, exc)
        raise OutboundFailedError(FailureKind.REFUSED) from None
    try:
        addresses = resolve(checked, policy=policy, timeout=policy.timeout)
    except OutboundRefusedError as exc:
        log.warning("outbound %s to %s refused: %s", method, checked.host, exc)
        raise OutboundFailedError(FailureKind.REFUSED) from None
    except ResolutionTimeoutError as exc:
        log.warning("outbound %s to %s: %s", method, checked.host, exc)
        raise OutboundFailedError(FailureKind.TIMEOUT) from None
    except OSError as exc:
        log.warning("outbound %s to %s: name resolution failed: %s", method, checked.host, exc)
        raise OutboundFailedError(FailureKind.UNREACHABLE) from None
    watchdog = _Watchdog(deadline)
    connection: _PinnedHTTPConnection
    if checked.scheme == "https":
        connection = _PinnedHTTPSConnection(
            checked.host,
            checked.port,
            addresses=addresses,
            deadline=deadline,
            watchdog=watchdog,
            context=tls_context or ssl.create_default_context(),
        )
    else:
        connection = _PinnedHTTPConnection(
            checked.host, checked.port, addresses=addresses, deadline=deadline, watchdog=watchdog
        )
    response: http.client.HTTPResponse | None = None
    try:
        connection.request(
            method, checked.target, body=body, headers={"User-Agent": USER_AGENT, **(headers or {})}
        )
        response = connection.getresponse()
        data = _read_limited(response, policy.max_response_bytes) if read_body else b""
        if watchdog.fired:
            # http.client takes an end of stream inside the headers for their end, so a
            # cut-off trickle would otherwise read as a complete (say, 200) response.
            raise TimeoutError("the deadline passed while reading the response")
        return Response(response.status, data, response.getheader("Content-Type"))
    except OutboundFailedError:
        raise
    except Exception as exc:
        kind = _classify(exc, timed_out=watchdog.fired)
        log.warning(
            "outbound %s to %s failed (%s): %s: %s",
            method,
            checked.host,
            kind.value,
            type(exc).__name__,
            exc,
        )
        raise OutboundFailedError(kind) from None
    finally:
        watchdog.cancel()
        if response is not None:
            response.close()
        connection.close()


def _read_limited(response: http.client.HTTPResponse, limit: int) -> bytes:
    declared = response.getheader("Content-Length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise OutboundFailedError(FailureKind.TOO_LARGE)
    data = response.read(limit + 1)
    if len(data) > limit:
        raise OutboundFailedError(FailureKind.TOO_LARGE)
    return data


def _classify(exc: Exception, *, timed_out: bool) -> FailureKind:
    # The watchdog's shutdown surfaces as whatever the interrupted read made of it.
    if timed_out or isinstance(exc, TimeoutError):
        return FailureKind.TIMEOUT
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        return FailureKind.TLS
    if isinstance(exc, http.client.HTTPException):
        return FailureKind.PROTOCOL
    if isinstance(exc, OSError):
        return FailureKind.UNREACHABLE
    return FailureKind.PROTOCOL
