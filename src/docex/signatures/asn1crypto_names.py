"""asn1crypto's name preparation, remembered by value (issue 12: a one-file verify).

Why it exists: certificate names are compared (by certvalidator's registries, by path
building, by the issuer lookups of OCSP responses and CRLs) through asn1crypto's
``Name.hashable``, which prepares every attribute value with RFC 4518's string preparation
(``NameTypeAndValue._ldap_string_prep``: a handful of regular expressions, NFKC, and a
Python loop over the characters through :mod:`stringprep`'s tables). asn1crypto keeps the
result on the attribute object, but the same names arrive as many objects: the signer's,
the CA's and the TSA's certificates from the CMS, the time-stamp tokens and the DSS. A PDF
verify of the development sample prepared 72 values, 14 of them distinct, for about 8 ms
of CPU (a fiftieth of the command).

The preparation reads nothing but its string (its ``self`` is unused; ``sys.maxunicode``
and the tables are constants), so :func:`install` puts a version in its place that
remembers the result of each string (a bounded LRU); a string it refuses raises the same
``ValueError`` every time, not remembered. It does so only for the asn1crypto versions in
:data:`CHECKED_VERSIONS`, and only over asn1crypto's own method.
``tests/signatures/test_asn1crypto_names.py`` holds the two equal (the same string, or the
same exception and message) on every certificate name of the repository and on made-up
values that each step of the preparation changes or refuses.
"""

from __future__ import annotations

import functools
import threading

from asn1crypto import x509

CHECKED_VERSIONS = frozenset({"1.5.1"})
"""The asn1crypto versions whose ``NameTypeAndValue._ldap_string_prep`` was read for this
module (a pure function of its string) and compared with by the tests."""

ASN1CRYPTO_LDAP_STRING_PREP = x509.NameTypeAndValue._ldap_string_prep
"""asn1crypto's own method, as its class defined it before :func:`install`: what every
string not yet remembered is prepared with, and the tests' reference."""

MAX_REMEMBERED = 4096
"""Distinct values kept: names repeat across a verifier's signatures (countries,
organisations, the CAs'), and a short string costs little to keep."""

_lock = threading.Lock()


@functools.lru_cache(maxsize=MAX_REMEMBERED)
def prepared(string: str) -> str:
    """RFC 4518's preparation of ``string``, as asn1crypto computes it, remembered.

    :raises ValueError: a character the preparation prohibits (asn1crypto's message).
    """
    # asn1crypto's method does not read its instance.
    result: str = ASN1CRYPTO_LDAP_STRING_PREP(None, string)
    return result


def _ldap_string_prep(self: x509.NameTypeAndValue, string: object) -> object:
    if type(string) is not str:
        # Not what a name's value decodes to; asn1crypto answers for it as it would.
        return ASN1CRYPTO_LDAP_STRING_PREP(self, string)
    return prepared(string)


def install() -> bool:
    """Prepare names with :func:`prepared` in asn1crypto, if its version was checked.

    Returns whether it is in place. Another asn1crypto version, or a method someone else
    replaced, is left as it is; calling this again changes nothing.
    """
    from asn1crypto.version import __version__

    with _lock:
        current = vars(x509.NameTypeAndValue)["_ldap_string_prep"]
        if current is _ldap_string_prep:
            return True
        if __version__ not in CHECKED_VERSIONS or current is not ASN1CRYPTO_LDAP_STRING_PREP:
            return False
        if getattr(current, "__module__", None) != x509.__name__:
            return False
        x509.NameTypeAndValue._ldap_string_prep = _ldap_string_prep
        return True
