"""The signature verifier: pyhanko, asn1crypto and cryptography only.

Nothing here imports the web framework, the database or the object store.
"""

from docex.signatures import asn1crypto_names
from docex.signatures.pyhanko_imports import defer_pyhanko_package_inits

# Before any verifier module imports pyHanko: the verifier needs pyHanko's validation
# submodules, not the signers and PDF machinery their packages' __init__ files import.
defer_pyhanko_package_inits()
# Certificate names are compared everywhere a path is built or an issuer looked up; each
# distinct value is prepared once per process instead of once per copy of the name.
asn1crypto_names.install()
