"""The DSTU 4145 branch of the development PKI.  DEVELOPMENT ONLY -- never trust it.

certomancer cannot sign with DSTU 4145, so this branch is built here with asn1crypto and
:mod:`docex.devpki.dstu_signing`: a root CA on the m=431 curve, an issuing CA, a doctor
and a TSA on m=257, the CA's CRL and OCSP responses, time-stamp tokens and CAdES
signatures with GOST 34.311-95 digests. The doctor's certificate follows the Ukrainian
qualified profile docex reads (``docs/ukrainian-profile.md``): ``TINUA-``/``NTRUA-``
semantics identifiers *and* the DRFO/EDRPOU subjectDirectoryAttributes, the Ukrainian
qualified policy and QC statement, ETSI QcCompliance, QcSSCD and QcType esign.

The keys are committed in ``keys/dstu/`` and every date is fixed; with the deterministic
nonces of :mod:`.dstu_signing` the certificates and CRLs are byte-identical on every run.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import resources
from io import BytesIO
from typing import ClassVar, Final

from asn1crypto import algos, cms, core, crl, keys, ocsp, tsp, x509
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.sign.fields import SigFieldSpec, SigSeedSubFilter
from pyhanko.sign.signers.cms_embedder import PdfCMSEmbedder, SigIOSetup, SigObjSetup
from pyhanko.sign.signers.pdf_byterange import SignatureObject

from docex.devpki.dstu_signing import CURVE_M257, CURVE_M431, DstuPrivateKey
from docex.errors import DevPkiError
from docex.signatures.cades_asn1 import CertificateValues, RevocationValues
from docex.signatures.dstu.asn1 import SignatureEncoding
from docex.signatures.dstu.digests import hash_bytes
from docex.signatures.dstu.oids import DSTU4145_LE, GOST34311

ROOT_CA_DSTU: Final = "root-ca-dstu"
ISSUING_CA_DSTU: Final = "issuing-ca-dstu"
DOCTOR_DSTU: Final = "doctor-dstu"
DOCTOR_DSTU_431: Final = "doctor-dstu-431"
TSA_DSTU: Final = "tsa-dstu"

DSTU_LABELS: Final = (ROOT_CA_DSTU, ISSUING_CA_DSTU, DOCTOR_DSTU, DOCTOR_DSTU_431, TSA_DSTU)
DSTU_END_ENTITY_LABELS: Final = (DOCTOR_DSTU, DOCTOR_DSTU_431)
"""The DSTU labels that sign documents (``docex sign --signer doctor-dstu``)."""

DSTU_CADES_LEVELS: Final = ("B-B", "B-T", "B-LT")

DOCTOR_DSTU_RNOKPP: Final = "3244556677"
"""The DSTU doctor's RNOKPP (a valid check digit; fictitious)."""
DOCTOR_DSTU_EDRPOU: Final = "38291045"
"""Facility 1 of the development PKI, as in ``services/demo.py``."""
DOCTOR_DSTU_431_RNOKPP: Final = "3355667788"
"""The m=431 doctor's RNOKPP (fictitious; the doctor works at the same facility)."""

_PEOPLE = {DOCTOR_DSTU: DOCTOR_DSTU_RNOKPP, DOCTOR_DSTU_431: DOCTOR_DSTU_431_RNOKPP}

_CURVES = {ROOT_CA_DSTU: CURVE_M431, ISSUING_CA_DSTU: CURVE_M257, DOCTOR_DSTU: CURVE_M257}
_CURVES[DOCTOR_DSTU_431] = CURVE_M431  # as the central root's key: the largest curve in use
_CURVES[TSA_DSTU] = CURVE_M257
_ISSUERS = {
    ROOT_CA_DSTU: ROOT_CA_DSTU,
    ISSUING_CA_DSTU: ROOT_CA_DSTU,
    DOCTOR_DSTU: ISSUING_CA_DSTU,
    DOCTOR_DSTU_431: ISSUING_CA_DSTU,
    TSA_DSTU: ISSUING_CA_DSTU,
}
_SERIALS = {ROOT_CA_DSTU: 0x4145_01, ISSUING_CA_DSTU: 0x4145_02, DOCTOR_DSTU: 0x4145_10}
_SERIALS[TSA_DSTU] = 0x4145_11
_SERIALS[DOCTOR_DSTU_431] = 0x4145_12
_VALIDITY = {
    ROOT_CA_DSTU: (datetime(2024, 1, 1, tzinfo=UTC), datetime(2045, 1, 1, tzinfo=UTC)),
    ISSUING_CA_DSTU: (datetime(2024, 1, 1, tzinfo=UTC), datetime(2040, 1, 1, tzinfo=UTC)),
    DOCTOR_DSTU: (datetime(2025, 1, 1, tzinfo=UTC), datetime(2035, 1, 1, tzinfo=UTC)),
    DOCTOR_DSTU_431: (datetime(2025, 1, 1, tzinfo=UTC), datetime(2035, 1, 1, tzinfo=UTC)),
    TSA_DSTU: (datetime(2024, 6, 1, tzinfo=UTC), datetime(2039, 1, 1, tzinfo=UTC)),
}

_FACILITY = "КНП Центр первинної медико-санітарної допомоги №1"
_DEV_PROVIDER = "Docex DEV Qualified Provider DSTU (DEVELOPMENT ONLY)"
_SUBJECTS: dict[str, dict[str, str]] = {
    ROOT_CA_DSTU: {
        "country_name": "UA",
        "organization_name": _DEV_PROVIDER,
        "common_name": "Docex DEV DSTU 4145 Root CA (DEVELOPMENT ONLY)",
    },
    ISSUING_CA_DSTU: {
        "country_name": "UA",
        "organization_name": _DEV_PROVIDER,
        "common_name": "Docex DEV DSTU 4145 Qualified CA (DEVELOPMENT ONLY)",
    },
    TSA_DSTU: {
        "country_name": "UA",
        "organization_name": _DEV_PROVIDER,
        "common_name": "Docex DEV DSTU 4145 Time-Stamping Authority (DEVELOPMENT ONLY)",
    },
    DOCTOR_DSTU: {
        "country_name": "UA",
        "organization_name": _FACILITY,
        "organization_identifier": f"NTRUA-{DOCTOR_DSTU_EDRPOU}",
        "common_name": "Бондаренко Ірина Василівна",
        "surname": "Бондаренко",
        "given_name": "Ірина Василівна",
        "serial_number": f"TINUA-{DOCTOR_DSTU_RNOKPP}",
        "locality_name": "Київ",
    },
    DOCTOR_DSTU_431: {
        "country_name": "UA",
        "organization_name": _FACILITY,
        "organization_identifier": f"NTRUA-{DOCTOR_DSTU_EDRPOU}",
        "common_name": "Коваль Олег Петрович",
        "surname": "Коваль",
        "given_name": "Олег Петрович",
        "serial_number": f"TINUA-{DOCTOR_DSTU_431_RNOKPP}",
        "locality_name": "Київ",
    },
}

_UA_QUALIFIED_POLICY = "1.2.804.2.1.1.1.2.2"
_ETSI_QCP_N_QSCD = "0.4.0.194112.1.2"
_UA_QC_STATEMENT = "1.2.804.2.1.1.1.2.1"
_QC_COMPLIANCE = "0.4.0.1862.1.1"
_QC_SSCD = "0.4.0.1862.1.4"
_QC_TYPE = "0.4.0.1862.1.6"
_QCT_ESIGN = "0.4.0.1862.1.6.1"
_DRFO_ATTRIBUTE = "1.2.804.2.1.1.1.11.1.4.1.1"
_EDRPOU_ATTRIBUTE = "1.2.804.2.1.1.1.11.1.4.2.1"
_SUBJECT_DIRECTORY_ATTRIBUTES = "2.5.29.9"
_QC_STATEMENTS = "1.3.6.1.5.5.7.1.3"
_TSA_POLICY = "1.2.804.2.1.1.1.2.3.1"

_LOADED: dict[bytes, DstuPki] = {}
"""The DSTU branches built in this process, by a digest of their key files."""
_LOADED_LOCK = threading.Lock()

_SIGNATURE_ALGORITHM: Final = {"algorithm": DSTU4145_LE}
_DIGEST_ALGORITHM: Final = {"algorithm": GOST34311}


class _QcStatement(core.Sequence):  # type: ignore[misc]
    _fields: ClassVar = [
        ("statement_id", core.ObjectIdentifier),
        ("statement_info", core.Any, {"optional": True}),
    ]


class _QcStatements(core.SequenceOf):  # type: ignore[misc]
    _child_spec = _QcStatement


class _Attribute(core.Sequence):  # type: ignore[misc]
    _fields: ClassVar = [
        ("type", core.ObjectIdentifier),
        ("values", core.SetOf, {"spec": core.Any}),
    ]


class _Attributes(core.SequenceOf):  # type: ignore[misc]
    _child_spec = _Attribute


@dataclass(frozen=True)
class DstuPki:
    """The DSTU branch's keys, and everything made from them, by label."""

    keys: dict[str, DstuPrivateKey]
    # Certificates are made on first use and kept (signing on m=431 is pure Python), as
    # DER: every caller parses its own copy, so none sees another's changes to one.
    _certs: dict[str, bytes] = field(default_factory=dict, compare=False, repr=False)
    # One instance serves the whole process (see load); threads take turns making them.
    _lock: threading.Lock = field(default_factory=threading.Lock, compare=False, repr=False)

    @classmethod
    def load(cls) -> DstuPki:
        """The committed development keys (``keys/dstu/<label>.key.pem`` in the package).

        Everything this branch makes follows from the keys (every date and name is fixed
        here), so it is built once per process for the same key files and handed out
        again after that: its certificates, signed in pure Python, are made only once.
        """
        folder = resources.files("docex.devpki").joinpath("keys", "dstu")
        pems = {}
        for label in DSTU_LABELS:
            try:
                pems[label] = folder.joinpath(f"{label}.key.pem").read_bytes()
            except OSError as exc:
                raise DevPkiError(f"cannot read the DSTU development key {label}: {exc}") from exc
        fingerprint = hashlib.sha256(b"\0".join(pems[label] for label in DSTU_LABELS)).digest()
        with _LOADED_LOCK:
            if (loaded := _LOADED.get(fingerprint)) is None:
                found = {}
                for label, key_pem in pems.items():
                    try:
                        found[label] = DstuPrivateKey.from_pem(key_pem)
                    except ValueError as exc:
                        msg = f"cannot read the DSTU development key {label}: {exc}"
                        raise DevPkiError(msg) from exc
                loaded = _LOADED[fingerprint] = cls(keys=found)
        return loaded

    def _check(self, label: str) -> None:
        if label not in DSTU_LABELS:
            raise DevPkiError(f"unknown DSTU label {label!r}; choose one of {DSTU_LABELS}")

    def key(self, label: str) -> DstuPrivateKey:
        """The private key of ``label``."""
        self._check(label)
        return self.keys[label]

    def issuer_label(self, label: str) -> str:
        """The label of the CA that issued ``label`` (the root issued itself)."""
        self._check(label)
        return _ISSUERS[label]

    def cert(self, label: str) -> x509.Certificate:
        """The certificate of ``label``."""
        self._check(label)
        with self._lock:
            der = self._certs.get(label)
        if der is None:
            # Made outside the lock, which making the issuer's certificate takes. Two
            # threads may both make one: the nonces are deterministic, so the bytes are
            # the same, and the first stored is kept.
            made = _certificate(self, label).dump()
            with self._lock:
                der = self._certs.setdefault(label, made)
        return x509.Certificate.load(der)

    def chain(self, label: str) -> list[x509.Certificate]:
        """``label``'s certificate, then its issuers up to and including the root."""
        chain = [self.cert(label)]
        while (issuer := _ISSUERS[label]) != label:
            label = issuer
            chain.append(self.cert(label))
        return chain

    def trust_anchor(self) -> x509.Certificate:
        """The DSTU root CA."""
        return self.cert(ROOT_CA_DSTU)

    def crl(self, *, at: datetime, issuer: str = ISSUING_CA_DSTU) -> crl.CertificateList:
        """``issuer``'s CRL as of ``at`` (nothing is revoked in this branch)."""
        _require_aware(at)
        self._check(issuer)
        issuer_cert = self.cert(issuer)
        tbs = crl.TbsCertList(
            {
                "version": "v2",
                "signature": _SIGNATURE_ALGORITHM,
                "issuer": issuer_cert.subject,
                "this_update": x509.Time(name="utc_time", value=at),
                "next_update": x509.Time(name="utc_time", value=at + timedelta(days=7)),
                "crl_extensions": [
                    {
                        "extn_id": "authority_key_identifier",
                        "critical": False,
                        "extn_value": {"key_identifier": _key_id(self.key(issuer))},
                    },
                    {
                        "extn_id": "crl_number",
                        "critical": False,
                        "extn_value": int(at.timestamp()) // 60,
                    },
                ],
            }
        )
        signature = self.key(issuer).sign(tbs.dump(), encoding=SignatureEncoding.X509)
        return crl.CertificateList(
            {
                "tbs_cert_list": tbs,
                "signature_algorithm": _SIGNATURE_ALGORITHM,
                "signature": signature,
            }
        )

    def ocsp_response(self, label: str, *, at: datetime) -> ocsp.OCSPResponse:
        """A "good" OCSP response for ``label`` as of ``at``, signed by its issuing CA."""
        _require_aware(at)
        issuer = self.issuer_label(label)
        issuer_cert, cert = self.cert(issuer), self.cert(label)
        key_octets = bytes(issuer_cert["tbs_certificate"]["subject_public_key_info"]["public_key"])
        single = {
            "cert_id": {
                "hash_algorithm": {"algorithm": "sha1"},
                "issuer_name_hash": hashlib.sha1(issuer_cert.subject.dump()).digest(),  # noqa: S324 -- RFC 6960 CertID
                "issuer_key_hash": hashlib.sha1(key_octets).digest(),  # noqa: S324 -- as above
                "serial_number": cert.serial_number,
            },
            "cert_status": ocsp.CertStatus(name="good", value=core.Null()),
            "this_update": at,
            "next_update": at + timedelta(days=1),
        }
        tbs = ocsp.ResponseData(
            {
                "responder_id": {"by_key": _key_id(self.key(issuer))},
                "produced_at": at,
                "responses": [single],
            }
        )
        basic = ocsp.BasicOCSPResponse(
            {
                "tbs_response_data": tbs,
                "signature_algorithm": _SIGNATURE_ALGORITHM,
                "signature": self.key(issuer).sign(tbs.dump(), encoding=SignatureEncoding.X509),
                "certs": [issuer_cert],
            }
        )
        return ocsp.OCSPResponse(
            {
                "response_status": "successful",
                "response_bytes": {"response_type": "basic_ocsp_response", "response": basic},
            }
        )

    def timestamp_token(self, data: bytes, *, at: datetime) -> cms.ContentInfo:
        """A time-stamp token from the DSTU TSA over ``data`` (GOST 34.311 imprint)."""
        _require_aware(at)
        info = tsp.TSTInfo(
            {
                "version": "v1",
                "policy": _TSA_POLICY,
                "message_imprint": {
                    "hash_algorithm": _DIGEST_ALGORITHM,
                    "hashed_message": hash_bytes(GOST34311, data),
                },
                "serial_number": int.from_bytes(hash_bytes(GOST34311, data)[:8], "big"),
                "gen_time": at,
                "nonce": int.from_bytes(hashlib.sha256(data).digest()[:8], "big"),
            }
        )
        return _signed_data(
            self, TSA_DSTU, info.dump(), content_type="tst_info", signing_time=None, detached=False
        )

    def sign_cades(
        self,
        content: bytes,
        *,
        signer: str = DOCTOR_DSTU,
        detached: bool = True,
        level: str = "B-B",
        signing_time: datetime | None = None,
        timestamp_time: datetime | None = None,
    ) -> bytes:
        """A CAdES signature of ``content`` by ``signer``, DER ``ContentInfo``.

        Signed attributes: content-type, message-digest (GOST 34.311-95), signing-time and
        signing-certificate-v2 (GOST 34.311 certificate hash). B-T adds a signature
        time-stamp from the DSTU TSA; B-LT the CA certificates, the CRLs of both CAs and the
        OCSP responses for the signer and the TSA, as of ``timestamp_time``.
        """
        signing_time = signing_time or datetime.now(UTC)
        return self._cms(
            content,
            signer=signer,
            detached=detached,
            level=level,
            signing_time=signing_time,
            timestamp_time=timestamp_time or signing_time,
            signing_time_attribute=True,
        )

    def sign_pades(
        self,
        pdf: bytes,
        *,
        signer: str = DOCTOR_DSTU,
        level: str = "B-B",
        signing_time: datetime | None = None,
        timestamp_time: datetime | None = None,
        field_name: str = "Signature1",
    ) -> bytes:
        """``pdf`` signed as PAdES (``ETSI.CAdES.detached``) by ``signer`` with DSTU 4145.

        pyHanko lays out the incremental update (field, signature dictionary with ``/M``,
        the byte range); the CMS over the byte range is made here, as :meth:`sign_cades`
        makes it but without the signing-time attribute PAdES forbids. B-LT carries its
        validation data in the CMS (certificate-values, revocation-values), which PAdES
        readers accept beside a DSS.
        """
        signing_time = signing_time or datetime.now(UTC)
        _require_aware(signing_time)
        try:
            writer = IncrementalPdfFileWriter(BytesIO(pdf), strict=False)
        except (PdfError, ValueError, OSError) as exc:
            raise DevPkiError(f"not a PDF that can be signed: {exc}") from exc
        embedder = PdfCMSEmbedder(new_field_spec=SigFieldSpec(sig_field_name=field_name))
        steps = embedder.write_cms(field_name=field_name, writer=writer)
        next(steps)
        placeholder = SignatureObject(
            timestamp=signing_time, subfilter=SigSeedSubFilter.PADES, bytes_reserved=32768
        )
        steps.send(SigObjSetup(sig_placeholder=placeholder))
        # pyHanko hashes the byte range with a hashlib digest to hand back; GOST 34.311 is
        # not one, so that digest is ignored and the covered bytes are hashed here.
        prepared, output = steps.send(SigIOSetup(md_algorithm="sha256", in_place=False))
        laid_out = output.getvalue()
        covered = (
            laid_out[: prepared.reserved_region_start] + laid_out[prepared.reserved_region_end :]
        )
        signature = self._cms(
            covered,
            signer=signer,
            detached=True,
            level=level,
            signing_time=signing_time,
            timestamp_time=timestamp_time or signing_time,
            signing_time_attribute=False,
        )
        steps.send(signature)
        signed: bytes = output.getvalue()
        return signed

    def _cms(
        self,
        content: bytes,
        *,
        signer: str,
        detached: bool,
        level: str,
        signing_time: datetime,
        timestamp_time: datetime,
        signing_time_attribute: bool,
    ) -> bytes:
        if level not in DSTU_CADES_LEVELS:
            raise DevPkiError(f"unsupported level {level!r}; choose one of {DSTU_CADES_LEVELS}")
        if signer not in DSTU_END_ENTITY_LABELS:
            raise DevPkiError(f"{signer!r} does not sign documents")
        _require_aware(signing_time)
        _require_aware(timestamp_time)
        content_info = _signed_data(
            self,
            signer,
            content,
            content_type="data",
            signing_time=signing_time if signing_time_attribute else None,
            detached=detached,
        )
        signer_info = content_info["content"]["signer_infos"][0]
        unsigned: list[cms.CMSAttribute] = []
        if level != "B-B":
            token = self.timestamp_token(bytes(signer_info["signature"].native), at=timestamp_time)
            unsigned.append(
                cms.CMSAttribute({"type": "signature_time_stamp_token", "values": [token]})
            )
        if level == "B-LT":
            certs = [self.cert(ISSUING_CA_DSTU), self.cert(TSA_DSTU)]
            crls = [
                self.crl(at=timestamp_time, issuer=ISSUING_CA_DSTU),
                self.crl(at=timestamp_time, issuer=ROOT_CA_DSTU),
            ]
            ocsps = [
                self.ocsp_response(label, at=timestamp_time)["response_bytes"]["response"].parsed
                for label in (signer, TSA_DSTU)
            ]
            unsigned.append(
                cms.CMSAttribute(
                    {"type": "certificate_values", "values": [CertificateValues(certs)]}
                )
            )
            unsigned.append(
                cms.CMSAttribute(
                    {
                        "type": "revocation_values",
                        "values": [RevocationValues({"crl_vals": crls, "ocsp_vals": ocsps})],
                    }
                )
            )
        if unsigned:
            signer_info["unsigned_attrs"] = cms.CMSAttributes(unsigned)
        der: bytes = content_info.dump(force=True)
        return der


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise DevPkiError("DSTU development PKI times must be timezone-aware")


def _key_id(key: DstuPrivateKey) -> bytes:
    # RFC 5280 §4.2.1.2 method 1 over the subjectPublicKey BIT STRING's contents.
    info = keys.PublicKeyInfo.load(key.public_key_info())
    return hashlib.sha1(bytes(info["public_key"])).digest()  # noqa: S324 -- a key identifier


def _extension(
    oid: str, value: core.Asn1Value | bytes, *, critical: bool = False
) -> x509.Extension:
    der = value if isinstance(value, bytes) else value.dump()
    ext = x509.Extension({"extn_id": oid, "critical": critical})
    ext["extn_value"] = core.ParsableOctetString(der)
    return ext


def _extensions(pki: DstuPki, label: str) -> list[x509.Extension]:
    key = pki.key(label)
    issuer = _ISSUERS[label]
    found = [_extension("2.5.29.14", core.OctetString(_key_id(key)))]
    if issuer != label:
        found.append(
            _extension(
                "2.5.29.35",
                x509.AuthorityKeyIdentifier({"key_identifier": _key_id(pki.key(issuer))}),
            )
        )
    if label in (ROOT_CA_DSTU, ISSUING_CA_DSTU):
        constraints = (
            {"ca": True} if label == ROOT_CA_DSTU else {"ca": True, "path_len_constraint": 0}
        )
        found.append(_extension("2.5.29.19", x509.BasicConstraints(constraints), critical=True))
        found.append(
            _extension("2.5.29.15", x509.KeyUsage({"key_cert_sign", "crl_sign"}), critical=True)
        )
        return found
    found.append(
        _extension(
            "2.5.29.15", x509.KeyUsage({"digital_signature", "non_repudiation"}), critical=True
        )
    )
    if label == TSA_DSTU:
        found.append(
            _extension("2.5.29.37", x509.ExtKeyUsageSyntax(["time_stamping"]), critical=True)
        )
        return found
    found.append(
        _extension(
            "2.5.29.32",
            x509.CertificatePolicies(
                [
                    {"policy_identifier": _UA_QUALIFIED_POLICY},
                    {"policy_identifier": _ETSI_QCP_N_QSCD},
                ]
            ),
        )
    )
    qc_types = core.SequenceOf([core.ObjectIdentifier(_QCT_ESIGN)], spec=core.ObjectIdentifier)
    found.append(
        _extension(
            _QC_STATEMENTS,
            _QcStatements(
                [
                    {"statement_id": _UA_QC_STATEMENT},
                    {"statement_id": _QC_COMPLIANCE},
                    {"statement_id": _QC_SSCD},
                    {"statement_id": _QC_TYPE, "statement_info": core.Any(qc_types)},
                ]
            ),
        )
    )
    found.append(
        _extension(
            _SUBJECT_DIRECTORY_ATTRIBUTES,
            _Attributes(
                [
                    {
                        "type": _DRFO_ATTRIBUTE,
                        "values": [core.Any(core.PrintableString(_PEOPLE[label]))],
                    },
                    {
                        "type": _EDRPOU_ATTRIBUTE,
                        "values": [core.Any(core.PrintableString(DOCTOR_DSTU_EDRPOU))],
                    },
                ]
            ),
        )
    )
    return found


def _certificate(pki: DstuPki, label: str) -> x509.Certificate:
    issuer = _ISSUERS[label]
    issuer_name = x509.Name.build(_SUBJECTS[issuer], use_printable=False)
    not_before, not_after = _VALIDITY[label]
    tbs = x509.TbsCertificate(
        {
            "version": "v3",
            "serial_number": _SERIALS[label],
            "signature": _SIGNATURE_ALGORITHM,
            "issuer": issuer_name,
            "validity": {
                "not_before": x509.Time(name="utc_time", value=not_before),
                "not_after": x509.Time(name="utc_time", value=not_after),
            },
            "subject": x509.Name.build(_SUBJECTS[label], use_printable=False),
            "subject_public_key_info": keys.PublicKeyInfo.load(pki.key(label).public_key_info()),
            "extensions": _extensions(pki, label),
        }
    )
    signature = pki.key(issuer).sign(tbs.dump(), encoding=SignatureEncoding.X509)
    # Re-parse so that every later reader sees exactly the signed encoding.
    return x509.Certificate.load(
        x509.Certificate(
            {
                "tbs_certificate": tbs,
                "signature_algorithm": _SIGNATURE_ALGORITHM,
                "signature_value": signature,
            }
        ).dump()
    )


def _signed_data(
    pki: DstuPki,
    signer: str,
    content: bytes,
    *,
    content_type: str,
    signing_time: datetime | None,
    detached: bool,
) -> cms.ContentInfo:
    cert = pki.cert(signer)
    cert_hash = hash_bytes(GOST34311, cert.dump())
    attrs = [
        cms.CMSAttribute({"type": "content_type", "values": [content_type]}),
        cms.CMSAttribute({"type": "message_digest", "values": [hash_bytes(GOST34311, content)]}),
    ]
    if signing_time is not None:
        attrs.append(
            cms.CMSAttribute(
                {"type": "signing_time", "values": [cms.Time(name="utc_time", value=signing_time)]}
            )
        )
    attrs.append(
        cms.CMSAttribute(
            {
                "type": "signing_certificate_v2",
                "values": [
                    tsp.SigningCertificateV2(
                        {
                            "certs": [
                                {
                                    "hash_algorithm": _DIGEST_ALGORITHM,
                                    "cert_hash": cert_hash,
                                    "issuer_serial": {
                                        "issuer": [
                                            x509.GeneralName(
                                                name="directory_name", value=cert.issuer
                                            )
                                        ],
                                        "serial_number": cert.serial_number,
                                    },
                                }
                            ]
                        }
                    )
                ],
            }
        )
    )
    signed_attrs = cms.CMSAttributes(attrs)
    signature = pki.key(signer).sign(signed_attrs.dump(), encoding=SignatureEncoding.CMS)
    signer_info = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                name="issuer_and_serial_number",
                value={"issuer": cert.issuer, "serial_number": cert.serial_number},
            ),
            "digest_algorithm": algos.DigestAlgorithm(_DIGEST_ALGORITHM),
            "signed_attrs": signed_attrs,
            "signature_algorithm": algos.SignedDigestAlgorithm(_SIGNATURE_ALGORITHM),
            "signature": signature,
        }
    )
    encap: dict[str, object] = {"content_type": content_type}
    if not detached:
        # asn1crypto types "data" content as an OCTET STRING, a TSTInfo as a parsable one.
        encap["content"] = content if content_type == "data" else core.ParsableOctetString(content)
    # The certificates a real signature carries: the signer and its CA, never the root.
    certificates = [cert, pki.cert(ISSUING_CA_DSTU)]
    signed = cms.SignedData(
        {
            "version": "v3" if content_type != "data" else "v1",
            "digest_algorithms": [algos.DigestAlgorithm(_DIGEST_ALGORITHM)],
            "encap_content_info": encap,
            "certificates": certificates,
            "signer_infos": [signer_info],
        }
    )
    return cms.ContentInfo({"content_type": "signed_data", "content": signed})
