"""Who may use the exchange: facilities, their employees, and API tokens.

Every service takes the SQLAlchemy session of the caller's unit of work
(:func:`docex.db.unit_of_work`) as its first argument and keyword-only arguments after
it; none commits on its own. Results are frozen records, not ORM rows.
"""

from docex.registry.employees import (
    add_employee,
    deactivate_employee,
    find_active_employee,
    list_employees,
    reactivate_employee,
)
from docex.registry.facilities import (
    add_facility,
    deactivate_facility,
    get_facility,
    get_facility_by_edrpou,
    list_facilities,
)
from docex.registry.records import (
    EmployeeRecord,
    FacilityRecord,
    IssuedToken,
    Principal,
    TokenRecord,
)
from docex.registry.tokens import (
    TokenPolicy,
    authenticate,
    issue_token,
    list_tokens,
    revoke_token,
    rotate_token,
)

__all__ = [
    "EmployeeRecord",
    "FacilityRecord",
    "IssuedToken",
    "Principal",
    "TokenPolicy",
    "TokenRecord",
    "add_employee",
    "add_facility",
    "authenticate",
    "deactivate_employee",
    "deactivate_facility",
    "find_active_employee",
    "get_facility",
    "get_facility_by_edrpou",
    "issue_token",
    "list_employees",
    "list_facilities",
    "list_tokens",
    "reactivate_employee",
    "revoke_token",
    "rotate_token",
]
