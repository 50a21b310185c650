"""Referrals between facilities, as rules that need no database.

- :mod:`~docex.referrals.lifecycle`: the statuses a referral goes through and who may
  move it (take, release, complete, recall, expire, cancel);
- :mod:`~docex.referrals.requisition`: the short numbers a patient carries to the performer;
- :mod:`~docex.referrals.plan`: what a submitted document does to the routing state
  (a new referral, a status change, a superseded result, deliveries), decided from the
  rows it concerns.

Reading those rows under locks and writing the plan is :mod:`docex.services.routing_state`;
the referral actions that need no signature are :mod:`docex.services.referrals`.
"""
