"""The signature verifier: pyhanko, asn1crypto and cryptography only.

Nothing here imports the web framework, the database or the object store.
"""
