"""The deferred pyHanko package ``__init__`` files (docex.signatures.pyhanko_imports).

Each check runs in a fresh interpreter: this test process imported pyHanko's signers long
ago, and a deferred package is only deferred until someone asks it for a name.
"""

from __future__ import annotations

from tests.fresh_python import last_json_line


def _run(body: str) -> dict[str, object]:
    # The body leaves its findings in `out`; they come back as the last line of stdout.
    script = f"import json, sys\nout = {{}}\n{body}\nprint(json.dumps(out))"
    result: dict[str, object] = last_json_line(script)
    return result


def test_the_verifier_loads_no_signer_and_no_aiohttp() -> None:
    out = _run(
        "import docex.signatures.verifier\n"
        "out['signers'] = 'pyhanko.sign.signers.pdf_signer' in sys.modules\n"
        "out['aiohttp'] = 'aiohttp' in sys.modules\n"
        "out['errors'] = 'pyhanko.sign.validation.errors' in sys.modules\n"
    )
    assert out == {"signers": False, "aiohttp": False, "errors": True}


def test_a_name_of_the_package_runs_its_init() -> None:
    out = _run(
        "import docex.signatures.verifier\n"
        "from pyhanko.sign import SimpleSigner\n"
        "from pyhanko.sign.signers import SimpleSigner as direct\n"
        "out['same'] = SimpleSigner is direct\n"
        "import pyhanko.sign\n"
        "out['all'] = sorted(pyhanko.sign.__all__) == sorted(pyhanko.sign.__all__)\n"
        "out['has_hook'] = '__getattr__' in vars(pyhanko.sign)\n"
        "from pyhanko.sign.validation import validate_pdf_signature, KeyUsageConstraints\n"
        "from pyhanko.sign.validation.settings import KeyUsageConstraints as settings_kuc\n"
        "out['kuc'] = KeyUsageConstraints is settings_kuc\n"
        "out['validation_hook'] = '__getattr__' in vars(pyhanko.sign.validation)\n"
        "out['callable'] = callable(validate_pdf_signature)\n"
    )
    assert out == {
        "same": True,
        "all": True,
        "has_hook": False,
        "kuc": True,
        "validation_hook": False,
        "callable": True,
    }


def test_a_missing_name_is_an_attribute_error() -> None:
    out = _run(
        "import docex.signatures\n"
        "import pyhanko.sign\n"
        "try:\n"
        "    pyhanko.sign.no_such_name\n"
        "except AttributeError as exc:\n"
        "    out['error'] = str(exc)\n"
        "out['signers'] = 'pyhanko.sign.signers.pdf_signer' in sys.modules\n"
    )
    # Asking for any name runs the real __init__ first: only then is "missing" the truth.
    assert out == {
        "error": "module 'pyhanko.sign' has no attribute 'no_such_name'",
        "signers": True,
    }


def test_signing_with_the_dev_pki_still_works() -> None:
    # docex.devpki signs with pyHanko's signers, imported here after the verifier has
    # deferred their packages; what it signs must still verify.
    out = _run(
        "from docex.signatures.trust import load_trust_store\n"
        "from docex.signatures.verifier import Verifier\n"
        "from docex.devpki.pdf import minimal_pdf\n"
        "from docex.devpki.pki import DevPki\n"
        "from docex.devpki.signing import sign_cades, sign_pades\n"
        "pki = DevPki.load()\n"
        "cades = sign_cades(pki, b'x', signer='doctor-ecdsa', detached=False, level='B-LT')\n"
        "pades = sign_pades(pki, minimal_pdf(), signer='doctor-ecdsa', level='B-LT')\n"
        "with Verifier(load_trust_store(['certs-dev/trust'])) as verifier:\n"
        "    for name, data in (('cades', cades), ('pades', pades)):\n"
        "        report = verifier.verify(data)\n"
        "        out[name] = [report.indication.value, report.qualification.value]\n"
    )
    assert out == {"cades": ["TOTAL_PASSED", "QESig"], "pades": ["TOTAL_PASSED", "QESig"]}


def test_nothing_changes_when_pyhanko_sign_was_imported_first() -> None:
    out = _run(
        "import pyhanko.sign\n"
        "before = sys.modules['pyhanko.sign'], sys.modules['pyhanko.sign.validation']\n"
        "from docex.signatures.pyhanko_imports import defer_pyhanko_package_inits\n"
        "import docex.signatures\n"
        "defer_pyhanko_package_inits()\n"
        "after = sys.modules['pyhanko.sign'], sys.modules['pyhanko.sign.validation']\n"
        "out['same'] = before[0] is after[0] and before[1] is after[1]\n"
        "out['hook'] = '__getattr__' in vars(after[0]) or '__getattr__' in vars(after[1])\n"
    )
    assert out == {"same": True, "hook": False}


_REGISTRIES = """
from asn1crypto import core
def walk(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from walk(sub)
for cls in walk(core.Asn1Value):
    name = f"{cls.__module__}.{cls.__qualname__}"
    for attribute in ("_map", "_oid_specs"):
        table = cls.__dict__.get(attribute)
        if isinstance(table, dict):
            out[f"{name}.{attribute}"] = sorted(
                (key, value if isinstance(value, str) else getattr(value, "__qualname__", "?"))
                for key, value in table.items()
            )
"""


def test_asn1crypto_learns_what_pyhankos_full_import_teaches_it() -> None:
    # pyHanko's signers and PDF reader register OID names and structures with asn1crypto
    # when they load (content_time_stamp among them); a CMS check that skips them must
    # still parse as if they had loaded, or a content time-stamp would go unnamed.
    deferred = _run("import docex.signatures.verifier\n" + _REGISTRIES)
    full = _run(
        "import pyhanko.sign, pyhanko.sign.validation, pyhanko.pdf_utils.reader\n"
        "import docex.signatures.verifier\n" + _REGISTRIES
    )
    names = deferred["asn1crypto.cms.CMSAttributeType._map"]
    assert isinstance(names, list)
    assert ["1.2.840.113549.1.9.16.2.20", "content_time_stamp"] in names
    assert deferred == full
