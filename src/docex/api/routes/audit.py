"""The audit trail, for auditors: who submitted, received and read what."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from docex.api.deps import PrincipalDep, RuntimeDep
from docex.api.pagination import page_parameters
from docex.audit.query import MAX_PAGE_SIZE, AuditFilter
from docex.db.pagination import PageRequest
from docex.domain import ActorKind, Outcome
from docex.services.audit_trail import TrailEntry, read_audit_log

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


class AuditEntryOut(BaseModel):
    """One entry of the audit chain, with the hashes that link it to its neighbours."""

    id: int
    created_at: datetime
    actor_kind: ActorKind
    actor_facility_edrpou: str | None = Field(description="EDRPOU of the acting facility.")
    actor_token_id: int | None
    actor_employee_rnokpp: str | None
    action: str
    target_type: str | None
    target_id: str | None
    outcome: Outcome
    details: dict[str, Any]
    chain: int = Field(
        description="Which of the log's chains the entry is in (one facility's entries "
        "share one chain)."
    )
    prev_hash: str = Field(description="Hash of the entry before this one in its chain.")
    hash: str = Field(
        description="SHA-256 over prev_hash and this entry's fields, which name the facility "
        "by its internal id: re-compute it over `docex audit export`."
    )

    @classmethod
    def of(cls, trail: TrailEntry) -> AuditEntryOut:
        """The entry as clients see it: its facility by EDRPOU."""
        entry = trail.entry
        return cls(
            id=entry.id,
            created_at=entry.created_at,
            actor_kind=entry.actor_kind,
            actor_facility_edrpou=trail.actor_facility_edrpou,
            actor_token_id=entry.actor_token_id,
            actor_employee_rnokpp=entry.actor_employee_rnokpp,
            action=entry.action,
            target_type=entry.target_type,
            target_id=entry.target_id,
            outcome=entry.outcome,
            details=entry.details,
            chain=entry.chain,
            prev_hash=entry.prev_hash,
            hash=entry.hash,
        )


class AuditPageOut(BaseModel):
    """A page of entries in chain order; pass ``next_cursor`` as ``cursor`` for the next."""

    items: list[AuditEntryOut]
    next_cursor: str | None


@router.get(
    "",
    response_model=AuditPageOut,
    responses={403: {"description": "The token is not an auditor's"}},
)
def list_audit_entries(
    runtime: RuntimeDep,
    principal: PrincipalDep,
    action: Annotated[
        str | None, Query(max_length=64, description="An action, or a family: `document.*`.")
    ] = None,
    actor_facility: Annotated[
        str | None, Query(pattern=r"^\d{8}$", description="The acting facility's EDRPOU.")
    ] = None,
    actor_token: Annotated[int | None, Query(description="The token used.")] = None,
    target_type: Annotated[str | None, Query(max_length=32)] = None,
    target_id: Annotated[str | None, Query(max_length=100)] = None,
    outcome: Outcome | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    # Keyword-only: the page parameters come last, as in the published schema.
    *,
    page: Annotated[PageRequest, Depends(page_parameters(default=100, maximum=MAX_PAGE_SIZE))],
) -> AuditPageOut:
    """Read the audit trail, oldest first (auditors only)."""
    entries = read_audit_log(
        sessions=runtime.sessions,
        principal=principal,
        where=AuditFilter(
            action=action,
            actor_facility_edrpou=actor_facility,
            actor_token_id=actor_token,
            target_type=target_type,
            target_id=target_id,
            outcome=outcome,
            since=since,
            until=until,
        ),
        cursor=page.cursor,
        limit=page.limit,
    )
    return AuditPageOut(
        items=[AuditEntryOut.of(entry) for entry in entries.entries],
        next_cursor=entries.next_cursor,
    )
