"""A PDF's DSS and its signatures' CMS share one object per certificate (issue 12).

certvalidator's registries hash every certificate's names, and asn1crypto prepares a name
(LDAP string preparation, the costliest step of hashing it) once per object: a certificate
the DSS repeats from a CMS, read as a second object, had its names prepared twice. The DSS
is now read through the cache the CMS readers use; the validation data is otherwise the same.
"""

from __future__ import annotations

from pathlib import Path

from docex.signatures import pades
from docex.signatures.evidence import dss_validation_data, from_signed_data
from docex.signatures.limits import DEFAULT_LIMITS
from docex.signatures.parsed import ParsedCache
from docex.signatures.pdf_embedded import filled_signature_fields

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "certs-dev" / "samples" / "examination-result.pdf"


def test_the_dss_repeats_cms_certificates_as_the_same_objects() -> None:
    reader = pades.open_pdf(SAMPLE.read_bytes())
    parsed = ParsedCache()
    cms_certs = [
        cert
        for name, _, field in filled_signature_fields(reader)
        for cert in from_signed_data(
            pades.read_signature(reader, field, str(name)).embedded.signed_data, parsed=parsed
        ).certs
    ]
    shared = dss_validation_data(reader, limits=DEFAULT_LIMITS, parsed=parsed)
    alone = dss_validation_data(reader, limits=DEFAULT_LIMITS)
    # The same data, in the same order...
    assert [c.dump() for c in shared.certs] == [c.dump() for c in alone.certs]
    assert [c.dump() for c in shared.crls] == [c.dump() for c in alone.crls]
    assert [r.dump() for r in shared.ocsps] == [r.dump() for r in alone.ocsps]
    # ...and every certificate the DSS repeats from a CMS is that CMS's object.
    by_der = {c.dump(): c for c in cms_certs}
    repeated = [c for c in shared.certs if c.dump() in by_der]
    assert repeated, "the sample's DSS repeats its signatures' certificates"
    assert all(c is by_der[c.dump()] for c in repeated)
    assert not any(c is by_der.get(c.dump()) for c in alone.certs)
