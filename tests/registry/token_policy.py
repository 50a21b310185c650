"""The token policy and the starting moment the registry's token tests share."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from docex.registry import TokenPolicy

POLICY = TokenPolicy(
    pepper=b"p" * 32,
    touch_interval=timedelta(minutes=1),
    lifetime=timedelta(days=90),
    rotation_overlap=timedelta(hours=24),
)
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
