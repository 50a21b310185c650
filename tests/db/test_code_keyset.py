"""Keyset pages ordered by a unique public code (docex.db.pagination.CodeKeyset)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import String, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from docex.db.pagination import (
    CodeKeyset,
    IdKeyset,
    PageRequest,
    TimeIdKeyset,
    cut_page,
    decode_code,
    keyset_select,
)
from docex.errors import InputError


class _Base(DeclarativeBase):
    pass


class Entity(_Base):
    __tablename__ = "entity"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)


# Inserted out of order, so that the page order is the code's and not the id's.
CODES = ["40123457", "00000001", "38291045", "41111111", "19999999"]


@pytest.fixture
def session() -> Iterator[Session]:
    engine = create_engine("sqlite://")
    _Base.metadata.create_all(engine)
    with Session(engine) as s:
        s.add_all(Entity(code=code) for code in CODES)
        s.commit()
        yield s
    engine.dispose()


def test_pages_follow_the_code_and_name_no_id(session: Session) -> None:
    keyset = CodeKeyset(Entity.code)
    seen: list[list[str]] = []
    cursor = None
    while True:
        page = PageRequest(cursor=cursor, limit=2)
        rows = list(session.scalars(keyset_select(select(Entity), keyset, page)))
        items, cursor = cut_page(rows, page, lambda e: CodeKeyset.cursor(e.code))
        seen.append([e.code for e in items])
        if cursor is None:
            break
        assert decode_code(cursor) == items[-1].code
    assert seen == [["00000001", "19999999"], ["38291045", "40123457"], ["41111111"]]


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "not base64!",
        IdKeyset.cursor(3),
        TimeIdKeyset.cursor(
            datetime(2026, 1, 1, tzinfo=UTC), uuid.UUID("266aebd8-ae28-4617-8a6c-c96396171a36")
        ),
        CodeKeyset.cursor("38291045")[:-3],
        # Well-formed JSON, but not a code cursor.
        "WyJjb2RlIiwgN10",  # ["code", 7]
    ],
)
def test_a_cursor_it_did_not_make_is_an_input_error(cursor: str) -> None:
    with pytest.raises(InputError, match="invalid cursor"):
        decode_code(cursor)
