"""Serving a document's bytes: ``ETag``, ``If-None-Match`` → 304, ``HEAD``, streaming.

The routes ``…/content`` and ``…/payload`` answer the same way from a
:class:`~docex.services.downloads.Download`; this module is that one way.
"""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import Response
from fastapi.responses import StreamingResponse

from docex.services.downloads import Download

# Medical documents: no shared cache may keep them, and a private one asks again each time,
# so that every use of the bytes passes through the audited read (a 304 is cheap).
CACHE_CONTROL = "private, no-cache"


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` header names ``etag`` (RFC 9110 §13.1.2).

    The comparison is weak, as that header's is: ``W/"x"`` matches ``"x"``; ``*`` matches
    any current representation.
    """
    if if_none_match is None:
        return False
    if if_none_match.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") == etag for tag in if_none_match.split(","))


def download_response(download: Download, *, method: str, if_none_match: str | None) -> Response:
    """The answer to a ``GET`` or ``HEAD`` of ``download``; it closes the body when done."""
    etag = f'"{download.sha256}"'
    if etag_matches(if_none_match, etag):
        download.body.close()
        return Response(status_code=304, headers={"ETag": etag, "Cache-Control": CACHE_CONTROL})
    headers = {
        "ETag": etag,
        "Content-Length": str(download.size),
        "Content-Disposition": f'attachment; filename="{download.filename}"',
        "Cache-Control": CACHE_CONTROL,
    }
    if method == "HEAD":
        download.body.close()
        return Response(media_type=download.media_type, headers=headers)

    body = download.body

    def chunks() -> Iterator[bytes]:
        try:
            yield from body
        finally:
            body.close()

    return StreamingResponse(chunks(), media_type=download.media_type, headers=headers)
