"""The whole docex schema: every table module imported, so ``metadata`` holds them all.

Alembic (``migrations/env.py``) and the tests compare this metadata with a database;
a new table module is added here, or the migrations check does not see it.
"""

from __future__ import annotations

from docex.db.audit import AuditChainConfig, AuditEntry
from docex.db.base import Base
from docex.db.deliveries import Delivery
from docex.db.documents import Document, Revalidation
from docex.db.referrals import Referral, ReferralTransition
from docex.db.registry import ApiToken, Employee, Facility
from docex.db.webhooks import OutboxEvent, WebhookSubscription

metadata = Base.metadata
"""Every docex table, with the naming convention of :mod:`docex.db.base`."""

__all__ = [
    "ApiToken",
    "AuditChainConfig",
    "AuditEntry",
    "Delivery",
    "Document",
    "Employee",
    "Facility",
    "OutboxEvent",
    "Referral",
    "ReferralTransition",
    "Revalidation",
    "WebhookSubscription",
    "metadata",
]
