"""The demo: a simulated trade source and day of trades against a gateway on the embedded defaults."""
