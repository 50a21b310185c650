"""The tamper-evident audit log: who did what, when, and how it ended.

- :mod:`docex.audit.chain` — the hash recipe, for anyone re-checking the log;
- :mod:`docex.audit.log` — :func:`record`, the only way entries are written;
- :mod:`docex.audit.verify` — :func:`verify_chain` over the database;
- :mod:`docex.audit.export` — JSON Lines export and :func:`verify_export` offline;
- :mod:`docex.audit.query` — filtered, paginated reading for auditors.
"""
