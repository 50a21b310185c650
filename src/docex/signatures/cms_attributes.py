"""Reading a CMS signer's attributes: signing time, signing certificate, algorithm protection.

pyHanko has these as helpers of ``pyhanko.sign.validation.generic_cms``; importing that
module imports pyHanko's PDF validation (``status`` → ``diff_analysis`` → the PDF reader),
about a sixth of a one-file ``docex verify`` of a ``.p7s`` (issue 12). These functions
keep the names, arguments, results and exceptions of pyHanko's, so that their callers
read the same, and ``tests/signatures/test_cms_attributes.py`` holds them to pyHanko's
answers. They use only pyHanko's attribute lookup and error types, which load without
the PDF side.
"""

from __future__ import annotations

from datetime import datetime

from asn1crypto import algos, cms, tsp
from pyhanko.sign.ades.report import AdESIndeterminate
from pyhanko.sign.general import (
    CMSStructuralError,
    MultivaluedAttributeError,
    NonexistentAttributeError,
    find_unique_cms_attribute,
)
from pyhanko.sign.validation.errors import CMSAlgorithmProtectionError, SignatureValidationError


def extract_self_reported_ts(signer_info: cms.SignerInfo) -> datetime | None:
    """The signer's own ``signingTime`` attribute, or ``None`` if it has none (or several).

    It is what the signer claims, not a proof of time.
    """
    try:
        value: datetime = find_unique_cms_attribute(
            signer_info["signed_attrs"], "signing_time"
        ).native
    except (NonexistentAttributeError, MultivaluedAttributeError):
        return None
    return value


def get_signing_cert_attr(
    signed_attrs: cms.CMSAttributes,
) -> tsp.SigningCertificate | tsp.SigningCertificateV2 | None:
    """The ``signingCertificateV2`` attribute, else ``signingCertificate``, else ``None``.

    :raises SignatureValidationError: the attribute occurs more than once (RFC 5035 allows
        one), with sub-indication ``NO_SIGNING_CERTIFICATE_FOUND``.
    """
    found = _signing_cert_attr(signed_attrs, "signing_certificate_v2", tsp.SigningCertificateV2)
    if found is None:
        found = _signing_cert_attr(signed_attrs, "signing_certificate", tsp.SigningCertificate)
    return found


def _signing_cert_attr(
    signed_attrs: cms.CMSAttributes,
    name: str,
    kind: type[tsp.SigningCertificate] | type[tsp.SigningCertificateV2],
) -> tsp.SigningCertificate | tsp.SigningCertificateV2 | None:
    try:
        value = find_unique_cms_attribute(signed_attrs, name)
    except NonexistentAttributeError:
        return None
    except MultivaluedAttributeError as exc:
        raise SignatureValidationError(
            "Wrong cardinality for signing certificate attribute",
            ades_subindication=AdESIndeterminate.NO_SIGNING_CERTIFICATE_FOUND,
        ) from exc
    # A copy: reading into the parsed attribute would mark the signed attributes as
    # changed, and they must be re-encoded byte for byte to check the signature.
    return kind.load(value.dump())


def validate_algorithm_protection(
    attrs: cms.CMSAttributes,
    claimed_digest_algorithm_obj: cms.DigestAlgorithm,
    claimed_signature_algorithm_obj: algos.SignedDigestAlgorithm | None,
    claimed_mac_algorithm_obj: algos.HmacAlgorithm | None,
) -> None:
    """Check the RFC 6211 ``CMSAlgorithmProtection`` attribute, if there is one.

    The signed attribute repeats the algorithms the unsigned ``SignerInfo`` fields name,
    so that swapping those is detected.

    :raises CMSStructuralError: the attribute occurs more than once.
    :raises CMSAlgorithmProtectionError: it names other algorithms than the claimed ones.
    """
    try:
        protection = find_unique_cms_attribute(attrs, "cms_algorithm_protection")
    except NonexistentAttributeError:
        return
    except MultivaluedAttributeError:
        raise _structural("Multiple CMS algorithm protection attributes present") from None
    if protection["digest_algorithm"].native != claimed_digest_algorithm_obj.native:
        raise _mismatch("Digest algorithm does not match CMS algorithm protection attribute.")
    if claimed_signature_algorithm_obj is not None:
        protected = protection["signature_algorithm"].native
        if protected is None:
            raise _mismatch("CMS algorithm protection attribute not valid for signed data")
        if protected != claimed_signature_algorithm_obj.native:
            raise _mismatch(
                "Signature mechanism does not match CMS algorithm protection attribute."
            )
    if claimed_mac_algorithm_obj is not None:
        protected = protection["mac_algorithm"].native
        if protected is None:
            raise _mismatch("CMS algorithm protection attribute not valid for authenticated data")
        if protected != claimed_mac_algorithm_obj.native:
            raise _mismatch("MAC mechanism does not match CMS algorithm protection attribute.")


# pyHanko leaves these exceptions' constructors unannotated; one place says so.
def _structural(message: str) -> CMSStructuralError:
    return CMSStructuralError(message)  # type: ignore[no-untyped-call]


def _mismatch(message: str) -> CMSAlgorithmProtectionError:
    return CMSAlgorithmProtectionError(message)  # type: ignore[no-untyped-call]
