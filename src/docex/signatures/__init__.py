"""The signature verifier: pyhanko, asn1crypto and cryptography only.

Nothing here imports the web framework, the database or the object store.
"""

from docex.signatures.pyhanko_imports import defer_pyhanko_package_inits

# Before any verifier module imports pyHanko: the verifier needs pyHanko's validation
# submodules, not the signers and PDF machinery their packages' __init__ files import.
defer_pyhanko_package_inits()
