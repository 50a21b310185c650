"""The identifier systems the signed formats use, and what a valid value of each is.

No FHIR naming system is published for the Ukrainian registers, so docex names them with
URNs of its own; they are fixed by the format version (changing one is a new version).
"""

from __future__ import annotations

import re
import uuid

PATIENT_EHEALTH = "urn:ua:ehealth:person"
"""A patient's person id in the eHealth central database (a UUID)."""
RNOKPP = "urn:ua:rnokpp"
"""РНОКПП, the taxpayer number of a person: 10 digits (patients and practitioners)."""
EDRPOU = "urn:ua:edrpou"
"""ЄДРПОУ, the register code of a legal entity: 8 digits (facilities)."""
DOCEX_DOCUMENT = "urn:docex:document"
"""A document in this exchange, by its id (a UUID): the referral a result answers."""
TASK_CODES = "urn:docex:task-code"
"""The code system of the status changes and receipts (``Task.code``)."""
EXTENSION_RECIPIENT = "urn:docex:extension:recipient"
"""The facility a result or a manifest is addressed to (``valueReference`` by EDRPOU)."""
EXTENSION_REPLACES = "urn:docex:extension:replaces"
"""The earlier result a correction replaces (``valueReference`` by docex document id)."""

PATIENT_SYSTEMS = (PATIENT_EHEALTH, RNOKPP)

_RNOKPP = re.compile(r"\d{10}")
_EDRPOU = re.compile(r"\d{8}")


def valid_patient_value(system: str, value: str) -> str | None:
    """Why ``value`` is not a patient identifier of ``system``; None if it is."""
    if system == RNOKPP:
        return None if _RNOKPP.fullmatch(value) else "an RNOKPP is 10 digits"
    if system == PATIENT_EHEALTH:
        return None if _is_uuid(value) else "an eHealth person id is a UUID"
    return f"the patient is identified by {' or '.join(PATIENT_SYSTEMS)}"


def is_rnokpp(value: str) -> bool:
    """Whether ``value`` has the form of an RNOKPP."""
    return _RNOKPP.fullmatch(value) is not None


def is_edrpou(value: str) -> bool:
    """Whether ``value`` has the form of an EDRPOU code."""
    return _EDRPOU.fullmatch(value) is not None


def _is_uuid(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value.lower()
    except ValueError:
        return False
