"""A bounded fuzz run: mutated signature files give a report or a clean input error.

Seeds are the development PKI's samples (CAdES attached and detached, PAdES) and the
public files in ``tests/data``; hypothesis flips, inserts, deletes and truncates bytes.
Whatever comes out, :meth:`Verifier.verify` must return a :class:`ValidationReport` or
raise one of docex's input errors: an exception of any other type escaping is a bug.
The run is bounded (a fixed number of examples, derandomised) so CI stays fast and
repeatable; ``DOCEX_FUZZ_EXAMPLES`` raises the count for a longer local run.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from docex.errors import InputError
from docex.signatures.report import ValidationReport
from docex.signatures.verifier import Verifier

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "certs-dev" / "samples"
DATA = REPO / "tests" / "data"

SEEDS = sorted(
    [p for p in SAMPLES.iterdir() if p.suffix in {".p7s", ".pdf"}]
    + [p for p in DATA.rglob("*") if p.suffix in {".p7s", ".p7m", ".p7", ".pdf"}]
)
EXAMPLES = int(os.environ.get("DOCEX_FUZZ_EXAMPLES", "120"))

_edit = st.tuples(
    st.sampled_from(["flip", "insert", "delete", "truncate", "zero"]),
    st.floats(min_value=0.0, max_value=1.0, allow_nan=False),
    st.integers(min_value=0, max_value=255),
)


def _mutate(data: bytes, edits: list[tuple[str, float, int]]) -> bytes:
    buf = bytearray(data)
    for op, where, value in edits:
        if not buf:
            break
        i = min(int(where * len(buf)), len(buf) - 1)
        if op == "flip":
            buf[i] ^= value or 1
        elif op == "insert":
            buf[i:i] = bytes([value]) * (1 + value % 16)
        elif op == "delete":
            del buf[i : i + 1 + value % 64]
        elif op == "truncate":
            del buf[i:]
        else:
            buf[i : i + 1 + value % 32] = bytes(len(buf[i : i + 1 + value % 32]))
    return bytes(buf)


def test_there_are_seeds() -> None:
    assert any(p.suffix == ".pdf" for p in SEEDS)
    assert any(p.suffix == ".p7s" for p in SEEDS)


@pytest.fixture(scope="module")
def seed_bytes() -> list[bytes]:
    return [p.read_bytes() for p in SEEDS]


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.integers(min_value=0), edits=st.lists(_edit, min_size=1, max_size=6))
def test_no_exception_escapes(
    verifier: Verifier, seed_bytes: list[bytes], seed: int, edits: list[tuple[str, float, int]]
) -> None:
    data = _mutate(seed_bytes[seed % len(seed_bytes)], edits)
    try:
        report = verifier.verify(data)
    except InputError:
        return
    assert isinstance(report, ValidationReport)
    assert report.signatures or report.document is not None
