"""Write the development PKI and its samples to a directory.  DEVELOPMENT ONLY.

``docex dev-pki`` (and ``make certs``) call :func:`generate`. The certificates, keys,
CRLs and trusted lists it writes are byte-identical on every run (fixed dates, committed
keys, deterministic RSA signatures); the samples are not, because ECDSA signatures and
time-stamp nonces are random.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

from asn1crypto import cms, pem

from docex.devpki.documents import DevSigners
from docex.devpki.dstu_pki import DSTU_LABELS, ISSUING_CA_DSTU, ROOT_CA_DSTU, TSA_DSTU, DstuPki
from docex.devpki.format_samples import format_samples
from docex.devpki.pdf import minimal_pdf
from docex.devpki.pki import ALL_LABELS, ISSUING_CA, ROOT_CA, TSA, UNTRUSTED_ROOT, DevPki
from docex.devpki.signing import sign_cades, sign_pades
from docex.devpki.trusted_list import STATUS_WITHDRAWN, trusted_list_xml

DEFAULT_OUT = Path("certs-dev")

SAMPLE_SIGNING_TIME = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
"""When the samples were "signed"; after the ``revoked`` label's revocation (2026-01-15)."""

SAMPLE_TIMESTAMP_TIME = SAMPLE_SIGNING_TIME + timedelta(seconds=30)
"""Time-stamp time of the samples, and the moment their revocation data (and the
committed CRLs) describe."""

EXAMINATION_TEXT = (
    "Examination result (DEVELOPMENT SAMPLE): ECG within normal limits. "
    "Fictitious patient; signed by doctor-rsa of the docex dev PKI."
)


def generate(out: Path = DEFAULT_OUT, *, pki: DevPki | None = None) -> list[Path]:
    """Write the dev PKI, trusted lists, samples and README under ``out``.

    Returns the paths written. Files that exist are overwritten; nothing is deleted.
    """
    pki = pki or DevPki.load()
    written: list[Path] = []

    def write(relative: str, data: bytes | str) -> None:
        path = out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            path.write_text(data, encoding="utf-8")
        else:
            path.write_bytes(data)
        written.append(path)

    write(f"trust/{ROOT_CA}.pem", _cert_pem(pki, ROOT_CA))
    # The verifier accepts a time-stamp only from a TSA the trust configuration names:
    # trust/tsa/ holds the TSA anchors (docex.signatures.trust).
    write(f"trust/tsa/{TSA}.pem", _cert_pem(pki, TSA))
    write(f"untrusted/{UNTRUSTED_ROOT}.pem", _cert_pem(pki, UNTRUSTED_ROOT))
    for label in ALL_LABELS:
        write(f"certs/{label}.pem", _cert_pem(pki, label))
        write(f"keys/{label}.key.pem", pem.armor("PRIVATE KEY", pki.key(label).dump()))
    for issuer in (ISSUING_CA, ROOT_CA):
        write(f"crl/{issuer}.crl", pki.crl(at=SAMPLE_TIMESTAMP_TIME, issuer=issuer).dump())

    root, tsa = pki.cert(ROOT_CA), pki.cert(TSA)
    write("tl/dev-trusted-list.xml", trusted_list_xml(root_ca=root, tsa=tsa))
    write(
        "tl/dev-trusted-list-withdrawn.xml",
        trusted_list_xml(root_ca=root, tsa=tsa, ca_status=STATUS_WITHDRAWN),
    )

    for name, data in _samples(pki).items():
        write(f"samples/{name}", data)
    for relative, data in _dstu_files(DstuPki.load()).items():
        write(relative, data)
    write("README.md", resources.files("docex.devpki").joinpath("certs-dev-README.md").read_text())
    return written


def _cert_pem(pki: DevPki, label: str) -> bytes:
    armored: bytes = pem.armor("CERTIFICATE", pki.cert(label).dump())
    return armored


def _samples(pki: DevPki) -> dict[str, bytes]:
    def cades(content: bytes, *, signer: str, level: str, detached: bool = True) -> bytes:
        return sign_cades(
            pki,
            content,
            signer=signer,
            detached=detached,
            level=level,
            signing_time=SAMPLE_SIGNING_TIME,
            timestamp_time=SAMPLE_TIMESTAMP_TIME,
        )

    # Ukrainian text lives in a data file: it is content, and ruff's confusable-character
    # check (RUF001) would flag Cyrillic letters in a Python string.
    referral = resources.files("docex.devpki").joinpath("referral.txt").read_bytes()
    tampered_text = referral.replace(b"K86", b"K87")
    attached_lt = cades(referral, signer="doctor-ecdsa", level="B-LT", detached=False)
    examination_pdf = sign_pades(
        pki,
        minimal_pdf(EXAMINATION_TEXT),
        signer="doctor-rsa",
        level="B-LTA",
        signing_time=SAMPLE_SIGNING_TIME,
        timestamp_time=SAMPLE_TIMESTAMP_TIME,
    )
    # The plain-text samples exercise the verifier (detached content, tampering); the
    # format samples are documents the exchange accepts as their kind.
    return {
        "referral.txt": referral,
        "referral.txt.p7s": cades(referral, signer="doctor-ecdsa", level="B-LT"),
        "referral-attached-bb.p7s": cades(
            referral, signer="doctor-ecdsa", level="B-B", detached=False
        ),
        # Attached, with the encapsulated content changed after signing.
        "referral-tampered.p7s": _tamper_attached(attached_lt, tampered_text),
        # Detached: a valid signature over the original text, next to a changed text.
        "referral-tampered.txt": tampered_text,
        "referral-tampered.txt.p7s": cades(referral, signer="doctor-ecdsa", level="B-LT"),
        "examination-result.pdf": examination_pdf,
        **format_samples(
            DevSigners(dev_pki=pki),
            signed_pdf=examination_pdf,
            signing_time=SAMPLE_SIGNING_TIME,
            timestamp_time=SAMPLE_TIMESTAMP_TIME,
        ),
    }


def _dstu_files(dstu: DstuPki) -> dict[str, bytes]:
    # The DSTU root is kept out of trust/: pyhanko-certvalidator cannot check DSTU 4145
    # certificate signatures yet, so trusting it by default would turn "no chain" into an
    # internal error for every DSTU signature. Pass --trust certs-dev/trust-dstu to use it.
    files: dict[str, bytes] = {
        f"trust-dstu/{ROOT_CA_DSTU}.pem": pem.armor("CERTIFICATE", dstu.cert(ROOT_CA_DSTU).dump()),
        f"trust-dstu/tsa/{TSA_DSTU}.pem": pem.armor("CERTIFICATE", dstu.cert(TSA_DSTU).dump()),
    }
    for label in DSTU_LABELS:
        files[f"dstu/certs/{label}.pem"] = pem.armor("CERTIFICATE", dstu.cert(label).dump())
        files[f"dstu/keys/{label}.key.pem"] = dstu.key(label).to_pem()
    for issuer in (ISSUING_CA_DSTU, ROOT_CA_DSTU):
        files[f"dstu/crl/{issuer}.crl"] = dstu.crl(at=SAMPLE_TIMESTAMP_TIME, issuer=issuer).dump()
    referral = resources.files("docex.devpki").joinpath("referral.txt").read_bytes()
    files["dstu/samples/referral-dstu.txt"] = referral
    files["dstu/samples/referral-dstu.txt.p7s"] = dstu.sign_cades(
        referral,
        level="B-LT",
        signing_time=SAMPLE_SIGNING_TIME,
        timestamp_time=SAMPLE_TIMESTAMP_TIME,
    )
    files["dstu/samples/referral-dstu-attached.p7s"] = dstu.sign_cades(
        referral,
        detached=False,
        level="B-B",
        signing_time=SAMPLE_SIGNING_TIME,
    )
    return files


def _tamper_attached(signature: bytes, new_content: bytes) -> bytes:
    content_info = cms.ContentInfo.load(signature)
    encap = content_info["content"]["encap_content_info"]
    encap["content"] = new_content
    tampered: bytes = content_info.dump()
    return tampered
