"""The signatures the verification benchmark verifies, made with the development PKI.

Every signature is a detached CAdES B-LT by ``doctor-ecdsa`` (ECDSA P-256) over its own
20 KB content, so no cache can remember a signature's own result. All are signed and
time-stamped at one moment, :data:`SIGNED_AT`: the development PKI then hands out the same
OCSP responses and CRLs for all of them (it answers per moment, and its RSA signatures are
deterministic), as a real CA does for signatures made within one OCSP validity period.
Only the signer's chain and the revocation data repeat, as in production. Signatures made
at different moments would each carry other revocation data, which no cache keyed on that
data could reuse.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from asn1crypto import cms
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

from docex.devpki.pki import DevPki
from docex.devpki.signing import sign_cades

# Importing cades_asn1 registers certificate-values / revocation-values with asn1crypto,
# so that the unsigned attributes of the signatures parse.
from docex.signatures import cades_asn1  # noqa: F401

SIGNER = "doctor-ecdsa"
CONTENT_BYTES = 20 * 1024
SIGNED_AT = datetime(2025, 6, 1, 10, 0, tzinfo=UTC)
"""Signing time, time-stamp time and revocation-data time of every signature."""


@dataclass(frozen=True)
class Sample:
    """One detached signature and the content it signs."""

    content: bytes
    signature: bytes


def make_samples(
    count: int, *, jobs: int, console: Console, signer: Callable[[int], Sample] | None = None
) -> list[Sample]:
    """Sign ``count`` distinct contents in ``jobs`` processes, showing a progress bar.

    ``signer`` makes signature number ``i`` (default :func:`sign`, the shared moment;
    :func:`sign_own_evidence` gives every signature its own moment and revocation data).

    Signing costs about 0.1 s each (pyHanko, the in-process TSA and OCSP responder), far
    more than verifying, hence the processes.
    """
    progress = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )
    samples: list[Sample] = []
    with progress:
        make = signer or sign
        task = progress.add_task(f"signing in {jobs} process(es)", total=count)

        def collect(signed: Iterable[Sample]) -> None:
            for sample in signed:
                samples.append(sample)
                progress.advance(task)

        if jobs <= 1:
            collect(map(make, range(count)))
        else:
            with ProcessPoolExecutor(max_workers=jobs) as pool:
                collect(pool.map(make, range(count), chunksize=4))
    return samples


def sign(index: int) -> Sample:
    """The signature number ``index``: its own content, the shared moment."""
    content = content_for(index)
    signature = sign_cades(
        _dev_pki(),
        content,
        signer=SIGNER,
        level="B-LT",
        detached=True,
        signing_time=SIGNED_AT,
        timestamp_time=SIGNED_AT,
    )
    return Sample(content=content, signature=signature)


def content_for(index: int) -> bytes:
    """20 KB of referral-like text that differs for every index."""
    line = f"Направлення №{index:08d} на консультацію кардіолога. Пацієнт 0123-4567-89AB.\n"
    data = line.encode() * (CONTENT_BYTES // len(line.encode()) + 1)
    return data[:CONTENT_BYTES]


def signed_data(signature: bytes) -> cms.SignedData:
    """The ``SignedData`` of a DER ``ContentInfo``."""
    return cms.ContentInfo.load(signature)["content"]


def revocation_values_digest(sample: Sample) -> bytes:
    """A digest of the revocation data a B-LT signature embeds, to count distinct sets."""
    signer_info = signed_data(sample.signature)["signer_infos"][0]
    for attr in signer_info["unsigned_attrs"] or ():
        if attr["type"].native == "revocation_values":
            return hashlib.sha256(attr["values"].dump()).digest()
    raise AssertionError("a B-LT signature without revocation-values")


@functools.cache
def _dev_pki() -> DevPki:
    # One per process: each worker loads its own, and its OCSP/CRL memo with it.
    return DevPki.load()


OWN_EVIDENCE_STEP = timedelta(minutes=29)
"""The time between two own-evidence signatures: one doctor signing some fifty documents
a day. Each OCSP response is produced at its own moment; the CRLs are daily (the
development CAs issue one at every UTC midnight), so a run of 208 signatures spans about
four days and five CRLs of each CA."""


def own_evidence_moment(index: int) -> datetime:
    """When own-evidence signature number ``index`` is signed, time-stamped and checked."""
    return SIGNED_AT + index * OWN_EVIDENCE_STEP


def sign_own_evidence(index: int) -> Sample:
    """The signature number ``index`` at its own moment, with its own revocation data."""
    content = content_for(index)
    moment = own_evidence_moment(index)
    signature = sign_cades(
        _dev_pki(),
        content,
        signer=SIGNER,
        level="B-LT",
        detached=True,
        signing_time=moment,
        timestamp_time=moment,
    )
    return Sample(content=content, signature=signature)
