"""Several audit chains: which chain an entry joins, and what each chain starts from.

One chain means one lock for every audited write in the deployment. The log is therefore
split into ``N`` chains (``DOCEX_AUDIT_CHAINS``, default :data:`DEFAULT_AUDIT_CHAINS`),
each with its own head and its own append lock, so that writers for different chains do
not wait for one another. ``N`` is stored in the database (table ``audit_chain_config``)
by the first append and cannot change afterwards: an entry's chain is a function of ``N``,
and changing it would scatter a facility's later entries over other chains. (Until the
very first append commits, the row it inserted holds up the first append of every other
chain: once, for the lifetime of the log.)

Which chain
    An entry's chain is ``SHA-256(shard_key)`` read as a big-endian unsigned integer
    (its first 8 bytes), modulo ``N``. The shard key names who acted: ``facility:<id>``
    for a facility's entries, ``token:<id>`` for an auditor (or another token without a
    facility), and otherwise the actor kind (``system``, ``anonymous``). So every entry of
    one facility lands in one chain.

What order remains
    Within one chain, entries are totally ordered (the ``prev_hash`` links, and ``id``
    order agrees with them because an entry's id is taken under its chain's lock). Hence
    one facility's entries, and one auditor's, stay in the order they committed. Across
    chains there is no hashed order: ``id`` (one sequence for the whole log) and
    ``created_at`` still say roughly what came first, but neither is covered by a link,
    so the relative order of two entries in different chains is not tamper-evident. A
    checkpoint (:mod:`docex.audit.checkpoints`) fixes every chain's position at one
    moment, which bounds that: an entry before a checkpoint cannot be moved after it.

Where each chain starts
    Chain 0 starts from :data:`~docex.audit.chain.GENESIS_HASH`, as the single chain did
    (entries written before sharding are chain 0). Chain ``c > 0`` starts from
    ``SHA-256("docex-audit-chain/" || decimal(c))``, so an entry's first link also says
    which chain it belongs to: relabelling a whole chain breaks its first link.
"""

from __future__ import annotations

import hashlib

from docex.audit.chain import GENESIS_HASH
from docex.db.audit import CHAINS_INFO, DEFAULT_AUDIT_CHAINS
from docex.domain import ActorKind

__all__ = [
    "AUDIT_LOCK_BASE",
    "CHAINS_INFO",
    "DEFAULT_AUDIT_CHAINS",
    "MAX_AUDIT_CHAINS",
    "chain_for",
    "chain_genesis",
    "chain_lock_key",
    "check_chain_count",
    "shard_key",
]

MAX_AUDIT_CHAINS = 1024
"""More chains than writers gain nothing, and every checkpoint lists every chain."""

# Arbitrary and fixed, distinct from the migration lock: the append lock of chain c is
# the PostgreSQL advisory lock AUDIT_LOCK_BASE + c.
AUDIT_LOCK_BASE = 0x646F636578A1_0000  # "docex" + audit, then the chain number


def shard_key(*, actor_kind: ActorKind | str, facility_id: int | None, token_id: int | None) -> str:
    """The text that decides an entry's chain: who acted, as stably as it is known."""
    if facility_id is not None:
        return f"facility:{facility_id}"
    if token_id is not None:
        return f"token:{token_id}"
    return str(actor_kind)


def chain_for(key: str, chains: int) -> int:
    """The chain (``0 <= chain < chains``) entries with shard key ``key`` join."""
    check_chain_count(chains)
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % chains


def chain_genesis(chain: int) -> str:
    """The ``prev_hash`` of the first entry of ``chain``."""
    if chain < 0:
        raise ValueError(f"no audit chain {chain}")
    if chain == 0:
        return GENESIS_HASH
    return hashlib.sha256(f"docex-audit-chain/{chain}".encode("ascii")).hexdigest()


def chain_lock_key(chain: int) -> int:
    """The PostgreSQL advisory lock key appends to ``chain`` take."""
    return AUDIT_LOCK_BASE + chain


def check_chain_count(chains: int) -> int:
    """``chains`` if it is a usable number of chains; ``ValueError`` if not."""
    if isinstance(chains, bool) or not 1 <= chains <= MAX_AUDIT_CHAINS:
        raise ValueError(f"the audit log has 1 to {MAX_AUDIT_CHAINS} chains, not {chains}")
    return chains
