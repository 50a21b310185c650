"""What docex.signatures.pyhanko_imports defers for a PDF's verify (issue 12).

cryptography's PKCS#12 module: pyHanko's public-key encryption handler binds it at import
and calls it only to load a PKCS#12 key; its import cost every PDF verify
``cryptography.x509``. ``pyhanko.sign.signers``' ``__init__``: decrypting a PDF needs one of
its modules, and the package's ``__init__`` imported every signer and aiohttp. Deferred,
each must still work the moment someone uses it, and encrypted PDFs must be verified or
refused as before. Each check runs in a fresh interpreter: this test process loaded all
of them long ago.
"""

from __future__ import annotations

import datetime
import json
from io import BytesIO
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import copy_into_new_writer

from docex.devpki.pdf import minimal_pdf
from docex.devpki.pki import DevPki
from tests.fresh_python import last_json_line, modules_at_exit
from tests.signatures.encrypted_pdf import encrypted_signed_pdf

_PKCS12_ROUND_TRIP = """
import json, sys
import docex.signatures.pades
import pyhanko.pdf_utils.reader
from cryptography.hazmat.primitives.serialization import pkcs12
out = {"x509_before": "cryptography.x509" in sys.modules}
out["same_module"] = pkcs12 is sys.modules["cryptography.hazmat.primitives.serialization.pkcs12"]
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import NoEncryption
key = ec.generate_private_key(ec.SECP256R1())
blob = pkcs12.serialize_key_and_certificates(b"k", key, None, None, NoEncryption())
loaded, cert, extra = pkcs12.load_key_and_certificates(blob, None)
out["round_trip"] = loaded.private_numbers() == key.private_numbers()
out["x509_after"] = "cryptography.x509" in sys.modules
out["hook_left"] = "__getattr__" in vars(pkcs12)
from pyhanko.pdf_utils.crypt import pubkey
out["pyhanko_sees_it"] = pubkey.pkcs12.load_key_and_certificates is pkcs12.load_key_and_certificates
print(json.dumps(out))
"""


def test_pkcs12_runs_when_first_used_and_not_before() -> None:
    assert last_json_line(_PKCS12_ROUND_TRIP) == {
        "x509_before": False,
        "same_module": True,
        "round_trip": True,
        "x509_after": True,
        "hook_left": False,
        "pyhanko_sees_it": True,
    }


def test_a_name_pkcs12_lacks_is_still_an_attribute_error() -> None:
    out = last_json_line(
        "import json\n"
        "import docex.signatures\n"
        "from cryptography.hazmat.primitives.serialization import pkcs12\n"
        "try:\n"
        "    pkcs12.no_such_name\n"
        "except AttributeError as exc:\n"
        "    message = str(exc)\n"
        "print(json.dumps([message, callable(pkcs12.load_pkcs12)]))"
    )
    assert out == [
        "module 'cryptography.hazmat.primitives.serialization.pkcs12' has no attribute "
        "'no_such_name'",
        True,
    ]


def _certificate_encrypted_pdf() -> bytes:
    # A recipient certificate with keyEncipherment, which pyHanko's writer requires.
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "recipient")])
    start = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    usage = x509.KeyUsage(
        digital_signature=False,
        content_commitment=False,
        key_encipherment=True,
        data_encipherment=False,
        key_agreement=True,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=365))
        .add_extension(usage, critical=True)
        .sign(key, hashes.SHA256())
    )
    recipient = asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))
    writer = copy_into_new_writer(PdfFileReader(BytesIO(minimal_pdf("for the recipient only"))))
    writer.encrypt_pubkey([recipient])
    out = BytesIO()
    # pyHanko leaves its writer's write untyped.
    writer.write(out)  # type: ignore[no-untyped-call]
    return out.getvalue()


def test_a_pdf_encrypted_for_a_certificate_is_still_refused(tmp_path: Path) -> None:
    # The public-key handler is what imports pkcs12; reading such a file goes through it.
    pdf = tmp_path / "for-a-certificate.pdf"
    pdf.write_bytes(_certificate_encrypted_pdf())
    done, loaded = modules_at_exit(
        "from docex.cli.main import run\nrun()",
        *("verify", "--format", "json", str(pdf)),
        env={"DOCEX_VERIFY_WORKERS": "0"},
    )
    assert done.returncode == 3
    assert json.loads(done.stdout) == {
        "file": str(pdf),
        "error": "the PDF's encryption is not supported: Security handler is of type "
        "'<class 'pyhanko.pdf_utils.crypt.pubkey.PubKeySecurityHandler'>', "
        "not StandardSecurityHandler",
    }
    assert "pyhanko.pdf_utils.crypt.pubkey" in loaded


def test_an_encrypted_pdf_s_verify_loads_no_signer_and_no_http_client(
    pki: DevPki, tmp_path: Path
) -> None:
    # Decrypting imports pyHanko's PDF MAC module, which imports signers.pdf_byterange;
    # with the signers' package __init__ deferred, that one module comes, not the signers.
    pdf = tmp_path / "encrypted.pdf"
    pdf.write_bytes(encrypted_signed_pdf(pki, user_password=""))
    done, loaded = modules_at_exit(
        "from docex.cli.main import run\nrun()",
        *("verify", "--format", "json", str(pdf)),
        env={"DOCEX_VERIFY_WORKERS": "0"},
    )
    report = json.loads(done.stdout)
    assert (done.returncode, report["indication"], report["sub_indication"]) == (
        2,
        "INDETERMINATE",
        "TRY_LATER",
    )
    assert {"pyhanko.pdf_utils.crypt.pdfmac", "pyhanko.sign.signers.pdf_byterange"} <= loaded
    signing = {
        "pyhanko.sign.signers.pdf_signer",
        "pyhanko.sign.signers.pdf_cms",
        "pyhanko.sign.signers.functions",
        "pyhanko.sign.timestamps",
    }
    assert loaded & signing == set()
    assert {m for m in loaded if m.split(".")[0] in {"aiohttp", "yarl", "multidict"}} == set()


def test_the_signers_package_runs_its_init_when_asked_for_a_signer() -> None:
    out = last_json_line(
        "import json, sys\n"
        "import docex.signatures\n"
        "from pyhanko.sign.signers import pdf_byterange\n"
        "before = 'pyhanko.sign.signers.pdf_signer' in sys.modules\n"
        "from pyhanko.sign import signers\n"
        "from pyhanko.sign.signers.pdf_signer import PdfSigner\n"
        "print(json.dumps([before, signers.PdfSigner is PdfSigner,"
        " '__getattr__' in vars(signers), callable(signers.sign_pdf)]))"
    )
    assert out == [False, True, False, True]


def test_tzlocal_runs_when_first_used() -> None:
    # pyHanko's document-info module imports it to stamp the time on what it writes; a
    # top-level package, deferred like the others.
    out = last_json_line(
        "import json, sys\n"
        "import docex.signatures.pades\n"
        "import pyhanko.pdf_utils.metadata.info\n"
        "before = 'tzlocal.unix' in sys.modules\n"
        "import tzlocal\n"
        "zone = tzlocal.get_localzone()\n"
        "from tzlocal.unix import get_localzone\n"
        "print(json.dumps([before, get_localzone is tzlocal.get_localzone,"
        " zone is not None, '__getattr__' in vars(tzlocal)]))"
    )
    assert out == [False, True, True, False]
