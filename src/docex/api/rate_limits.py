"""Rate limits on the API, counted with the ``limits`` library (the one behind slowapi).

Four limits, each set by a ``DOCEX_RATE_LIMIT_*`` setting:

* ``ip``: requests to authenticated routes from one client address, counted before the
  token is looked up, so that a flood costs no database work past its limit;
* ``refusals``: refused tokens from one client address. A client that keeps presenting
  bad tokens is refused with 429 before any lookup, whatever token it sends next;
* ``token``: requests by one authenticated token;
* ``revalidation``: re-validations asked for by one token (each verifies a signature).

Over a limit the request is refused with :class:`~docex.errors.RateLimitedError`, which
the API answers as 429 ``rate-limited`` with ``Retry-After``.

The client address is the ASGI ``client`` of the request. Behind a reverse proxy that is
the proxy, unless uvicorn runs with ``--proxy-headers --forwarded-allow-ips=<proxy>``, in
which case uvicorn takes it from ``X-Forwarded-For`` sent by that proxy only. docex never
reads ``X-Forwarded-For`` itself: any client can write one.

The counters are in memory by default, each worker its own; a ``redis://`` or
``memcached://`` storage URI shares them between workers. The storage calls block, so
callers run them in the thread pool with the rest of authentication.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from limits import RateLimitItem, parse_many
from limits.errors import ConfigurationError as StorageConfigurationError
from limits.storage import storage_from_string
from limits.strategies import (
    MovingWindowRateLimiter,
    RateLimiter,
    SlidingWindowCounterRateLimiter,
)

from docex.errors import ConfigurationError, RateLimitedError
from docex.settings import Settings, environment_variable

# Limits of at most this many requests per window are counted exactly (a timestamp per
# request, so at most this many per key); larger ones by the two-number estimate.
EXACT_UP_TO = 1000

# What a request is refused with: the same words whichever limit it hit, so that the
# refusal does not tell a prober how the limits are keyed.
_DETAIL = "too many requests; retry after {seconds} s"


@dataclass(frozen=True)
class _Limit:
    scope: str
    items: Sequence[RateLimitItem]


class RateLimits:
    """The API's rate limits, and the counters they are checked against.

    Built once per app from its settings (:meth:`from_settings`); every ``check_*`` and
    :meth:`count_refusal` raises :class:`RateLimitedError` when the request is over.
    """

    def __init__(
        self,
        *,
        storage_uri: str,
        ip: str,
        refusals: str,
        token: str,
        revalidation: str,
        enabled: bool = True,
    ) -> None:
        try:
            storage = storage_from_string(storage_uri)
        except StorageConfigurationError as exc:
            # An unknown scheme, or one whose client library is not installed (redis).
            # The URI may carry the storage's password: name its scheme only.
            scheme = storage_uri.partition("://")[0]
            reason = str(exc).replace(storage_uri, f"{scheme}://…")
            variable = environment_variable("rate_limit_storage_uri")
            problem = f"{variable}: unusable {scheme}:// storage: {reason}"
            raise ConfigurationError((problem,)) from None
        # The moving window is exact (at most N requests in any span of the window's
        # length) but keeps one timestamp per request counted; the sliding-window counter
        # keeps two numbers per key and only estimates the previous window's share, so a
        # burst across a window boundary gets a few more than N through. Exact where that
        # is cheap, bounded memory where N is large.
        self._exact: RateLimiter = MovingWindowRateLimiter(storage)
        self._estimated: RateLimiter = SlidingWindowCounterRateLimiter(storage)
        self._enabled = enabled
        self._ip = _Limit("ip", parse_many(ip))
        self._refusals = _Limit("refusals", parse_many(refusals))
        self._token = _Limit("token", parse_many(token))
        self._revalidation = _Limit("revalidation", parse_many(revalidation))

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimits:
        """The limits ``settings`` configure (``DOCEX_RATE_LIMIT_*``)."""
        return cls(
            storage_uri=settings.rate_limit_storage_uri,
            ip=settings.rate_limit_ip,
            refusals=settings.rate_limit_refusals_ip,
            token=settings.rate_limit_token,
            revalidation=settings.rate_limit_revalidations,
            enabled=settings.rate_limit_enabled,
        )

    def check_client(self, client: str) -> None:
        """Count one request from ``client`` before its token is looked up; refuse it if
        the address is over its request limit or has presented too many bad tokens."""
        # Refusals first and without counting: a client blocked for bad tokens must not
        # also use up its request allowance.
        self._test(self._refusals, client)
        self._hit(self._ip, client)

    def count_refusal(self, client: str) -> None:
        """Count one refused token from ``client``; the refusals past the limit are
        answered with 429 from the next request on (see :meth:`check_client`)."""
        if self._enabled:
            for item in self._refusals.items:
                self._limiter(item).hit(item, self._refusals.scope, client)

    def check_token(self, token_id: int) -> None:
        """Count one request by the authenticated token ``token_id``."""
        self._hit(self._token, str(token_id))

    def check_revalidation(self, token_id: int) -> None:
        """Count one re-validation asked for by the token ``token_id``."""
        self._hit(self._revalidation, str(token_id))

    def _limiter(self, item: RateLimitItem) -> RateLimiter:
        return self._exact if item.amount <= EXACT_UP_TO else self._estimated

    def _hit(self, limit: _Limit, key: str) -> None:
        if not self._enabled:
            return
        for item in limit.items:
            if not self._limiter(item).hit(item, limit.scope, key):
                raise self._refused(limit, item, key)

    def _test(self, limit: _Limit, key: str) -> None:
        if not self._enabled:
            return
        for item in limit.items:
            if not self._limiter(item).test(item, limit.scope, key):
                raise self._refused(limit, item, key)

    def _refused(self, limit: _Limit, item: RateLimitItem, key: str) -> RateLimitedError:
        reset = self._limiter(item).get_window_stats(item, limit.scope, key).reset_time
        # Whole seconds, at least one: Retry-After takes no fractions, and 0 invites a
        # retry loop against a limit that has not moved yet.
        seconds = max(1, math.ceil(reset - time.time()))
        return RateLimitedError(
            _DETAIL.format(seconds=seconds), retry_after=seconds, scope=limit.scope
        )
