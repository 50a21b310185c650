"""The facility registry, looked up by EDRPOU: whom a document can be addressed to."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field

from docex.api.deps import PrincipalDep, RuntimeDep
from docex.api.pagination import page_parameters
from docex.db.pagination import PageRequest
from docex.domain import FacilityStatus
from docex.registry.records import FacilityRecord
from docex.services import facilities as registry

router = APIRouter(prefix="/api/v1/facilities", tags=["facilities"])

EDRPOU_PATTERN = r"^\d{8}$"


class FacilityOut(BaseModel):
    """A registered facility, by the code the State Register gives it."""

    edrpou: str = Field(description="The facility's EDRPOU code: how every response names it.")
    name: str
    status: FacilityStatus = Field(description="Only an `active` facility can be addressed.")

    @classmethod
    def of(cls, facility: FacilityRecord) -> FacilityOut:
        """The public fields of a registered facility."""
        return cls(edrpou=facility.edrpou, name=facility.name, status=facility.status)


class FacilityPageOut(BaseModel):
    """A page of facilities by EDRPOU; pass ``next_cursor`` as ``cursor`` for the next."""

    items: list[FacilityOut]
    next_cursor: str | None


@router.get("", response_model=FacilityPageOut)
def list_facilities(
    runtime: RuntimeDep,
    # Any authenticated token may look the registry up; the dependency is the check.
    principal: PrincipalDep,
    edrpou: Annotated[
        str | None, Query(pattern=EDRPOU_PATTERN, description="Only this facility.")
    ] = None,
    status: FacilityStatus | None = None,
    # Keyword-only: the page parameters come last, as in the published schema.
    *,
    page: Annotated[
        PageRequest, Depends(page_parameters(default=100, maximum=registry.MAX_PAGE_SIZE))
    ],
) -> FacilityPageOut:
    """List registered facilities by EDRPOU, active and inactive."""
    found = registry.page_facilities(
        sessions=runtime.sessions,
        edrpou=edrpou,
        status=status,
        cursor=page.cursor,
        limit=page.limit,
    )
    return FacilityPageOut(
        items=[FacilityOut.of(f) for f in found.facilities], next_cursor=found.next_cursor
    )


@router.get("/{edrpou}", response_model=FacilityOut)
def get_facility(
    edrpou: Annotated[str, Path(pattern=EDRPOU_PATTERN)],
    runtime: RuntimeDep,
    principal: PrincipalDep,
) -> FacilityOut:
    """A registered facility by its EDRPOU, active or not."""
    return FacilityOut.of(registry.find_facility(sessions=runtime.sessions, edrpou=edrpou))
