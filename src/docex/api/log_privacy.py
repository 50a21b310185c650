"""No personal data in the server's access log.

uvicorn logs every request at INFO with its query string, and ``GET /api/v1/documents``
takes the patient's reference (an RNOKPP or a registry number) as ``?patient=``. The
access log is read by operators who may not see patients' data, and kept by log
pipelines docex does not control, so :class:`AccessLogRedaction` replaces those values
with a :func:`pseudonym` before the line is written: the same patient gives the same
pseudonym (requests can still be correlated), and without the key it cannot be reversed
by trying every possible number, which a plain hash of a 10-digit RNOKPP could.

Request bodies are never logged, so the requisition number (``POST /referrals/take``
sends it in the body) does not reach this log at all.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qsl, urlencode

ACCESS_LOGGER = "uvicorn.access"

PERSONAL_QUERY_PARAMETERS = frozenset({"patient"})
"""Query parameters whose values identify a person."""


def pseudonym(value: str, *, key: bytes) -> str:
    """A short keyed hash of ``value``: stable for one key, useless without it."""
    digest = hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()
    # 48 bits tell a day's patients apart in a log; the prefix marks it as a pseudonym.
    return f"~{digest[:12]}"


class AccessLogRedaction(logging.Filter):
    """Pseudonymise the personal query parameters in uvicorn's access-log records.

    uvicorn passes the request target as the third argument of its access-log record
    (``'%s - "%s %s HTTP/%s" %d'``); only that argument is rewritten.
    """

    def __init__(self, *, key: bytes) -> None:
        super().__init__()
        self._key = key

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            target = args[2]
            if "?" in target:
                record.args = (*args[:2], self.redact(target), *args[3:])
        return True

    def redact(self, target: str) -> str:
        """``target`` (a path with its query) with personal parameter values replaced."""
        path, _, query = target.partition("?")
        pairs = parse_qsl(query, keep_blank_values=True)
        if not any(name in PERSONAL_QUERY_PARAMETERS for name, _ in pairs):
            return target
        kept = [
            (name, pseudonym(value, key=self._key) if name in PERSONAL_QUERY_PARAMETERS else value)
            for name, value in pairs
        ]
        return f"{path}?{urlencode(kept)}"


@contextmanager
def redacting_access_log(*, key: bytes) -> Iterator[None]:
    """Redact uvicorn's access log while the block runs (the app's lifespan)."""
    access = logging.getLogger(ACCESS_LOGGER)
    redaction = AccessLogRedaction(key=key)
    access.addFilter(redaction)
    try:
        yield
    finally:
        access.removeFilter(redaction)
