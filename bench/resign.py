"""Many distinct CAdES B-LT signatures fast: one made by pyHanko per signer, the others
re-signed from it.

The submission benchmark needs thousands of distinct documents (every accepted one is a
new row and two new S3 objects), and ``docex.devpki.sign_cades`` costs about 0.15 s a
signature, mostly asn1crypto re-encoding certificates and revocation data. Every
signature by one signer differs from the others only where the content does, since all
are made at one moment (see ``corpus.py``):

* the ``message-digest`` signed attribute (SHA-256 of the content) and so the signer's
  ECDSA signature over the signed attributes;
* the signature time-stamp token: its ``TSTInfo`` imprints the signature value and has
  its own serial number, so its ``message-digest`` and the TSA's RSA signature change.

:class:`Resigner` takes a template made by ``sign_cades`` and redoes exactly those with the
development PKI's signer and TSA keys; certificates, ``certificate-values`` and
``revocation-values`` are copied as they are. The results are real signatures that docex
verifies like any other (the benchmark checks a sample before it starts).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor

from asn1crypto import cms
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from corpus import SIGNED_AT, SIGNER
from docex.devpki.pki import TSA, DevPki
from docex.devpki.signing import sign_cades
from exchange import SIGNERS, Exchanged, document_for

# The first byte of the re-made time-stamps' serial numbers, which are that byte and the
# index in as many bytes as the template's (certomancer's are random, about 8 bytes).
_SERIAL_PREFIX = 0x10


class Resigner:
    """Re-signs a template B-LT signature by an ECDSA P-256 signer over other contents.

    Every value that changes keeps its length (digests, the TSA's RSA-2048 signature, a
    time-stamp serial number of the template's length, an ECDSA signature re-made until
    its DER is as long as the template's), so the new signature is the template with
    those bytes replaced: no ASN.1 re-encoding, about a millisecond a signature.
    """

    def __init__(self, template: bytes, pki: DevPki, *, signer: str = SIGNER) -> None:
        signer_key = serialization.load_der_private_key(pki.key(signer).dump(), password=None)
        tsa_key = serialization.load_der_private_key(pki.key(TSA).dump(), password=None)
        assert isinstance(signer_key, ec.EllipticCurvePrivateKey)
        assert isinstance(tsa_key, rsa.RSAPrivateKey)
        self.signer_key = signer_key
        self.tsa_key = tsa_key
        self.template = template

        signer_info = cms.ContentInfo.load(template)["content"]["signer_infos"][0]
        assert signer_info["signature_algorithm"]["algorithm"].native == "sha256_ecdsa"
        self.signed_attrs = signer_info["signed_attrs"].untag().dump()
        self.content_digest = _message_digest(signer_info["signed_attrs"])
        self.signature = signer_info["signature"].native

        token = _timestamp_token(signer_info)["content"]
        tsa_info = token["signer_infos"][0]
        assert tsa_info["signature_algorithm"]["algorithm"].native == "rsassa_pkcs1v15"
        assert tsa_info["digest_algorithm"]["algorithm"].native == "sha256"
        info = token["encap_content_info"]["content"].parsed
        self.tst_info = info.dump()
        self.imprint = info["message_imprint"]["hashed_message"].native
        assert self.imprint == hashlib.sha256(self.signature).digest()
        self.serial = info["serial_number"].contents
        self.tsa_signed_attrs = tsa_info["signed_attrs"].untag().dump()
        self.tst_digest = _message_digest(tsa_info["signed_attrs"])
        self.tsa_signature = tsa_info["signature"].native
        for old in (
            self.content_digest,
            self.signature,
            self.tst_info,
            self.tst_digest,
            self.tsa_signature,
        ):
            assert template.count(old) == 1, "a value to replace is not unique in the template"
        assert self.tst_info.count(self.imprint) == 1
        assert self.tst_info.count(self.serial) == 1
        assert len(self.serial) >= 4, "the template's time-stamp serial number is too short"

    def sign(self, content: bytes, serial: int) -> bytes:
        """A detached CAdES B-LT over ``content``; ``serial`` numbers its time-stamp."""
        digest = hashlib.sha256(content).digest()
        signed_attrs = _replace(self.signed_attrs, self.content_digest, digest)
        signature = b""
        while len(signature) != len(self.signature):
            signature = self.signer_key.sign(signed_attrs, ec.ECDSA(hashes.SHA256()))

        serial_bytes = bytes([_SERIAL_PREFIX]) + serial.to_bytes(len(self.serial) - 1, "big")
        tst_info = _replace(self.tst_info, self.imprint, hashlib.sha256(signature).digest())
        tst_info = _replace(tst_info, self.serial, serial_bytes)
        tst_digest = hashlib.sha256(tst_info).digest()
        tsa_attrs = _replace(self.tsa_signed_attrs, self.tst_digest, tst_digest)
        tsa_signature = self.tsa_key.sign(tsa_attrs, padding.PKCS1v15(), hashes.SHA256())
        assert len(tsa_signature) == len(self.tsa_signature)

        der = _replace(self.template, self.content_digest, digest)
        der = _replace(der, self.signature, signature)
        der = _replace(der, self.tst_info, tst_info)
        der = _replace(der, self.tst_digest, tst_digest)
        return _replace(der, self.tsa_signature, tsa_signature)


def _replace(data: bytes, old: bytes, new: bytes) -> bytes:
    assert len(old) == len(new)
    return data.replace(old, new, 1)


def _message_digest(signed_attrs: cms.CMSAttributes) -> bytes:
    for attr in signed_attrs:
        if attr["type"].native == "message_digest":
            value: bytes = attr["values"][0].native
            return value
    raise AssertionError("signed attributes without message-digest")


def _timestamp_token(signer_info: cms.SignerInfo) -> cms.ContentInfo:
    for attr in signer_info["unsigned_attrs"]:
        if attr["type"].native == "signature_time_stamp_token":
            return attr["values"][0]
    raise AssertionError("the template has no signature time-stamp")


# --- many at once, in processes ------------------------------------------------------


@functools.cache
def _resigner(template: bytes, signer: str) -> Resigner:
    return Resigner(template, DevPki.load(), signer=signer)


def _resign_range(templates: dict[str, bytes], indexes: range) -> list[Exchanged]:
    documents = []
    for index in indexes:
        kind, signer, edrpou, content = document_for(index)
        signature = _resigner(templates[signer], signer).sign(content, index)
        documents.append(
            Exchanged(content=content, signature=signature, kind=kind, signer=signer, edrpou=edrpou)
        )
    return documents


def templates() -> dict[str, bytes]:
    """One pyHanko signature per signer of ``exchange.py``, at the corpus's moment."""
    pki = DevPki.load()
    made = {}
    for signer in SIGNERS:
        # Any content: only its digest is replaced when re-signing.
        made[signer] = sign_cades(
            pki,
            b"template",
            signer=signer,
            level="B-LT",
            detached=True,
            signing_time=SIGNED_AT,
            timestamp_time=SIGNED_AT,
        )
    return made


def make_many(count: int, *, jobs: int, console: Console, first: int = 1) -> list[Exchanged]:
    """``count`` distinct documents (indexes ``first`` on) re-signed from :func:`templates`."""
    signed = templates()
    progress = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )
    batch = 50
    batches = [range(i, min(i + batch, first + count)) for i in range(first, first + count, batch)]
    documents: list[Exchanged] = []
    with progress:
        task = progress.add_task(f"signing in {jobs} process(es)", total=count)

        def collect(done: Iterable[list[Exchanged]]) -> None:
            for chunk in done:
                documents.extend(chunk)
                progress.advance(task, len(chunk))

        if jobs <= 1:
            collect(_resign_range(signed, r) for r in batches)
        else:
            with ProcessPoolExecutor(max_workers=jobs) as pool:
                collect(pool.map(_resign_range, [signed] * len(batches), batches))
    return documents
