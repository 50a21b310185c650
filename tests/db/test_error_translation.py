"""Database errors leave docex as one line without the offending row's values."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError, OperationalError

from docex.db.engine import translate_db_error
from docex.errors import DatabaseError, DatabaseUnavailableError

# The shape of PostgreSQL's message for a unique violation (psycopg's str() of it).
PG_MESSAGE = (
    'duplicate key value violates unique constraint "uq_employees_rnokpp"\n'
    "DETAIL:  Key (rnokpp)=(1234567890) already exists."
)


def test_the_detail_line_with_the_row_values_is_dropped() -> None:
    error = translate_db_error(IntegrityError("INSERT …", {}, Exception(PG_MESSAGE)))
    assert type(error) is DatabaseError
    assert str(error) == (
        'database error: duplicate key value violates unique constraint "uq_employees_rnokpp"'
    )
    assert "1234567890" not in str(error)


def test_an_unavailable_database_is_one_line_too() -> None:
    message = "connection failed: Connection refused\n\tIs the server running on that host?"
    error = translate_db_error(OperationalError("SELECT 1", {}, Exception(message)))
    assert type(error) is DatabaseUnavailableError
    assert str(error) == "database unavailable: connection failed: Connection refused"
