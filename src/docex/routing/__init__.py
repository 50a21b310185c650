"""Routing documents between facilities: referral lifecycle rules, requisition numbers,
the webhook outbox, subscriptions and dispatcher.

Pure rules and the webhook machinery live here; the services that apply the referral
rules to the database are ``docex.services.routing`` and ``docex.services.referrals``.
"""
