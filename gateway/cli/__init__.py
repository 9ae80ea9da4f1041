"""The ``clearing-gateway`` command line."""
