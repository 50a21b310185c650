"""Routing between facilities: the referral lifecycle rules and requisition numbers.

Pure rules live here; the services that apply them to the database are in
``docex.services.routing`` and ``docex.services.referrals``.
"""
