"""Delivery: notifications that leave the service, as signed webhooks to the push gateway and as email.

Every notification writes its outbox rows in its own transaction (``outbox``); a worker
(``worker``) delivers them at least once, retrying with exponential backoff for 24 hours and
recording each attempt. Members choose what reaches them (``preferences``); legal notices reach
them whatever they chose.
"""
