"""Reconciliation agent: matches clearing members' books against CCP positions."""
