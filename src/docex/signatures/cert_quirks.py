"""Certificates with one known encoding defect, read as if the defective part were absent.

jkurwa's self-signed test certificates (and some early Ukrainian tools) encode the
authority key identifier extension as a bare OCTET STRING (the key identifier alone)
instead of the ``AuthorityKeyIdentifier`` SEQUENCE. asn1crypto parses all of a
certificate's extensions at the first access to any of them, so that one extension makes
every later read (key usage, basic constraints, ...) raise ``ValueError``, and
pyhanko-certvalidator with it.

The AKI only helps to pick an issuer among candidates with the same name; without it,
path building compares names and verifies signatures as it does for certificates that
carry none. So a *non-critical* AKI that cannot be parsed is treated as absent. Nothing
else is relaxed: a critical one, or any other unparsable extension, still fails as before.
The certificate's encoding is not changed (its hash, the ESS binding and its signature
are over the same bytes).
"""

from __future__ import annotations

from typing import Any

from asn1crypto import x509

_AKI = "authority_key_identifier"


def tolerate_unparsable_aki(cert: x509.Certificate) -> bool:
    """Make ``cert``'s extensions readable if only a non-critical AKI is unparsable.

    Idempotent and cheap for well-formed certificates (asn1crypto's own, cached reading).

    :return: True when the certificate had such an AKI, now read as absent.
    """
    try:
        cert.authority_key_identifier  # noqa: B018  # parses every extension, once
    except ValueError:
        return _read_without_aki(cert)
    return False


def _read_without_aki(cert: x509.Certificate) -> bool:
    # The same reading as asn1crypto's Certificate._set_extensions, except for the AKI.
    values: dict[str, Any] = {}
    critical: set[str] = set()
    tolerated = False
    for extension in cert["tbs_certificate"]["extensions"]:
        name = extension["extn_id"].native
        is_critical = bool(extension["critical"].native)
        attribute = f"_{name}_value"
        if hasattr(cert, attribute):
            try:
                values[attribute] = extension["extn_value"].parsed
            except ValueError:
                if name != _AKI or is_critical:
                    return False  # not the tolerated defect: asn1crypto raises as before
                values[attribute] = None
                tolerated = True
        if is_critical:
            critical.add(name)
    if not tolerated:
        return False
    for attribute, value in values.items():
        setattr(cert, attribute, value)
    cert._critical_extensions = critical  # asn1crypto's own cache, as _set_extensions fills it
    cert._processed_extensions = True
    return True
