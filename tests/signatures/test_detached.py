"""A detached content given by its digests verifies exactly as the same bytes do."""

from __future__ import annotations

import io

import pytest

from docex.devpki.pki import DevPki
from docex.devpki.signing import sign_cades
from docex.errors import InputTooLargeError
from docex.signatures.detached import CHUNK_BYTES, ContentDigests, content_digest_algorithms
from docex.signatures.dstu import GOST34311, hash_bytes
from docex.signatures.report import Indication, Qualification, SubIndication, ValidationReport
from docex.signatures.trust import load_trust_store
from docex.signatures.verifier import Verifier
from tests.signatures.conftest import CONTENT, DEV_TRUST
from tests.signatures.ua_samples import UAPKI
from tests.signatures.ua_samples import UAPKI_SIGNED_AT as SIGNED_AT

LIMIT = 64 * 1024 * 1024


def digests_of(signature: bytes, content: bytes) -> ContentDigests:
    algorithms = content_digest_algorithms(signature, max_input_bytes=LIMIT)
    return ContentDigests.of_stream(io.BytesIO(content), algorithms)


def same_verdict(a: ValidationReport, b: ValidationReport) -> None:
    assert (a.indication, a.sub_indication, a.qualification, a.message) == (
        b.indication,
        b.sub_indication,
        b.qualification,
        b.message,
    )
    assert [[(c.name, c.outcome, c.message) for c in s.checks] for s in a.signatures] == [
        [(c.name, c.outcome, c.message) for c in s.checks] for s in b.signatures
    ]
    assert a.document == b.document


@pytest.mark.parametrize("digest", ["sha256", "sha384", "sha512"])
def test_digests_of_a_content_pass_as_its_bytes_do(
    pki: DevPki, verifier: Verifier, digest: str
) -> None:
    signature = sign_cades(pki, CONTENT, signer="doctor-ecdsa", level="B-LT", digest=digest)
    assert content_digest_algorithms(signature, max_input_bytes=LIMIT) == {digest}
    by_digests = verifier.verify(signature, content=digests_of(signature, CONTENT))
    assert (by_digests.indication, by_digests.sub_indication, by_digests.qualification) == (
        Indication.TOTAL_PASSED,
        None,
        Qualification.QESIG,
    )
    assert by_digests.document.detached is True
    same_verdict(by_digests, verifier.verify(signature, content=CONTENT))


def test_digests_of_another_content_are_a_hash_failure(pki: DevPki, verifier: Verifier) -> None:
    signature = sign_cades(pki, CONTENT, signer="doctor-ecdsa", level="B-LT")
    report = verifier.verify(signature, content=digests_of(signature, CONTENT + b" "))
    assert (report.indication, report.sub_indication) == (
        Indication.TOTAL_FAILED,
        SubIndication.HASH_FAILURE,
    )
    assert report.message == "the signed content does not match the message digest in the signature"


def test_digests_lacking_the_signers_algorithm_cannot_be_checked(
    pki: DevPki, verifier: Verifier
) -> None:
    signature = sign_cades(pki, CONTENT, signer="doctor-ecdsa", level="B-LT", digest="sha384")
    only_sha256 = ContentDigests.of_stream(io.BytesIO(CONTENT), ())
    report = verifier.verify(signature, content=only_sha256)
    assert (report.indication, report.sub_indication) == (
        Indication.INDETERMINATE,
        SubIndication.CRYPTO_CONSTRAINTS_FAILURE,
    )
    assert report.message == "digest algorithm sha384 is not supported"


def test_digests_beside_an_attached_content_must_match_it(pki: DevPki, verifier: Verifier) -> None:
    attached = sign_cades(pki, CONTENT, signer="doctor-ecdsa", level="B-LT", detached=False)
    assert content_digest_algorithms(attached, max_input_bytes=LIMIT) == frozenset()
    same = verifier.verify(attached, content=ContentDigests.of_stream(io.BytesIO(CONTENT), ()))
    assert same.indication is Indication.TOTAL_PASSED
    other = verifier.verify(attached, content=ContentDigests.of_stream(io.BytesIO(b"x"), ()))
    assert (other.indication, other.sub_indication) == (
        Indication.TOTAL_FAILED,
        SubIndication.HASH_FAILURE,
    )
    assert "differs from the content attached" in other.message


def test_digests_larger_than_the_input_bound_are_refused(pki: DevPki) -> None:
    signature = sign_cades(pki, CONTENT, signer="doctor-ecdsa", level="B-LT")
    digests = digests_of(signature, CONTENT)
    with Verifier(load_trust_store([DEV_TRUST]), max_input_bytes=len(CONTENT) - 1) as small:
        with pytest.raises(InputTooLargeError, match="signed content exceeds the limit"):
            small.verify(signature, content=digests)


def test_a_dstu_detached_signature_is_checked_by_its_gost_digest() -> None:
    signature = (UAPKI / "cades-bes-detached.p7s").read_bytes()
    content = (UAPKI / "cades-bes-detached.data").read_bytes()
    assert content_digest_algorithms(signature, max_input_bytes=LIMIT) == {GOST34311}
    digests = digests_of(signature, content)
    assert digests.digest(GOST34311) == hash_bytes(GOST34311, content)
    with Verifier(
        load_trust_store([UAPKI / "CAO-05E19E2CD92EA2990100000001000000C1000000.cer"])
    ) as v:
        same_verdict(
            v.verify(signature, content=digests, at=SIGNED_AT),
            v.verify(signature, content=content, at=SIGNED_AT),
        )


def test_streaming_hashes_across_chunk_boundaries() -> None:
    data = bytes(range(256)) * (CHUNK_BYTES // 128 + 3)
    digests = ContentDigests.of_stream(io.BytesIO(data), ["sha384"])
    assert digests.size == len(data)
    assert set(digests.digests) == {"sha256", "sha384"}
    assert digests.matches(data)
    assert not digests.matches(data[:-1] + b"\x00")
    with pytest.raises(ValueError, match="not hashed with sha512"):
        digests.digest("sha512")


def test_what_is_not_a_detached_cms_names_no_algorithm() -> None:
    assert content_digest_algorithms(b"%PDF-1.7 not really", max_input_bytes=LIMIT) == frozenset()
    assert content_digest_algorithms(b"\x30\x03\x02\x01\x01", max_input_bytes=LIMIT) == frozenset()
