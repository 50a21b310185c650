"""How a webhook delivery leaves the building: a small interface and its implementations.

:class:`PolicedTransport` is what the service uses: every POST goes through
:func:`docex.outbound.client.request`, so the receiver's name is resolved at delivery
time, every address must pass the outbound policy, the connection goes to the address
that was checked, redirects are not followed, and the policy's timeout bounds the whole
request, not each read. Tests wrap it (to crash a dispatcher mid-delivery, say); the
interface is what the dispatcher depends on.

A transport never raises for what the network or the receiver does: the outcome is a
value the dispatcher records. Its ``describe()`` is what the facility reads in
``last_error``: the receiver's HTTP status, or a coarse class (``unreachable``,
``timeout``, ``TLS``, …); the details are in the server log (``docex.outbound``).
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Protocol

from docex import __version__
from docex.outbound.client import OutboundFailedError, request
from docex.outbound.policy import OutboundPolicy

USER_AGENT = f"docex-webhooks/{__version__}"


@dataclass(frozen=True, slots=True)
class DeliveryOutcome:
    """What one POST achieved: the receiver's status code, or why there was none."""

    status_code: int | None
    error: str | None = None
    """A coarse failure class, safe to show to the facility."""

    @property
    def delivered(self) -> bool:
        """Whether the receiver acknowledged the event (any 2xx)."""
        return self.status_code is not None and 200 <= self.status_code < 300

    def describe(self) -> str:
        """One line for ``last_error``."""
        if self.status_code is not None:
            text = f"HTTP {self.status_code}"
            if 300 <= self.status_code < 400:
                return f"{text} (redirects are not followed)"
            return text
        return self.error or "no response"


class WebhookTransport(Protocol):
    """Sends one webhook request; implementations must not follow redirects."""

    def post(
        self, url: str, *, body: bytes, headers: Mapping[str, str], timeout: float
    ) -> DeliveryOutcome:
        """POST ``body`` to ``url`` within ``timeout`` seconds in total; never raises for
        network trouble."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


class PolicedTransport:
    """Deliveries under an outbound policy, one connection per request.

    No connection pooling, deliberately: a pooled connection was checked when it was
    opened, and reusing it would skip the address check of later deliveries.
    """

    def __init__(
        self, policy: OutboundPolicy | None = None, *, tls_context: ssl.SSLContext | None = None
    ) -> None:
        self._policy = policy or OutboundPolicy()
        self._tls_context = tls_context

    def post(
        self, url: str, *, body: bytes, headers: Mapping[str, str], timeout: float
    ) -> DeliveryOutcome:
        # The dispatcher's per-request deadline replaces the policy's own.
        policy = replace(self._policy, timeout=timeout)
        try:
            response = request(
                "POST",
                url,
                policy=policy,
                body=body,
                headers={"User-Agent": USER_AGENT, **headers},
                # A receiver's answer body is of no interest and must not make the
                # dispatcher download anything.
                read_body=False,
                tls_context=self._tls_context,
            )
        except OutboundFailedError as exc:
            return DeliveryOutcome(None, exc.kind.value)
        return DeliveryOutcome(response.status)

    def close(self) -> None:
        """Nothing is pooled."""
