"""Keyset pagination: pages that stay stable while new rows arrive.

A page is the rows after a position in a total order, and its cursor is the position of
its last row: unlike an offset, it neither skips nor repeats rows when others are added
meanwhile. Three orders are used: by ``(created_at, id)`` for rows keyed by a UUID
(:class:`TimeIdKeyset`, an opaque base64 cursor), by an increasing integer id
(:class:`IdKeyset`, the id as the cursor), and by a unique public code such as a
facility's EDRPOU (:class:`CodeKeyset`, an opaque base64 cursor: listings shown to clients
then name no internal id, not even in a cursor). Cursors are opaque to clients; one docex did not
make is an :class:`~docex.errors.InputError`.

A listing asks for one row more than the page holds (:func:`keyset_select`) to learn
whether there is a next page, then cuts it off (:func:`cut_page`).
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar, TypeVarTuple

from sqlalchemy import ColumnElement, Select, and_, or_
from sqlalchemy.orm import QueryableAttribute

from docex.errors import InputError

_Row = TypeVar("_Row")
_Columns = TypeVarTuple("_Columns")

# The longest decimal a 64-bit id has; longer is not one of ours.
_MAX_ID_DIGITS = 19


@dataclass(frozen=True, slots=True, kw_only=True)
class PageRequest:
    """Which page to read: after ``cursor`` (from the start without one), ``limit`` rows."""

    cursor: str | None = None
    limit: int

    def bounded(self, maximum: int) -> PageRequest:
        """The same request, its limit held between 1 and ``maximum``."""
        return PageRequest(cursor=self.cursor, limit=max(1, min(self.limit, maximum)))


class Keyset(Protocol):
    """A total order over a listing's rows, and positions in it."""

    def order(self) -> tuple[ColumnElement[Any], ...]:
        """The ORDER BY columns."""
        ...

    def after(self, cursor: str) -> ColumnElement[bool]:
        """The condition selecting the rows after ``cursor``; ``InputError`` if not ours."""
        ...


@dataclass(frozen=True)
class TimeIdKeyset:
    """Rows in ``(created_at, id)`` order, for tables keyed by a UUID."""

    created_at: QueryableAttribute[datetime]
    ident: QueryableAttribute[uuid.UUID]

    def order(self) -> tuple[ColumnElement[Any], ...]:
        """``created_at``, then ``id`` for rows created at the same moment."""
        return (self.created_at.expression, self.ident.expression)

    def after(self, cursor: str) -> ColumnElement[bool]:
        """The rows after the position ``cursor`` names."""
        after_time, after_id = decode_time_id(cursor)
        return or_(
            self.created_at > after_time,
            and_(self.created_at == after_time, self.ident > after_id),
        )

    @staticmethod
    def cursor(created_at: datetime, ident: uuid.UUID) -> str:
        """The cursor of the row at ``(created_at, ident)``."""
        return encode_time_id(created_at, ident)


@dataclass(frozen=True)
class IdKeyset:
    """Rows in the order of an increasing integer id."""

    ident: QueryableAttribute[int]

    def order(self) -> tuple[ColumnElement[Any], ...]:
        """The id."""
        return (self.ident.expression,)

    def after(self, cursor: str) -> ColumnElement[bool]:
        """The rows with a larger id than ``cursor``."""
        return self.ident > decode_id(cursor)

    @staticmethod
    def cursor(ident: int) -> str:
        """The cursor of the row with id ``ident``."""
        return str(ident)


@dataclass(frozen=True)
class CodeKeyset:
    """Rows in the order of a unique string column (a registry code)."""

    code: QueryableAttribute[str]

    def order(self) -> tuple[ColumnElement[Any], ...]:
        """The code: unique, so it orders the rows totally by itself."""
        return (self.code.expression,)

    def after(self, cursor: str) -> ColumnElement[bool]:
        """The rows whose code sorts after the one ``cursor`` names."""
        return self.code > decode_code(cursor)

    @staticmethod
    def cursor(code: str) -> str:
        """The cursor of the row with this code."""
        return base64.urlsafe_b64encode(json.dumps(["code", code]).encode()).decode().rstrip("=")


def keyset_select(query: Select[*_Columns], keyset: Keyset, page: PageRequest) -> Select[*_Columns]:
    """``query`` in ``keyset`` order from after the cursor, one row more than the page."""
    if page.cursor is not None:
        query = query.where(keyset.after(page.cursor))
    return query.order_by(*keyset.order()).limit(page.limit + 1)


def cut_page(
    rows: Sequence[_Row], page: PageRequest, cursor_of: Callable[[_Row], str]
) -> tuple[list[_Row], str | None]:
    """The page's rows (``rows`` came from :func:`keyset_select`) and the next cursor.

    The next cursor is ``None`` on the last page.
    """
    items = list(rows[: page.limit])
    more = len(rows) > page.limit
    return items, (cursor_of(items[-1]) if more and items else None)


def encode_time_id(created_at: datetime, ident: uuid.UUID) -> str:
    """An opaque cursor for a ``(created_at, id)`` position."""
    raw = json.dumps([created_at.isoformat(), str(ident)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_time_id(cursor: str) -> tuple[datetime, uuid.UUID]:
    """The ``(created_at, id)`` position a cursor names; ``InputError`` if not ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        when, ident = json.loads(raw)
        return datetime.fromisoformat(when), uuid.UUID(ident)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise InputError("invalid cursor") from exc


def decode_code(cursor: str) -> str:
    """The code a :class:`CodeKeyset` cursor names; ``InputError`` if not ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        tag, code = json.loads(raw)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise InputError("invalid cursor") from exc
    if tag != "code" or not isinstance(code, str):
        raise InputError("invalid cursor")
    return code


def decode_id(cursor: str) -> int:
    """The id a cursor names; ``InputError`` for anything but a short ASCII decimal."""
    # str.isdigit alone accepts other scripts' digits, which int() would then read.
    if not cursor.isascii() or not cursor.isdigit() or len(cursor) > _MAX_ID_DIGITS:
        raise InputError("invalid cursor")
    return int(cursor)
