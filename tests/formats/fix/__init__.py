"""Tests of the FIX message side: wire, dictionaries, trade fields, replies."""
