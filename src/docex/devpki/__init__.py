"""The development PKI and signing helpers.  DEVELOPMENT ONLY -- never trust in production.

A reproducible PKI described in ``dev-pki.yml`` (certomancer), with committed keys, that
stands for a Ukrainian qualified trust service provider; and helpers that make CAdES and
PAdES signatures with it, fully in-process. Tests and demos use this; the verifier never
imports it.
"""

from __future__ import annotations

from docex.devpki.pdf import minimal_pdf
from docex.devpki.pki import END_ENTITY_LABELS, DevPki
from docex.devpki.signing import (
    CADES_LEVELS,
    PADES_LEVELS,
    ValidationData,
    sign_cades,
    sign_pades,
    validation_data,
)

__all__ = [
    "CADES_LEVELS",
    "END_ENTITY_LABELS",
    "PADES_LEVELS",
    "DevPki",
    "ValidationData",
    "minimal_pdf",
    "sign_cades",
    "sign_pades",
    "validation_data",
]
