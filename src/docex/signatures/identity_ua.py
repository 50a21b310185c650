"""The Ukrainian certificate profile: identifiers and markers read straight from the DER.

Ukrainian qualified certificates name their holder in two ways, often both at once:

* the ETSI EN 319 412-1 semantics identifiers in the subject: ``serialNumber``
  ``TINUA-<RNOKPP>`` (or ``PASUA-<passport>`` / ``IDCUA-<ID card>``) and
  ``organizationIdentifier`` ``NTRUA-<EDRPOU>``;
* the national profile's subjectDirectoryAttributes extension (2.5.29.9) with the attribute
  ``1.2.804.2.1.1.1.11.1.4.1.1`` (DRFO: the RNOKPP, or the passport number of a person who
  refused a tax number) and ``1.2.804.2.1.1.1.11.1.4.2.1`` (EDRPOU).

Everything here reads the few extensions it needs by OID from the raw extension list and
parses each on its own, so that a quirk elsewhere in a real certificate (a malformed
authorityKeyIdentifier, a constructed GeneralizedTime in privateKeyUsagePeriod, a DSTU 4145
public key asn1crypto does not know) never stops the identity or qualification from being
read. ``docs/ukrainian-profile.md`` lists the OIDs and their sources.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from asn1crypto import core, x509

SUBJECT_DIRECTORY_ATTRIBUTES = "2.5.29.9"
CERTIFICATE_POLICIES = "2.5.29.32"
EXTENDED_KEY_USAGE = "2.5.29.37"
QC_STATEMENTS = "1.3.6.1.5.5.7.1.3"
KEY_USAGE = "2.5.29.15"
BASIC_CONSTRAINTS = "2.5.29.19"

DRFO_ATTRIBUTE = "1.2.804.2.1.1.1.11.1.4.1.1"
EDRPOU_ATTRIBUTE = "1.2.804.2.1.1.1.11.1.4.2.1"

UA_QUALIFIED_POLICY = "1.2.804.2.1.1.1.2.2"
UA_QC_STATEMENT = "1.2.804.2.1.1.1.2.1"
UA_SEAL_EKU = "1.2.804.2.1.1.1.3.9"

ETSI_QC_COMPLIANCE = "0.4.0.1862.1.1"
ETSI_QC_LIMIT_VALUE = "0.4.0.1862.1.2"
ETSI_QC_SSCD = "0.4.0.1862.1.4"
ETSI_QC_TYPE = "0.4.0.1862.1.6"
ETSI_QCT_ESEAL = "0.4.0.1862.1.6.2"

_EDRPOU = re.compile(r"[0-9]{8}")
_RNOKPP = re.compile(r"[0-9]{10}")
_ID_CARD = re.compile(r"[0-9]{9}")
# The old passport booklet: two Cyrillic capitals (series) and six digits.
_PASSPORT = re.compile(r"[А-ЯЄІЇҐ]{2}[0-9]{6}")  # noqa: RUF001 -- Cyrillic on purpose
# Latin letters that look like the Cyrillic ones a passport series uses: the same series
# typed on a Latin keyboard must name the same person.
_LATIN_TO_CYRILLIC = str.maketrans("ABCEHIKMOPTX", "АВСЕНІКМОРТХ")  # noqa: RUF001 -- as above
_SEMANTICS = re.compile(r"^(TIN|PAS|IDC)UA-(.+)$")
_NTR = re.compile(r"^NTRUA-([0-9]{8})$")


def canonical_drfo(value: str) -> str | None:
    """The canonical form of a person's DRFO identifier, or ``None`` if it is none.

    The State Register of natural persons (DRFO) keys a person by their RNOKPP (10
    digits); a person who refused a tax number for religious reasons is registered by
    their passport instead: the booklet's series and number (two Cyrillic capitals and six
    digits, e.g. ``ЮЖ123456``) or the ID card's 9-digit number. The canonical form drops
    blanks and dashes, upper-cases the series and writes it in Cyrillic (a series typed
    with the Latin look-alike letters is the same document), so that the certificate and
    the registry compare equal.
    """
    text = re.sub(r"[\s\-]", "", value).upper().translate(_LATIN_TO_CYRILLIC)
    for form in (_RNOKPP, _ID_CARD, _PASSPORT):
        if form.fullmatch(text):
            return text
    return None


@dataclass(frozen=True)
class UaIdentifiers:
    """What a certificate says about whom it names, in each of the two profiles."""

    drfo_attribute: str | None
    """Canonical DRFO from subjectDirectoryAttributes, if present and well-formed."""
    edrpou_attribute: str | None
    """EDRPOU from subjectDirectoryAttributes, if present and 8 digits."""
    drfo_subject: str | None
    """Canonical DRFO from the subject ``serialNumber`` (``TINUA-``/``PASUA-``/``IDCUA-``)."""
    edrpou_subject: str | None
    """EDRPOU from the subject ``organizationIdentifier`` ``NTRUA-``."""

    @property
    def drfo(self) -> str | None:
        """The person's identifier, when the profiles that carry one agree."""
        return _agreed(self.drfo_attribute, self.drfo_subject)

    @property
    def edrpou(self) -> str | None:
        """The legal person's EDRPOU, when the profiles that carry one agree."""
        return _agreed(self.edrpou_attribute, self.edrpou_subject)


@dataclass(frozen=True)
class UaMarkers:
    """The qualification-relevant claims a certificate makes, as dotted OIDs."""

    policies: frozenset[str]
    qc_statements: frozenset[str]
    extended_key_usages: frozenset[str]
    qc_types: frozenset[str]

    @property
    def etsi_qualified(self) -> bool:
        """ETSI EN 319 412-5 QcCompliance."""
        return ETSI_QC_COMPLIANCE in self.qc_statements

    @property
    def ua_qualified(self) -> bool:
        """The Ukrainian profile's claim: the qualified policy *and* the national statement."""
        return UA_QUALIFIED_POLICY in self.policies and UA_QC_STATEMENT in self.qc_statements

    @property
    def qscd(self) -> bool:
        """ETSI QcSSCD: the private key is in a qualified signature creation device."""
        return ETSI_QC_SSCD in self.qc_statements

    @property
    def seal(self) -> bool:
        """The certificate is for a seal: QcType eseal or the Ukrainian "stamp" EKU."""
        return ETSI_QCT_ESEAL in self.qc_types or UA_SEAL_EKU in self.extended_key_usages


def ua_identifiers(cert: x509.Certificate) -> UaIdentifiers:
    """The holder's DRFO and EDRPOU as both Ukrainian profiles state them."""
    attributes = _directory_attributes(cert)
    drfo_values = [canonical_drfo(v) for v in attributes.get(DRFO_ATTRIBUTE, [])]
    edrpou_values = [v.strip() for v in attributes.get(EDRPOU_ATTRIBUTE, [])]
    serial, org_id = _subject_identifiers(cert)
    drfo_subject = None
    if serial is not None and (match := _SEMANTICS.match(serial.strip())):
        drfo_subject = _subject_drfo(match.group(1), match.group(2))
    edrpou_subject = None
    if org_id is not None and (match := _NTR.match(org_id.strip())):
        edrpou_subject = match.group(1)
    return UaIdentifiers(
        drfo_attribute=_single(drfo_values),
        edrpou_attribute=_single([v if _EDRPOU.fullmatch(v) else None for v in edrpou_values]),
        drfo_subject=drfo_subject,
        edrpou_subject=edrpou_subject,
    )


def ua_markers(cert: x509.Certificate) -> UaMarkers:
    """The policies, QC statements, extended key usages and QcTypes the certificate carries.

    An extension that cannot be parsed contributes nothing: a claim that cannot be read is
    not made.
    """
    policies: set[str] = set()
    statements: set[str] = set()
    ekus: set[str] = set()
    qc_types: set[str] = set()
    raw = _extension(cert, CERTIFICATE_POLICIES)
    if raw is not None:
        policies = _policy_ids(raw)
    raw = _extension(cert, EXTENDED_KEY_USAGE)
    if raw is not None:
        ekus = _oid_list(raw)
    raw = _extension(cert, QC_STATEMENTS)
    if raw is not None:
        parsed = _parsed_statements(raw)
        statements = {oid for oid, _ in parsed}
        for oid, info in parsed:
            if oid == ETSI_QC_TYPE and info is not None:
                qc_types |= _oid_list(info)
    return UaMarkers(
        policies=frozenset(policies),
        qc_statements=frozenset(statements),
        extended_key_usages=frozenset(ekus),
        qc_types=frozenset(qc_types),
    )


def has_non_repudiation(cert: x509.Certificate) -> bool:
    """Whether keyUsage asserts nonRepudiation (contentCommitment); read on its own."""
    raw = _extension(cert, KEY_USAGE)
    if raw is None:
        return False
    try:
        return "non_repudiation" in x509.KeyUsage.load(raw).native
    except (ValueError, TypeError):
        return False


def is_ca_certificate(cert: x509.Certificate) -> bool:
    """Whether basicConstraints says cA; a certificate without it is not a CA (RFC 5280)."""
    raw = _extension(cert, BASIC_CONSTRAINTS)
    if raw is None:
        return False
    try:
        return bool(x509.BasicConstraints.load(raw)["ca"].native)
    except (ValueError, TypeError):
        return False


def public_key_algorithm_oid(cert: x509.Certificate) -> str:
    """The subject public key's algorithm as a dotted OID.

    asn1crypto raises ``KeyError`` on any access to a SubjectPublicKeyInfo whose algorithm
    it does not know (DSTU 4145 is ``1.2.804.2.1.1.1.1.3.1.1``), so the structure is read
    again with a spec that leaves the parameters and key opaque.
    """
    spki = cert["tbs_certificate"]["subject_public_key_info"]
    # Re-wrap the original contents rather than dump(): after a failed look at the key,
    # asn1crypto's half-parsed children make dump() fail too.
    der = bytes(core.Sequence(contents=spki.contents).dump())
    return str(_PublicKeyInfo.load(der)["algorithm"]["algorithm"].dotted)


# --- parsing helpers -------------------------------------------------------------------


class _String(core.Choice):  # type: ignore[misc]
    # DirectoryString and the other string types national profiles put in attributes.
    _alternatives = [  # noqa: RUF012 -- asn1crypto's declarative schema
        ("printable", core.PrintableString),
        ("utf8", core.UTF8String),
        ("ia5", core.IA5String),
        ("numeric", core.NumericString),
        ("bmp", core.BMPString),
        ("visible", core.VisibleString),
        ("teletex", core.TeletexString),
        ("universal", core.UniversalString),
    ]


class _Values(core.SetOf):  # type: ignore[misc]
    _child_spec = core.Any


class _Attribute(core.Sequence):  # type: ignore[misc]
    _fields = [  # noqa: RUF012 -- asn1crypto's declarative schema
        ("type", core.ObjectIdentifier),
        ("values", _Values),
    ]


class _Attributes(core.SequenceOf):  # type: ignore[misc]
    _child_spec = _Attribute


class _Oids(core.SequenceOf):  # type: ignore[misc]
    _child_spec = core.ObjectIdentifier


class _Policy(core.Sequence):  # type: ignore[misc]
    _fields = [  # noqa: RUF012 -- asn1crypto's declarative schema
        ("policy_identifier", core.ObjectIdentifier, {}),
        ("policy_qualifiers", core.Any, {"optional": True}),
    ]


class _Policies(core.SequenceOf):  # type: ignore[misc]
    _child_spec = _Policy


class _Statement(core.Sequence):  # type: ignore[misc]
    # statementInfo stays opaque: a QcLimitValue-shaped value under a national OID, or a
    # malformed one under the ETSI OID, must not stop the statement ids from being read.
    _fields = [  # noqa: RUF012 -- asn1crypto's declarative schema
        ("statement_id", core.ObjectIdentifier, {}),
        ("statement_info", core.Any, {"optional": True}),
    ]


class _Statements(core.SequenceOf):  # type: ignore[misc]
    _child_spec = _Statement


class _AlgorithmIdentifier(core.Sequence):  # type: ignore[misc]
    _fields = [  # noqa: RUF012 -- asn1crypto's declarative schema
        ("algorithm", core.ObjectIdentifier, {}),
        ("parameters", core.Any, {"optional": True}),
    ]


class _PublicKeyInfo(core.Sequence):  # type: ignore[misc]
    _fields = [  # noqa: RUF012 -- asn1crypto's declarative schema
        ("algorithm", _AlgorithmIdentifier),
        ("public_key", core.BitString),
    ]


def _extension(cert: x509.Certificate, oid: str) -> bytes | None:
    """The DER inside the extension with this OID, or ``None`` if absent or unreadable."""
    try:
        extensions = cert["tbs_certificate"]["extensions"]
        for ext in extensions:
            if ext["extn_id"].dotted == oid:
                return bytes(ext["extn_value"].contents)
    except (ValueError, TypeError):
        return None
    return None


def _oid_list(der: bytes) -> set[str]:
    try:
        return {str(oid.dotted) for oid in _Oids.load(der)}
    except (ValueError, TypeError):
        return set()


def _policy_ids(der: bytes) -> set[str]:
    try:
        return {str(policy["policy_identifier"].dotted) for policy in _Policies.load(der)}
    except (ValueError, TypeError):
        return set()


def _parsed_statements(raw: bytes) -> list[tuple[str, bytes | None]]:
    try:
        return [
            (
                st["statement_id"].dotted,
                st["statement_info"].dump() if st["statement_info"].contents else None,
            )
            for st in _Statements.load(raw)
        ]
    except (ValueError, TypeError):
        return []


def _directory_attributes(cert: x509.Certificate) -> dict[str, list[str]]:
    raw = _extension(cert, SUBJECT_DIRECTORY_ATTRIBUTES)
    if raw is None:
        return {}
    found: dict[str, list[str]] = {}
    try:
        for attribute in _Attributes.load(raw):
            values = found.setdefault(attribute["type"].dotted, [])
            for value in attribute["values"]:
                text = _text(value.dump())
                if text is not None:
                    values.append(text)
    except (ValueError, TypeError):
        return {}
    return found


def _text(der: bytes) -> str | None:
    try:
        value = _String.load(der).native
    except (ValueError, TypeError, UnicodeDecodeError):
        return None
    return value if isinstance(value, str) else None


def _subject_identifiers(cert: x509.Certificate) -> tuple[str | None, str | None]:
    serial = org_id = None
    try:
        for rdn in cert.subject.chosen:
            for atv in rdn:
                kind = atv["type"].dotted
                if kind not in ("2.5.4.5", "2.5.4.97"):
                    continue
                text = _text(atv["value"].dump())
                if kind == "2.5.4.5" and serial is None:
                    serial = text
                elif kind == "2.5.4.97" and org_id is None:
                    org_id = text
    except (ValueError, TypeError):
        return None, None
    return serial, org_id


def _subject_drfo(kind: str, value: str) -> str | None:
    drfo = canonical_drfo(value)
    if drfo is None:
        return None
    # Each semantics identifier names one kind of document; a TIN that is a passport
    # number, or a passport that is ten digits, is not what it claims to be.
    expected = {"TIN": _RNOKPP, "PAS": _PASSPORT, "IDC": _ID_CARD}[kind]
    return drfo if expected.fullmatch(drfo) else None


def _single(values: list[str | None]) -> str | None:
    distinct = set(values)
    if len(distinct) != 1:
        return None
    return distinct.pop()


def _agreed(first: str | None, second: str | None) -> str | None:
    # Two profiles naming two different people (or legal persons) name nobody: binding
    # the signature to either would be a guess.
    if first is not None and second is not None and first != second:
        return None
    return first if first is not None else second
