"""How a webhook delivery leaves the building: a small interface and two implementations.

:class:`HttpxTransport` is what the service uses; :class:`UrllibTransport` needs nothing
beyond the standard library. Both POST without following redirects (a receiver that
moved must be registered again, not followed to wherever a 3xx points) and never raise
for what the network or the receiver does: the outcome is a value the dispatcher records.
"""

from __future__ import annotations

import http.client
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import httpx

from docex import __version__

USER_AGENT = f"docex-webhooks/{__version__}"

# Long enough to say what went wrong, short enough for the last_error column.
_MAX_ERROR_LENGTH = 400


@dataclass(frozen=True, slots=True)
class DeliveryOutcome:
    """What one POST achieved: the receiver's status code, or why there was none."""

    status_code: int | None
    error: str | None = None

    @property
    def delivered(self) -> bool:
        """Whether the receiver acknowledged the event (any 2xx)."""
        return self.status_code is not None and 200 <= self.status_code < 300

    def describe(self) -> str:
        """One line for ``last_error``."""
        if self.status_code is not None:
            text = f"HTTP {self.status_code}"
            return f"{text}: {self.error}"[:_MAX_ERROR_LENGTH] if self.error else text
        return (self.error or "no response")[:_MAX_ERROR_LENGTH]


class WebhookTransport(Protocol):
    """Sends one webhook request; implementations must not follow redirects."""

    def post(
        self, url: str, *, body: bytes, headers: Mapping[str, str], timeout: float
    ) -> DeliveryOutcome:
        """POST ``body`` to ``url``; the outcome, never an exception, for network trouble."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


class HttpxTransport:
    """Deliveries through one pooled ``httpx.Client`` (keep-alive to busy receivers)."""

    def __init__(self) -> None:
        self._client = httpx.Client(
            follow_redirects=False, headers={"User-Agent": USER_AGENT}, http2=False
        )

    def post(
        self, url: str, *, body: bytes, headers: Mapping[str, str], timeout: float
    ) -> DeliveryOutcome:
        try:
            # Streamed and closed unread: a receiver's answer body is of no interest and
            # must not be able to make the dispatcher download anything large.
            with self._client.stream(
                "POST", url, content=body, headers=dict(headers), timeout=timeout
            ) as response:
                return DeliveryOutcome(response.status_code)
        except httpx.TimeoutException:
            return DeliveryOutcome(None, f"timed out after {timeout:g} s")
        except httpx.HTTPError as exc:
            return DeliveryOutcome(None, f"{type(exc).__name__}: {exc}")

    def close(self) -> None:
        self._client.close()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *_args: object, **_kwargs: object) -> None:
        # Returning None makes urllib report the 3xx as an HTTPError instead of following.
        return None


class UrllibTransport:
    """Deliveries through the standard library: one connection per request."""

    def __init__(self) -> None:
        self._opener = urllib.request.build_opener(_NoRedirects())

    def post(
        self, url: str, *, body: bytes, headers: Mapping[str, str], timeout: float
    ) -> DeliveryOutcome:
        # The scheme was checked at registration (https, or http to loopback in development).
        request = urllib.request.Request(  # noqa: S310
            url, data=body, headers={"User-Agent": USER_AGENT, **headers}, method="POST"
        )
        try:
            with self._opener.open(request, timeout=timeout) as response:
                return DeliveryOutcome(int(response.status))
        except urllib.error.HTTPError as exc:
            exc.close()
            return DeliveryOutcome(exc.code)
        except urllib.error.URLError as exc:
            return DeliveryOutcome(None, f"URLError: {exc.reason}")
        except TimeoutError:
            return DeliveryOutcome(None, f"timed out after {timeout:g} s")
        except (OSError, http.client.HTTPException, ValueError) as exc:
            return DeliveryOutcome(None, f"{type(exc).__name__}: {exc}")

    def close(self) -> None:
        """Nothing is pooled."""
