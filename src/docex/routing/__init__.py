"""Routing documents between facilities: referrals, deliveries, and webhooks.

Every service takes the SQLAlchemy session of the caller's unit of work as its first
argument and keyword-only arguments after it; none commits on its own.
"""
