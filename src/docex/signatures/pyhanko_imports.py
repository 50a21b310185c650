"""Import pyHanko's validation modules without its signing machinery (issue 12).

``pyhanko/sign/__init__.py`` imports ``pyhanko.sign.signers`` (the PDF signer, the HTTP
time-stamp client and with it ``aiohttp``), and ``pyhanko/sign/validation/__init__.py``
imports the PDF side of validation (``pdf_embedded``, ``dss``, ``diff_analysis``). Python
runs a package's ``__init__`` before any of its submodules, so the verifier's first
``from pyhanko.sign.validation.errors import ...`` used to cost most of a second of a
one-file ``docex verify``, for modules a CAdES check never calls.

:func:`defer_pyhanko_package_inits` puts those packages (:data:`DEFERRED_PACKAGES`) into
``sys.modules`` as package modules whose ``__init__`` has not run yet: their ``__path__``
is set, so their submodules import as usual, and a module ``__getattr__`` (PEP 562) runs the real
``__init__`` the first time someone asks the package for a name it does not have yet
(``from pyhanko.sign import SimpleSigner``, ``pyhanko.sign.validation.validate_pdf_signature``);
a name that is one of its submodules (``from pyhanko.sign import attributes``) imports
just that submodule. After that the package is exactly what a normal import makes of it.
Nothing of pyHanko is patched; only the order in which its modules run changes. pyHanko's
submodules import what they use by full name, and the one that asks its package for a
name (``policy_decl``, ``from pyhanko.sign.validation import KeyUsageConstraints``) gets
it, the ``__init__`` running then; docex's CMS checks do not import that one
(:mod:`docex.signatures.qualified_status`). Nor does docex's PDF side import
``pyhanko.sign.validation.pdf_embedded`` (its modification analysis, statuses and the
signing side of form fields): :mod:`docex.signatures.pdf_embedded` reads signature fields.

The same deferral serves two modules that are not pyHanko's (:data:`DEFERRED_MODULES`):
cryptography's PKCS#12 module, which pyHanko's public-key encryption handler binds at
import and calls only to load a PKCS#12 key, and which imports all of ``cryptography.x509``;
and tzlocal, which pyHanko's document-info module binds to stamp the time on what it writes.

:func:`prepare_pdf_reader` is the PDF side's step: it puts docex's bulk hex-string reader
(:mod:`docex.signatures.pyhanko_fast_hex`) into pyHanko's parser, for the pyHanko versions
it was checked against.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import sys
import threading
from types import ModuleType

DEFERRED_PACKAGES = (
    "pyhanko.sign",
    "pyhanko.sign.validation",
    "pyhanko.sign.signers",
    "pyhanko.pdf_utils.crypt",
)
"""Parents first: finding a package's spec imports its parent. ``pdf_utils.crypt``'s
``__init__`` re-exports the PDF encryption handlers; only its ASN.1 module is wanted
without a PDF (:data:`ASN1_REGISTRIES`). With a PDF, pyHanko's reader asks the package for
its handler classes as it loads, which runs the ``__init__``: the standard and public-key
handlers register themselves then, so an encrypted PDF is read (or refused) as before. The
public-key handler's module comes with it, for an unencrypted file too (the reader binds
its class at import); what that module imports is lighter with :data:`DEFERRED_MODULES`.

``pyhanko.sign.signers``' ``__init__`` imports every signer: the PDF signer, the CMS
signers, the time-stamp clients and with them aiohttp (≈ 150 modules). Decrypting a PDF
imports ``pdf_utils.crypt.pdfmac``, which needs one module of that package
(``signers.pdf_byterange``, for its ``/Contents`` placeholder classes); deferred, an
encrypted PDF's verify loads that module and not the signers. ``from pyhanko.sign import
signers`` followed by ``signers.SimpleSigner`` (docex.devpki) runs the ``__init__`` then."""

DEFERRED_MODULES = ("cryptography.hazmat.primitives.serialization.pkcs12", "tzlocal")
"""Modules (or a package's ``__init__``) outside pyHanko that pyHanko's PDF reader imports
as module objects and calls only when writing or signing; their code runs the first time
someone asks them for a name, as an import would have run it.

``pyhanko.pdf_utils.crypt.pubkey`` does ``from cryptography.hazmat.primitives.serialization
import pkcs12`` and uses it only in ``SimpleEnvelopeKeyDecrypter.load_pkcs12``, which a
verification never calls; importing ``pkcs12`` imports ``cryptography.x509`` (and with it
``email.utils``), ≈ 0.03 s of CPU of every PDF verify, where nothing else of docex's
verifier loads them. ``pyhanko.pdf_utils.metadata.info`` does ``import tzlocal`` to stamp a
modification time on a document it writes (tzlocal's ``__init__`` loads its Unix and
Windows zone tables, ≈ 2 ms)."""

ASN1_REGISTRIES = (
    "asn1crypto.pdf",
    "pyhanko.sign.ades.cades_asn1",
    "pyhanko.pdf_utils.crypt._iso32004_asn1",
)
"""Modules that teach asn1crypto names and structures when imported: Adobe's OIDs (an
extension, a key purpose, ``adobe_revocation_info_archival``), CAdES attributes
(``content_time_stamp``, ``signature_policy_identifier``, ``commitment_type``, ...) and
ISO 32004's PDF MAC types. A normal import of pyHanko's signers or PDF reader imports
them; without those, a CMS signature would parse differently (a content time-stamp would
be an unnamed attribute, and go unchecked), so they are imported here, always."""

# One lock for all deferred packages: running one ``__init__`` may import the other, and
# a second thread asking for a name meanwhile waits for the first to finish, as it would
# for a module that is being imported.
_lock = threading.RLock()


def defer_pyhanko_package_inits() -> None:
    """Install the deferred packages of :data:`DEFERRED_PACKAGES` in ``sys.modules``,
    and import :data:`ASN1_REGISTRIES`.

    A package someone has imported already is left as it is, so calling this again, or
    after pyHanko's signers were imported, changes nothing.
    """
    with _lock:
        for name in DEFERRED_PACKAGES:
            if name not in sys.modules:
                _install_deferred(name, package=True)
        for name in DEFERRED_MODULES:
            if name not in sys.modules:
                _install_deferred(name, package=None)
    for name in ASN1_REGISTRIES:
        importlib.import_module(name)


def prepare_pdf_reader() -> None:
    """Prepare pyHanko's PDF parser for docex's PDF side: call before reading a PDF.

    Installs :func:`docex.signatures.pyhanko_fast_hex.read_hex_string_from_stream` for the
    pyHanko versions it was checked against (else pyHanko's own function stays); calling
    this again changes nothing.
    """
    from docex.signatures import pyhanko_fast_hex

    pyhanko_fast_hex.install()


def _install_deferred(name: str, *, package: bool | None) -> None:
    # ``package``: whether ``name`` must be a package (True), a plain module (False) or
    # either (None).
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        # Not there (another cryptography or pyHanko layout): import it normally later.
        return
    is_package = spec.submodule_search_locations is not None
    if package is not None and package != is_package:
        # A plain module where a package was expected: leave it to the import system
        # rather than defer something this code was not written for.
        return
    package = is_package
    loader = spec.loader
    module = importlib.util.module_from_spec(spec)
    state = {"running": False}

    def __getattr__(attribute: str) -> object:  # noqa: N807 -- the PEP 562 hook's name
        if not attribute.startswith("__") and package and _is_submodule(module, attribute):
            # ``from pyhanko.sign import attributes`` asks the package for the name before
            # importing the submodule; answering with the submodule itself keeps the
            # __init__ deferred, and avoids running it from inside a submodule that it
            # imports in turn (pyhanko.sign.signers asks for ``attributes`` while loading).
            return importlib.import_module(f"{name}.{attribute}")
        with _lock:
            if module.__dict__.get("__getattr__") is __getattr__ and not state["running"]:
                state["running"] = True
                try:
                    loader.exec_module(module)
                finally:
                    state["running"] = False
                # From here on the package answers like any other module.
                if module.__dict__.get("__getattr__") is __getattr__:
                    del module.__dict__["__getattr__"]
        try:
            return module.__dict__[attribute]
        except KeyError:
            # While the __init__ runs, a name it has not defined yet is missing, as in
            # a normal import; an import of a submodule by that name then goes ahead.
            raise AttributeError(f"module {name!r} has no attribute {attribute!r}") from None

    module.__getattr__ = __getattr__  # type: ignore[method-assign]
    sys.modules[name] = module
    parent, _, child = name.rpartition(".")
    if parent:
        # What the import system does after loading a submodule: the parent names it.
        setattr(sys.modules[parent], child, module)


def _is_submodule(package: ModuleType, attribute: str) -> bool:
    # Where the import system would look: the package's own folder.
    found = importlib.machinery.PathFinder.find_spec(
        f"{package.__name__}.{attribute}", list(package.__path__)
    )
    return found is not None
