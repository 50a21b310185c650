"""docex's CMS attribute readers answer as pyHanko's do (docex.signatures.cms_attributes).

They exist so that a ``.p7s`` verify need not import pyHanko's PDF validation (issue 12);
each case runs both on the same signer and compares results, or exception type and
message: real signatures (docex's dev PKI, DSS and UAPKI samples, their time-stamp
tokens) and signers with repeated or contradicting attributes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pytest
from asn1crypto import algos, cms, core
from pyhanko.sign.validation import generic_cms

from docex.devpki.pki import DevPki
from docex.devpki.signing import sign_cades
from docex.signatures import cms_attributes

DATA = Path(__file__).resolve().parents[1] / "data"
SAMPLES = [
    *sorted((DATA / "ua").rglob("*.p7")),
    *sorted((DATA / "ua").rglob("*.p7s")),
    *sorted((DATA / "dss").glob("*.p7[ms]")),
    *sorted((DATA / "dss-1220").glob("*.p7[ms]")),
]


def _outcome(call: Callable[[], object]) -> object:
    try:
        value = call()
    except Exception as exc:  # the comparison is of whatever either raises
        return (type(exc), str(exc), getattr(exc, "ades_subindication", None))
    # Parsed attribute values compare by their encoding.
    return value.dump() if isinstance(value, core.Asn1Value) else value


def _signers(signed_data: cms.SignedData) -> Iterator[cms.SignerInfo]:
    for signer in signed_data["signer_infos"]:
        yield signer
        # The time-stamp tokens' own signers are read the same way.
        try:
            tokens = [
                token["content"]
                for attr in signer["unsigned_attrs"]
                if attr["type"].native == "signature_time_stamp_token"
                for token in attr["values"]
            ]
        except ValueError:
            # An unsigned attribute asn1crypto cannot parse (a DSS sample's archive
            # time-stamps): the signer is compared, its tokens are not.
            tokens = []
        for token in tokens:
            yield from _signers(token)


def _compare(signer: cms.SignerInfo) -> None:
    attrs = signer["signed_attrs"]
    assert _outcome(lambda: cms_attributes.extract_self_reported_ts(signer)) == _outcome(
        lambda: generic_cms.extract_self_reported_ts(signer)
    )
    if attrs.native is None:
        return
    assert _outcome(lambda: cms_attributes.get_signing_cert_attr(attrs)) == _outcome(
        lambda: generic_cms.get_signing_cert_attr(attrs)
    )
    claims = (signer["digest_algorithm"], signer["signature_algorithm"], None)
    assert _outcome(lambda: cms_attributes.validate_algorithm_protection(attrs, *claims)) == (
        _outcome(lambda: generic_cms.validate_algorithm_protection(attrs, *claims))
    )


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_sample_signers_read_as_pyhanko_reads_them(path: Path) -> None:
    info = cms.ContentInfo.load(path.read_bytes())
    signers = list(_signers(info["content"]))
    assert signers
    for signer in signers:
        _compare(signer)


@pytest.fixture(scope="module")
def signer(pki: DevPki) -> cms.SignerInfo:
    der = sign_cades(pki, b"referral", signer="doctor-ecdsa", detached=False, level="B-T")
    found: cms.SignerInfo = cms.ContentInfo.load(der)["content"]["signer_infos"][0]
    return found


def _with_attrs(signer: cms.SignerInfo, extra: list[cms.CMSAttribute]) -> cms.SignerInfo:
    copy = cms.SignerInfo.load(signer.dump())
    attrs = [cms.CMSAttribute.load(a.dump()) for a in copy["signed_attrs"]]
    copy["signed_attrs"] = cms.CMSAttributes([*attrs, *extra])
    return cms.SignerInfo.load(copy.dump())


def _attr(name: str, *values: object) -> cms.CMSAttribute:
    return cms.CMSAttribute({"type": name, "values": list(values)})


def test_the_dev_pki_signer_reads_as_pyhanko_reads_it(signer: cms.SignerInfo) -> None:
    assert cms_attributes.extract_self_reported_ts(signer) is not None
    assert cms_attributes.get_signing_cert_attr(signer["signed_attrs"]) is not None
    _compare(signer)


def test_repeated_attributes_read_as_pyhanko_reads_them(signer: cms.SignerInfo) -> None:
    attrs = {a["type"].native: a for a in signer["signed_attrs"]}
    repeated = [
        cms.CMSAttribute.load(attrs[name].dump())
        for name in ("signing_time", "signing_certificate_v2")
    ]
    twice = _with_attrs(signer, repeated)
    _compare(twice)
    assert cms_attributes.extract_self_reported_ts(twice) is None
    with pytest.raises(Exception, match="Wrong cardinality for signing certificate attribute"):
        cms_attributes.get_signing_cert_attr(twice["signed_attrs"])


@pytest.mark.parametrize(
    ("digest", "signature"),
    [
        ("sha256", "sha256_ecdsa"),  # what the signer claims: no finding
        ("sha512", "sha256_ecdsa"),  # another digest
        ("sha256", "sha512_ecdsa"),  # another signature mechanism
        ("sha256", None),  # protection of authenticated data, not of signed data
    ],
)
def test_algorithm_protection_reads_as_pyhanko_reads_it(
    signer: cms.SignerInfo, digest: str, signature: str | None
) -> None:
    protection: dict[str, object] = {"digest_algorithm": {"algorithm": digest}}
    if signature is not None:
        protection["signature_algorithm"] = {"algorithm": signature}
    else:
        protection["mac_algorithm"] = {"algorithm": "sha256"}
    protected = _with_attrs(
        signer, [_attr("cms_algorithm_protection", cms.CMSAlgorithmProtection(protection))]
    )
    assert protected["signature_algorithm"]["algorithm"].native == "sha256_ecdsa"
    _compare(protected)
    outcome = _outcome(
        partial(
            cms_attributes.validate_algorithm_protection,
            protected["signed_attrs"],
            protected["digest_algorithm"],
            protected["signature_algorithm"],
            None,
        )
    )
    # Only the signer's own claim passes; the comparison above saw failures too.
    claimed_own = (digest, signature) == ("sha256", "sha256_ecdsa")
    assert (outcome is None) is claimed_own
    # And twice: a structural error.
    _compare(
        _with_attrs(
            signer,
            [_attr("cms_algorithm_protection", cms.CMSAlgorithmProtection(protection))] * 2,
        )
    )


def test_mac_protection_reads_as_pyhanko_reads_it(signer: cms.SignerInfo) -> None:
    protection = cms.CMSAlgorithmProtection(
        {"digest_algorithm": {"algorithm": "sha256"}, "mac_algorithm": {"algorithm": "sha256"}}
    )
    attrs = _with_attrs(signer, [_attr("cms_algorithm_protection", protection)])["signed_attrs"]
    digest = cms.DigestAlgorithm({"algorithm": "sha256"})
    for mac in ("sha256", "sha512"):
        claimed = algos.HmacAlgorithm({"algorithm": mac})
        ours = _outcome(
            partial(cms_attributes.validate_algorithm_protection, attrs, digest, None, claimed)
        )
        theirs = _outcome(
            partial(generic_cms.validate_algorithm_protection, attrs, digest, None, claimed)
        )
        assert ours == theirs
