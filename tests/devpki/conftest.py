from datetime import UTC, datetime

import pytest

from docex.devpki import DevPki

# A moment after the revocation of `revoked` (2026-01-15) and inside every
# non-expired certificate's validity.
AFTER_REVOCATION = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
BEFORE_REVOCATION = datetime(2026, 1, 14, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def pki() -> DevPki:
    return DevPki.load()
