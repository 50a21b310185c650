"""Facts about the UAPKI sample signatures that several Ukrainian-profile tests check against."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

UA_DATA = Path(__file__).resolve().parents[1] / "data" / "ua"
UAPKI = UA_DATA / "uapki"
"""UAPKI's test QTSP "Дія": its certificates, a delta CRL and five CAdES signatures."""
JKURWA = UA_DATA / "jkurwa"
"""jkurwa's self-signed m=257 test key and its signatures."""

# A moment just after the UAPKI CAdES samples were signed by the test key "ДП ДІЯ
# (Тестування)", when its certificate and the "Дія" CA's were valid.
UAPKI_SIGNED_AT = datetime(2023, 9, 19, 18, 30, tzinfo=UTC)
# The qualification message for that key: a qualified certificate for a file key, whose
# QC statements declare no QSCD.
NO_QSCD = "the qualified certificate does not declare a qualified signature device (QSCD)"
