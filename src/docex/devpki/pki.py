"""The development PKI, loaded in-process from certomancer.  DEVELOPMENT ONLY.

:class:`DevPki` wraps the certomancer architecture described in ``dev-pki.yml``: it
hands out certificates and private keys by label and plays the OCSP responder and the
CRL repositories at any moment you ask for, without a network. Nothing here may ever be
trusted outside development and tests.
"""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from asn1crypto import algos, crl, keys, ocsp, x509

from docex.errors import DevPkiError

if TYPE_CHECKING:
    from certomancer.registry import PKIArchitecture
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

ARCH_LABEL = "docex-dev"

ROOT_CA = "root-ca"
ISSUING_CA = "issuing-ca"
OCSP_RESPONDER = "issuing-ca-ocsp"
TSA = "tsa"
UNTRUSTED_ROOT = "untrusted-root"

END_ENTITY_LABELS = (
    "doctor-ecdsa",
    "doctor-rsa",
    "doctor2-ecdsa",
    "facility-seal",
    "nonqualified",
    "no-qscd",
    "no-nonrep",
    "revoked",
    "expired",
    "untrusted",
)
"""Labels of the certificates that sign documents, as ``docex sign --signer`` takes them."""

INFRASTRUCTURE_LABELS = (ROOT_CA, ISSUING_CA, OCSP_RESPONDER, TSA, UNTRUSTED_ROOT)

ALL_LABELS = INFRASTRUCTURE_LABELS + END_ENTITY_LABELS

# Which CA issued which certificate, so that callers can ask for a chain or for the
# right CRL without knowing the configuration.
_CRL_REPO_FOR_ISSUER = {ROOT_CA: ROOT_CA, ISSUING_CA: ISSUING_CA, UNTRUSTED_ROOT: UNTRUSTED_ROOT}
_OCSP_SERVICE_FOR_ISSUER = {ISSUING_CA: ISSUING_CA, UNTRUSTED_ROOT: UNTRUSTED_ROOT}


def config_path() -> Path:
    """Path of the certomancer configuration shipped as package data."""
    return Path(str(resources.files("docex.devpki").joinpath("dev-pki.yml")))


@dataclass(frozen=True)
class DevPki:
    """The development PKI: certificates, keys, OCSP and CRLs, all in-process.

    Build it with :meth:`load`. Loading parses the configuration and the key files;
    certificates are signed lazily and cached by certomancer. One instance serves a
    whole process: :meth:`load` hands out the same one for the same configuration.
    """

    arch: PKIArchitecture
    # OCSP responses are deterministic in (subject, moment): memoised per instance.
    _revinfo_cache: dict[tuple[str, str, datetime], bytes] = field(
        default_factory=dict, compare=False, repr=False
    )
    _cert_ders: dict[str, bytes] = field(default_factory=dict, compare=False, repr=False)
    # The CRLs issued so far, by issuer: (thisUpdate, nextUpdate, DER).
    _crls: dict[str, list[tuple[datetime, datetime, bytes]]] = field(
        default_factory=dict, compare=False, repr=False
    )
    # One instance is shared by every caller in the process (see load), and certomancer
    # issues certificates and revocation data lazily into caches of its own: threads
    # that sign at once take turns.
    _lock: threading.RLock = field(default_factory=threading.RLock, compare=False, repr=False)

    @classmethod
    def load(cls, config: Path | None = None) -> DevPki:
        """Load the PKI from ``dev-pki.yml`` (or another certomancer file).

        Loading costs about a second (every key is parsed, and the first certificates
        are signed with RSA keys), so the PKI is built once per process for each
        configuration and handed out again after that. What it is built from is the
        configuration's text and the key files it names -- every date is written in
        the configuration, nothing depends on the clock -- so a change to any of them
        gives a new PKI; a configuration that names other files is never reused.
        """
        path = Path(config or config_path()).resolve()
        try:
            fingerprint = _fingerprint(path)
        except OSError as exc:
            raise DevPkiError(f"cannot load the development PKI from {path}: {exc}") from exc
        if fingerprint is None:
            return cls._build(path)
        with _LOADED_LOCK:
            if (loaded := _LOADED.get(fingerprint)) is None:
                loaded = _LOADED[fingerprint] = cls._build(path)
        return loaded

    @classmethod
    def _build(cls, path: Path) -> DevPki:
        from certomancer.config_utils import ConfigurationError
        from certomancer.registry import ArchLabel, CertomancerConfig

        _sign_with_loaded_keys()

        try:
            cfg = CertomancerConfig.from_file(str(path))
            return cls(arch=cfg.get_pki_arch(ArchLabel(ARCH_LABEL)))
        except (OSError, ConfigurationError) as exc:
            raise DevPkiError(f"cannot load the development PKI from {path}: {exc}") from exc

    def _check_label(self, label: str) -> None:
        if label not in ALL_LABELS:
            known = ", ".join(ALL_LABELS)
            raise DevPkiError(f"unknown certificate label {label!r}; known labels: {known}")

    def cert(self, label: str) -> x509.Certificate:
        """The certificate with this label."""
        from certomancer.registry import CertLabel

        self._check_label(label)
        with self._lock:
            if (der := self._cert_ders.get(label)) is None:
                # certomancer's certificate is built field by field, and asn1crypto
                # encodes such an object afresh on every dump (milliseconds): keep
                # the encoding, and hand out a parse of it, which carries its encoding
                # wherever it is embedded.
                der = self._cert_ders[label] = self.arch.get_cert(CertLabel(label)).dump()
        return x509.Certificate.load(der)

    def key(self, label: str) -> keys.PrivateKeyInfo:
        """The private key of the certificate with this label (development only!)."""
        from certomancer.registry import CertLabel

        self._check_label(label)
        with self._lock:
            spec = self.arch.get_cert_spec(CertLabel(label))
            return self.arch.key_set.get_private_key(spec.subject_key)

    def issuer_label(self, label: str) -> str:
        """Label of the CA certificate that issued ``label`` (itself for a root)."""
        from certomancer.registry import CertLabel

        self._check_label(label)
        with self._lock:
            issuer = self.arch.get_cert_spec(CertLabel(label)).issuer
            return str(self.arch.get_unique_cert_for_entity(issuer))

    def chain(self, label: str) -> list[x509.Certificate]:
        """``label``'s certificate followed by its CAs up to and including the root."""
        chain = [self.cert(label)]
        while (issuer := self.issuer_label(label)) != label:
            chain.append(self.cert(issuer))
            label = issuer
        return chain

    def trust_anchors(self) -> list[x509.Certificate]:
        """The certificates to trust: the qualified root CA only."""
        return [self.cert(ROOT_CA)]

    def tsa_anchors(self) -> list[x509.Certificate]:
        """The TSA anchors to configure (``trust/tsa/``): the development TSA's certificate.

        The verifier accepts a time-stamp only from a TSA the trust configuration names;
        pass these as ``trust_store_from_certificates(..., tsas=...)``.
        """
        return [self.cert(TSA)]

    def ocsp_response(self, label: str, *, at: datetime) -> ocsp.OCSPResponse:
        """A signed OCSP response for ``label`` giving its status as of ``at``.

        ``producedAt`` and ``thisUpdate`` equal ``at``; ``nextUpdate`` is ten minutes
        later. A certificate revoked after ``at`` is reported as good.
        """
        from certomancer.registry import ServiceLabel

        _require_aware(at, "at")
        if (cached := self._revinfo_cache.get(("ocsp", label, at))) is not None:
            return ocsp.OCSPResponse.load(cached)
        issuer = self.issuer_label(label)
        try:
            service = _OCSP_SERVICE_FOR_ISSUER[issuer]
        except KeyError:
            msg = f"no OCSP responder covers {label!r} (issued by {issuer!r})"
            raise DevPkiError(msg) from None
        issuer_cert = self.cert(issuer)
        cert_id = ocsp.CertId(
            {
                "hash_algorithm": algos.DigestAlgorithm({"algorithm": "sha1"}),
                "issuer_name_hash": issuer_cert.subject.sha1,
                "issuer_key_hash": issuer_cert.public_key.sha1,
                "serial_number": self.cert(label).serial_number,
            }
        )
        with self._lock:
            responder = self.arch.service_registry.summon_responder(
                ServiceLabel(service), at_time=at
            )
            single = responder.format_single_ocsp_response(cert_id, issuer_cert)
            der = responder.assemble_simple_ocsp_responses([single]).dump()
            self._revinfo_cache["ocsp", label, at] = der
        return ocsp.OCSPResponse.load(der)

    def crl(self, *, at: datetime, issuer: str = ISSUING_CA) -> crl.CertificateList:
        """The CRL ``issuer`` had published at ``at``.

        CRLs are issued daily from the CA's ``notBefore``: ``thisUpdate`` is ``at``
        rounded down to a day boundary (UTC midnight), ``nextUpdate`` a day later, and
        the CRL lists the revocations effective at ``thisUpdate``.
        """
        from certomancer.registry import ServiceLabel

        _require_aware(at, "at")
        try:
            repo = _CRL_REPO_FOR_ISSUER[issuer]
        except KeyError:
            raise DevPkiError(f"{issuer!r} is not a CA with a CRL") from None
        with self._lock:
            # certomancer issues one CRL per period of its schedule, the same bytes for
            # every moment of the period (RSA PKCS#1 v1.5 signatures are deterministic):
            # one signed for an earlier moment of the period is the CRL of this one.
            for this_update, next_update, der in self._crls.setdefault(issuer, []):
                if this_update <= at < next_update:
                    return crl.CertificateList.load(der)
            issued = self.arch.service_registry.get_crl(ServiceLabel(repo), at_time=at)
            tbs = issued["tbs_cert_list"]
            period = (tbs["this_update"].native, tbs["next_update"].native, issued.dump())
            self._crls[issuer].append(period)
        return crl.CertificateList.load(period[2])


_LOADED: dict[bytes, DevPki] = {}
"""The PKIs built in this process, by :func:`_fingerprint` of their configuration."""
_LOADED_LOCK = threading.Lock()


def _fingerprint(path: Path) -> bytes | None:
    """A digest of everything certomancer reads to build the PKI of ``path``.

    That is the configuration and the key files its key sets name (certomancer resolves
    them under the configuration's folder). ``None`` when the configuration also names
    files this does not follow (an architecture or certificate kept in a file of its own),
    or is not a mapping at all: such a PKI is built afresh on every load, and certomancer
    reports what is wrong with it.
    """
    import yaml

    text = path.read_bytes()
    # libyaml's safe loader when PyYAML has it: ten times faster than the pure-Python one.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        parsed: Any = yaml.load(text, Loader=loader)  # noqa: S506  # either loader is a safe one
    except yaml.YAMLError:
        return None
    if not isinstance(parsed, dict) or re.search(rb"certificate[-_]file", text):
        return None
    architectures, keysets = parsed.get("pki-architectures"), parsed.get("keysets")
    if not isinstance(architectures, dict) or not isinstance(keysets, dict):
        return None
    if not all(isinstance(arch, dict) for arch in architectures.values()):
        return None
    digest = hashlib.sha256(str(path).encode() + b"\0" + text)
    for keyset in keysets.values():
        if not isinstance(keyset, dict) or not isinstance(keyset.get("keys"), dict):
            return None
        folder = path.parent / str(keyset.get("path-prefix", ""))
        for key in keyset["keys"].values():
            if isinstance(key, dict) and "path" in key:
                digest.update(b"\0" + (folder / str(key["path"])).read_bytes())
    return digest.digest()


_KEYS: dict[bytes, PrivateKeyTypes] = {}
_KEYS_LOCK = threading.Lock()


def loaded_key(key: keys.PrivateKeyInfo) -> PrivateKeyTypes:
    """``key`` as a cryptography key object, loaded once per process.

    Loading an RSA private key checks it, which takes tens of milliseconds; certomancer
    and pyHanko load the key again for every signature they make (every certificate,
    OCSP response, CRL, time-stamp and CAdES signature). Keyed by the key's encoding.
    """
    from cryptography.hazmat.primitives.serialization import load_der_private_key

    der = key.dump()
    with _KEYS_LOCK:
        if (loaded := _KEYS.get(der)) is None:
            loaded = _KEYS[der] = load_der_private_key(der, password=None)
    return loaded


def _sign_with_loaded_keys() -> None:
    """Make certomancer sign with :func:`loaded_key` (once per process).

    certomancer signs through a replaceable backend object, ``crypto_utils.CRYPTO_BACKEND``;
    it is replaced by one that differs only in not loading the key again, for the two
    mechanisms the development PKI signs with. A backend someone else put there is kept.
    """
    from certomancer import crypto_utils
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

    if type(crypto_utils.CRYPTO_BACKEND) is not crypto_utils.PycaCryptographyBackend:
        return

    class LoadedKeyBackend(crypto_utils.PycaCryptographyBackend):
        def generic_sign(
            self,
            private_key: keys.PrivateKeyInfo,
            tbs_bytes: bytes,
            sd_algo: algos.SignedDigestAlgorithm,
        ) -> bytes:
            key = loaded_key(private_key)
            mechanism = sd_algo.signature_algo
            if mechanism == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPrivateKey):
                digest = getattr(hashes, sd_algo.hash_algo.upper())()
                return key.sign(tbs_bytes, padding.PKCS1v15(), digest)
            if mechanism == "ecdsa" and isinstance(key, ec.EllipticCurvePrivateKey):
                digest = getattr(hashes, sd_algo.hash_algo.upper())()
                return key.sign(tbs_bytes, ec.ECDSA(digest))
            signed: bytes = super().generic_sign(private_key, tbs_bytes, sd_algo)
            return signed

    crypto_utils.CRYPTO_BACKEND = LoadedKeyBackend()


def _require_aware(moment: datetime, name: str) -> None:
    # Revocation and signing times are legal facts; a naive datetime is ambiguous.
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise DevPkiError(f"{name} must be a timezone-aware datetime")
