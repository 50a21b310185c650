"""The development PKI is built once per process for each configuration.

Building it parses every key and signs the first certificates with RSA (about a second),
which every ``docex sign`` and every test module paid again. ``DevPki.load`` and
``DstuPki.load`` now hand out the PKI already built for the same configuration and key
files; a configuration or key that differs in any byte gets a PKI of its own.
"""

from __future__ import annotations

import shutil
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from asn1crypto import pem
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from docex.devpki.dstu_pki import DOCTOR_DSTU, DstuPki
from docex.devpki.pki import ROOT_CA, DevPki, config_path, loaded_key
from docex.errors import DevPkiError

ROOT_NAME = "Docex DEV Qualified Root CA (DEVELOPMENT ONLY)"


def _copy_config(folder: Path, *, root_name: str = ROOT_NAME) -> Path:
    """dev-pki.yml and its keys under ``folder``, the root CA's name replaced."""
    source = config_path()
    text = source.read_text(encoding="utf-8")
    assert f'common-name: "{ROOT_NAME}"' in text, "dev-pki.yml no longer names its root so"
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / source.name
    copy.write_text(text.replace(ROOT_NAME, root_name, 1), encoding="utf-8")
    shutil.copytree(source.parent / "keys", folder / "keys", dirs_exist_ok=True)
    return copy


def _root_name(pki: DevPki) -> str:
    name: str = pki.cert(ROOT_CA).subject.native["common_name"]
    return name


def test_the_same_configuration_gives_the_same_pki() -> None:
    first = DevPki.load()
    assert DevPki.load() is first
    assert DevPki.load(config_path()) is first
    # Certificates are handed out as fresh copies of the same bytes: a caller that
    # changes one does not change what the next caller gets.
    assert first.cert(ROOT_CA) is not first.cert(ROOT_CA)
    assert first.cert(ROOT_CA).dump() == DevPki.load().cert(ROOT_CA).dump()


def test_a_copy_elsewhere_is_a_pki_of_its_own_with_the_same_certificates(
    tmp_path: Path,
) -> None:
    copy = DevPki.load(_copy_config(tmp_path / "copy"))
    assert copy is not DevPki.load()
    assert DevPki.load(tmp_path / "copy" / "dev-pki.yml") is copy
    # Same configuration text and keys: the same certificates, byte for byte.
    assert copy.cert("doctor-rsa").dump() == DevPki.load().cert("doctor-rsa").dump()


def test_a_different_configuration_gives_a_different_pki(tmp_path: Path) -> None:
    config = _copy_config(tmp_path, root_name="Another DEV Root CA")
    changed = DevPki.load(config)
    assert changed is not DevPki.load()
    assert _root_name(changed) == "Another DEV Root CA"
    assert _root_name(DevPki.load()) == ROOT_NAME

    # The same file, rewritten: its new text is what counts, not its name.
    _copy_config(tmp_path, root_name="A third DEV Root CA")
    rewritten = DevPki.load(config)
    assert rewritten is not changed
    assert _root_name(rewritten) == "A third DEV Root CA"


def test_a_different_key_file_gives_a_different_pki(tmp_path: Path) -> None:
    config = _copy_config(tmp_path)
    before = DevPki.load(config)
    # Give the root CA the TSA's key: same configuration text, another key file.
    shutil.copy(tmp_path / "keys" / "tsa.key.pem", tmp_path / "keys" / "root-ca.key.pem")
    after = DevPki.load(config)
    assert after is not before
    tsa_key = pem.unarmor((tmp_path / "keys" / "tsa.key.pem").read_bytes())[2]
    assert after.key(ROOT_CA).dump() == tsa_key
    assert before.key(ROOT_CA).dump() != tsa_key


def test_a_missing_configuration_is_still_a_dev_pki_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.yml"
    with pytest.raises(DevPkiError, match=r"cannot load the development PKI from .*nowhere\.yml"):
        DevPki.load(missing)


def test_a_missing_key_file_is_still_a_dev_pki_error(tmp_path: Path) -> None:
    config = _copy_config(tmp_path)
    (tmp_path / "keys" / "doctor-rsa.key.pem").unlink()
    with pytest.raises(DevPkiError, match=r"doctor-rsa\.key\.pem"):
        DevPki.load(config)


def test_loading_again_is_nearly_free() -> None:
    DevPki.load().cert(ROOT_CA)
    started = time.process_time()
    for _ in range(20):
        DevPki.load().cert(ROOT_CA)
    # Building it costs about a second of CPU; twenty loads of the built one cost a few
    # milliseconds each (reading and hashing the configuration and its keys).
    assert time.process_time() - started < 1.0


def test_threads_loading_at_once_share_one_pki(tmp_path: Path) -> None:
    config = _copy_config(tmp_path, root_name="A root loaded by threads")
    loaded: list[DevPki] = []
    threads = [
        threading.Thread(target=lambda: loaded.append(DevPki.load(config))) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(loaded) == 4
    assert all(pki is loaded[0] for pki in loaded)


def test_the_dstu_branch_is_built_once() -> None:
    first = DstuPki.load()
    assert DstuPki.load() is first
    cert = first.cert(DOCTOR_DSTU)
    assert cert is not first.cert(DOCTOR_DSTU)
    assert cert.dump() == DstuPki.load().cert(DOCTOR_DSTU).dump()
    # A copy handed out and then changed leaves the branch's certificate as it was.
    cert["tbs_certificate"]["serial_number"] = 1
    assert DstuPki.load().cert(DOCTOR_DSTU).serial_number != 1


def test_a_crl_is_the_one_of_its_period_whichever_moment_asks() -> None:
    pki = DevPki.load()
    morning = pki.crl(at=datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    evening = pki.crl(at=datetime(2026, 3, 2, 23, 59, 59, tzinfo=UTC))
    next_day = pki.crl(at=datetime(2026, 3, 3, 0, 0, tzinfo=UTC))
    assert morning.dump() == evening.dump()
    assert morning["tbs_cert_list"]["this_update"].native == datetime(2026, 3, 2, tzinfo=UTC)
    assert next_day["tbs_cert_list"]["this_update"].native == datetime(2026, 3, 3, tzinfo=UTC)
    assert next_day.dump() != morning.dump()


def test_a_key_is_loaded_once_and_signs_as_the_certificate_says() -> None:
    pki = DevPki.load()
    loaded = loaded_key(pki.key("doctor-rsa"))
    assert loaded_key(pki.key("doctor-rsa")) is loaded
    assert isinstance(loaded, rsa.RSAPrivateKey)
    signature = loaded.sign(b"referral", padding.PKCS1v15(), hashes.SHA256())
    public = serialization.load_der_public_key(pki.cert("doctor-rsa").public_key.dump())
    assert isinstance(public, rsa.RSAPublicKey)
    public.verify(signature, b"referral", padding.PKCS1v15(), hashes.SHA256())
