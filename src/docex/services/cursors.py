"""Opaque pagination cursors: a (created_at, id) position, so pages stay stable while new
rows arrive."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_
from sqlalchemy.orm import QueryableAttribute

from docex.errors import InputError


def encode_position(created_at: datetime, ident: uuid.UUID) -> str:
    """An opaque cursor for a (created_at, id) position."""
    raw = json.dumps([created_at.isoformat(), str(ident)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    """The position a cursor names; ``InputError`` for anything not made by us."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        when, ident = json.loads(raw)
        return datetime.fromisoformat(when), uuid.UUID(ident)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise InputError("invalid cursor") from exc


def after(
    cursor: str, *, created_at: QueryableAttribute[datetime], ident: QueryableAttribute[uuid.UUID]
) -> ColumnElement[bool]:
    """The condition selecting rows after ``cursor`` in (created_at, id) order."""
    after_time, after_id = decode_cursor(cursor)
    return or_(created_at > after_time, and_(created_at == after_time, ident > after_id))
