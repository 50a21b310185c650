"""docex's remembered name preparation against asn1crypto's own
(docex.signatures.asn1crypto_names).

It takes the place of ``asn1crypto.x509.NameTypeAndValue._ldap_string_prep``, so for any
string it must give what asn1crypto gives: the same prepared string, or the same exception
(type and message), every time. asn1crypto's method is kept by reference
(``ASN1CRYPTO_LDAP_STRING_PREP``) and both run on every attribute value of every
certificate the repository holds and on values that each step of RFC 4518's preparation
maps, normalises or refuses.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from asn1crypto import pem, x509

import docex.signatures  # installs the remembered preparation
from docex.signatures import asn1crypto_names
from docex.signatures.asn1crypto_names import ASN1CRYPTO_LDAP_STRING_PREP, prepared
from tests.fresh_python import last_json_line

REPO = Path(__file__).resolve().parents[2]
CERTIFICATE_SUFFIXES = (".pem", ".crt", ".cer", ".der")


def _certificates() -> Iterator[x509.Certificate]:
    for folder in (REPO / "certs-dev", REPO / "tests" / "data"):
        for path in sorted(folder.rglob("*")):
            if path.suffix.lower() not in CERTIFICATE_SUFFIXES or not path.is_file():
                continue
            data = path.read_bytes()
            blocks = (
                [der for _, _, der in pem.unarmor(data, multiple=True)]
                if pem.detect(data)
                else [data]
            )
            for der in blocks:
                try:
                    certificate = x509.Certificate.load(der)
                    certificate["tbs_certificate"]["subject"].native  # noqa: B018
                except ValueError:
                    continue  # a key or CRL beside the certificates
                yield certificate


def _values() -> list[str]:
    values = set()
    for certificate in _certificates():
        for name in (certificate.subject, certificate.issuer):
            for rdn in name.chosen:
                for attribute in rdn:
                    value = attribute["value"].native
                    if isinstance(value, str):
                        values.add(value)
    return sorted(values)


MADE_UP = [
    "",
    " ",
    "Docex DEV Root CA",
    "  leading, inner   and trailing spaces  ",
    "tab\tnew line\nform feed\f",
    "soft\u00adhyphen and mongolian\u1806todo",
    "zero\u200bwidth",
    "no-break\u00a0space and ideographic\u3000space",
    "UPPER and Ärger and ΣΊΣΥΦΟΣ",
    "ligature \ufb01 and fullwidth \uff21",
    "Бондаренко Ірина Василівна",
    "\u05d0\u05d1\u05d2",  # right to left throughout: accepted
    "a\u05d0",  # left to right mixed with right to left: refused
    "\u05d0a\u05d1",
    "private use \ue000",
    "replacement \ufffd",
    "non-character \ufdd0",
    "unassigned \u0378",
    "change display \u200e",
    "control \u0001 characters \u007f",
    "tag \U000e0041 characters",
]


def _outcome(prepare: object, string: str) -> tuple[object, ...]:
    try:
        return ("prepared", prepare(string))  # type: ignore[operator]
    except Exception as exc:  # every exception counts: type and message
        return ("raised", type(exc), str(exc))


def test_installed() -> None:
    assert docex.signatures.asn1crypto_names is asn1crypto_names
    assert asn1crypto_names.install()
    assert vars(x509.NameTypeAndValue)["_ldap_string_prep"] is not ASN1CRYPTO_LDAP_STRING_PREP


def test_the_repository_has_names_to_compare() -> None:
    values = _values()
    assert len(values) > 20
    assert any(not value.isascii() for value in values)  # the Ukrainian ones


@pytest.mark.parametrize("string", [*_values(), *MADE_UP])
def test_the_same_as_asn1crypto(string: str) -> None:
    expected = _outcome(lambda s: ASN1CRYPTO_LDAP_STRING_PREP(None, s), string)
    # Twice: the second answer is the remembered one (or the same refusal again).
    assert _outcome(prepared, string) == expected
    assert _outcome(prepared, string) == expected
    (attribute,) = x509.Name.build({"common_name": string}).chosen[0]
    assert attribute["value"].native == string
    assert _outcome(lambda _: attribute.prepped_value, string) == expected


def test_some_made_up_values_are_refused() -> None:
    refused = [s for s in MADE_UP if _outcome(prepared, s)[0] == "raised"]
    assert "a\u05d0" in refused
    assert "private use \ue000" in refused
    assert "Docex DEV Root CA" not in refused


def test_copies_of_a_name_are_prepared_once() -> None:
    certificate = next(_certificates())
    der = certificate.dump()
    first = x509.Certificate.load(der).subject
    second = x509.Certificate.load(der).subject  # another object, the same values
    prepared.cache_clear()
    assert first.hashable == second.hashable
    assert first == second
    info = prepared.cache_info()
    assert info.misses > 0
    assert info.hits >= info.misses


def test_installed_for_the_checked_version_only() -> None:
    # A fresh process each: this one installed it when it imported docex.signatures.
    other = last_json_line(
        "import json\n"
        "import asn1crypto.version\n"
        "asn1crypto.version.__version__ = '1.6.0'\n"
        "import docex.signatures\n"
        "from asn1crypto import x509\n"
        "from docex.signatures import asn1crypto_names as names\n"
        "print(json.dumps([vars(x509.NameTypeAndValue)['_ldap_string_prep']"
        " is names.ASN1CRYPTO_LDAP_STRING_PREP, names.install()]))"
    )
    assert other == [True, False]


def test_a_method_someone_else_replaced_is_left_alone() -> None:
    out = last_json_line(
        "import json\n"
        "from asn1crypto import x509\n"
        "def theirs(self, string):\n"
        "    return string\n"
        "x509.NameTypeAndValue._ldap_string_prep = theirs\n"
        "import docex.signatures\n"
        "from docex.signatures import asn1crypto_names as names\n"
        "print(json.dumps([x509.NameTypeAndValue._ldap_string_prep is theirs,"
        " names.install()]))"
    )
    assert out == [True, False]
