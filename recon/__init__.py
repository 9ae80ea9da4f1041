"""Reconciliation agent: matches clearing members' books against CCP positions.

Independent of the gateway's internals except the published position format and one shared module: its
business days (ageing, the schedule) come from ``gateway.refdata.calendars``, the one calendar module.
"""
