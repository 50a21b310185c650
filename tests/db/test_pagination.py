"""Keyset pagination (docex.db.pagination) over a real SQLite table of its own."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import DateTime, Integer, Uuid, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from docex.db.pagination import (
    IdKeyset,
    PageRequest,
    TimeIdKeyset,
    cut_page,
    decode_id,
    decode_time_id,
    encode_time_id,
    keyset_select,
)
from docex.errors import InputError

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


class _Base(DeclarativeBase):
    pass


class Item(_Base):
    __tablename__ = "item"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    ident: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@pytest.fixture
def session() -> Iterator[Session]:
    engine = create_engine("sqlite://")
    _Base.metadata.create_all(engine)
    with Session(engine) as s:
        # Three rows share each moment, so the id must break the ties.
        for n in range(7):
            s.add(Item(seq=n + 1, ident=uuid.uuid4(), created_at=T0 + timedelta(n // 3)))
        s.commit()
        yield s
    engine.dispose()


def _pages(session: Session, keyset: IdKeyset | TimeIdKeyset, limit: int) -> list[list[int]]:
    def position(item: Item) -> str:
        if isinstance(keyset, IdKeyset):
            return IdKeyset.cursor(item.seq)
        return TimeIdKeyset.cursor(item.created_at.replace(tzinfo=UTC), item.ident)

    pages: list[list[int]] = []
    cursor: str | None = None
    while True:
        page = PageRequest(cursor=cursor, limit=limit)
        rows = list(session.scalars(keyset_select(select(Item), keyset, page)))
        items, cursor = cut_page(rows, page, position)
        pages.append([i.seq for i in items])
        if cursor is None:
            return pages


def test_id_keyset_pages_through_every_row_once(session: Session) -> None:
    assert _pages(session, IdKeyset(Item.seq), limit=3) == [[1, 2, 3], [4, 5, 6], [7]]


def test_time_id_keyset_breaks_ties_by_id(session: Session) -> None:
    pages = _pages(session, TimeIdKeyset(Item.created_at, Item.ident), limit=2)
    seen = [seq for page in pages for seq in page]
    assert sorted(seen) == list(range(1, 8))
    assert [len(p) for p in pages] == [2, 2, 2, 1]
    by_seq = {i.seq: i for i in session.scalars(select(Item))}
    order = [(by_seq[s].created_at, str(by_seq[s].ident)) for s in seen]
    assert order == sorted(order)


def test_a_full_last_page_has_no_next_cursor(session: Session) -> None:
    assert _pages(session, IdKeyset(Item.seq), limit=7) == [[1, 2, 3, 4, 5, 6, 7]]


def test_rows_added_between_pages_are_neither_skipped_nor_repeated(session: Session) -> None:
    keyset = IdKeyset(Item.seq)
    first = PageRequest(limit=4)
    rows = list(session.scalars(keyset_select(select(Item), keyset, first)))
    items, cursor = cut_page(rows, first, lambda i: IdKeyset.cursor(i.seq))
    session.add(Item(seq=8, ident=uuid.uuid4(), created_at=T0))
    session.commit()
    second = PageRequest(cursor=cursor, limit=10)
    rest = list(session.scalars(keyset_select(select(Item), keyset, second)))
    assert [i.seq for i in items] + [i.seq for i in rest] == list(range(1, 9))


def test_bounded_holds_the_limit_between_one_and_the_maximum() -> None:
    assert PageRequest(cursor="c", limit=0).bounded(200) == PageRequest(cursor="c", limit=1)
    assert PageRequest(limit=1000).bounded(200).limit == 200
    assert PageRequest(limit=50).bounded(200).limit == 50


def test_time_id_cursor_round_trips() -> None:
    ident = uuid.uuid4()
    assert decode_time_id(encode_time_id(T0, ident)) == (T0, ident)


@pytest.mark.parametrize("cursor", ["x", "garbage!", "", "WyJ4Il0"])
def test_a_time_id_cursor_not_ours_is_an_input_error(cursor: str) -> None:
    with pytest.raises(InputError, match="invalid cursor"):
        decode_time_id(cursor)


@pytest.mark.parametrize("cursor", ["abc", "-1", "1.5", "١٢", "1" * 20, ""])
def test_an_id_cursor_not_ours_is_an_input_error(cursor: str) -> None:
    with pytest.raises(InputError, match="invalid cursor"):
        decode_id(cursor)


def test_an_id_cursor_is_the_id() -> None:
    assert decode_id("42") == 42
    assert decode_id(IdKeyset.cursor(9_223_372_036_854_775_807)) == 9_223_372_036_854_775_807
