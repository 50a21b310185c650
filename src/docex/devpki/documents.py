"""Sign the exchange's documents with the development PKI.  DEVELOPMENT ONLY.

One place that knows both branches of the dev PKI (certomancer's ECDSA/RSA labels and the
DSTU 4145 labels): who a signer is, as the signed formats name an author
(:class:`~docex.formats.facts.Author`, read from the certificate's ``TINUA-``/``NTRUA-``
identifiers, as the gate reads them), and a CAdES or PAdES signature by that signer.
``docex sign``, the samples in ``certs-dev/samples``, the demo and the benchmarks use it,
so that the content they sign names the same author the certificate does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Final, TypedDict

from docex.errors import DevPkiError
from docex.formats.facts import Author

if TYPE_CHECKING:
    from asn1crypto import x509

    from docex.devpki.dstu_pki import DstuPki
    from docex.devpki.pki import DevPki

DEFAULT_LEVEL: Final = "B-LT"
"""The level ``docex sign`` makes unless told: the gate accepts it offline, because it
carries the dev PKI's OCSP responses and CRLs (the dev PKI's URLs never resolve)."""

PDF_MAGIC: Final = b"%PDF-"


def signer_labels() -> tuple[str, ...]:
    """Every label that signs documents, both branches."""
    from docex.devpki.dstu_pki import DSTU_END_ENTITY_LABELS
    from docex.devpki.pki import END_ENTITY_LABELS

    return (*END_ENTITY_LABELS, *DSTU_END_ENTITY_LABELS)


@dataclass
class DevSigners:
    """The signers of the development PKI, loaded on first use (loading takes a second).

    Pass ``dev_pki`` (or ``dstu_pki``) to reuse a branch already loaded.
    """

    dev_pki: DevPki | None = field(default=None, repr=False)
    dstu_pki: DstuPki | None = field(default=None, repr=False)

    def _is_dstu(self, signer: str) -> bool:
        from docex.devpki.dstu_pki import DSTU_END_ENTITY_LABELS

        if signer not in signer_labels():
            raise DevPkiError(
                f"unknown signer {signer!r}; choose one of {', '.join(signer_labels())}"
            )
        return signer in DSTU_END_ENTITY_LABELS

    def pki(self) -> DevPki:
        """The ECDSA/RSA branch."""
        from docex.devpki.pki import DevPki

        if self.dev_pki is None:
            self.dev_pki = DevPki.load()
        return self.dev_pki

    def dstu(self) -> DstuPki:
        """The DSTU 4145 branch."""
        from docex.devpki.dstu_pki import DstuPki

        if self.dstu_pki is None:
            self.dstu_pki = DstuPki.load()
        return self.dstu_pki

    def certificate(self, signer: str) -> x509.Certificate:
        """The signing certificate of ``signer``."""
        return self.dstu().cert(signer) if self._is_dstu(signer) else self.pki().cert(signer)

    def author(self, signer: str) -> Author:
        """The author a document signed by ``signer`` names: as its certificate does.

        A person's certificate gives the practitioner's RNOKPP and the facility's EDRPOU;
        a seal's only the EDRPOU (the organization is the author).

        :raises DevPkiError: the certificate names no facility.
        """
        from docex.signatures.identity import signer_identity

        identity = signer_identity(self.certificate(signer))
        if identity.edrpou is None:
            raise DevPkiError(f"{signer}'s certificate names no facility (no NTRUA- EDRPOU)")
        return Author(rnokpp=identity.rnokpp, edrpou=identity.edrpou)

    def digest_of(self, signer: str, digest: str | None) -> str:
        """The digest ``signer`` signs with: ``digest``, or its branch's default."""
        if self._is_dstu(signer):
            # The DSTU branch signs with GOST 34.311-95 only.
            if digest not in (None, "gost34311"):
                raise DevPkiError(f"{signer} signs with GOST 34.311-95 (--digest gost34311)")
            return "gost34311"
        return digest or "sha256"

    def sign_cades(
        self,
        content: bytes,
        *,
        signer: str,
        detached: bool,
        level: str = DEFAULT_LEVEL,
        digest: str | None = None,
        signing_time: datetime | None = None,
        timestamp_time: datetime | None = None,
    ) -> bytes:
        """A CAdES signature of ``content`` by ``signer`` (DER ``ContentInfo``)."""
        from docex.devpki.signing import sign_cades

        chosen = self.digest_of(signer, digest)
        by = _SignedBy(
            signer=signer, level=level, signing_time=signing_time, timestamp_time=timestamp_time
        )
        if self._is_dstu(signer):
            return self.dstu().sign_cades(content, detached=detached, **by)
        return sign_cades(self.pki(), content, detached=detached, digest=chosen, **by)

    def sign_pades(
        self,
        pdf: bytes,
        *,
        signer: str,
        level: str = DEFAULT_LEVEL,
        digest: str | None = None,
        signing_time: datetime | None = None,
        timestamp_time: datetime | None = None,
    ) -> bytes:
        """A PAdES signature of ``pdf`` by ``signer``: the signed PDF."""
        from docex.devpki.signing import sign_pades

        chosen = self.digest_of(signer, digest)
        by = _SignedBy(
            signer=signer, level=level, signing_time=signing_time, timestamp_time=timestamp_time
        )
        if self._is_dstu(signer):
            return self.dstu().sign_pades(pdf, **by)
        return sign_pades(self.pki(), pdf, digest=chosen, **by)


class _SignedBy(TypedDict):
    """What both branches' signing functions take alike, for CAdES and PAdES."""

    signer: str
    level: str
    signing_time: datetime | None
    timestamp_time: datetime | None
