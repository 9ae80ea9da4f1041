"""Mutual TLS at the logon gate, and which CompIDs a member's certificate may log on as.

    tls = TlsConfig(certfile, keyfile, cafile, names=(("BANKA", ("BANKA_FIX", "BANKA_FIX2")),))
    context = server_context(tls)            # TLS 1.2 minimum, client certificate required and verified
    names = certificate_names(peercert)      # subject CN and SAN DNS / URI / email names
    tls.allows(names, "BANKA_FIX")           # a name is the CompID itself, or maps to it

A member is who its certificate says: the gate admits a Logon only if a name of the certificate the
member presented equals the Logon's SenderCompID, or is mapped to it in ``names``.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from typing import Any

from gateway.config import TlsConfig

_SAN_KINDS = ("DNS", "URI", "email")


def server_context(tls: TlsConfig) -> ssl.SSLContext:
    """The gate's context: TLS 1.2 minimum, a client certificate from ``tls.cafile`` required."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.verify_mode = ssl.CERT_REQUIRED
    context.options |= ssl.OP_NO_RENEGOTIATION
    context.load_cert_chain(str(tls.certfile), str(tls.keyfile))
    context.load_verify_locations(cafile=str(tls.cafile))
    return context


def certificate_names(peercert: Mapping[str, Any] | None) -> tuple[str, ...]:
    """The subject's commonName(s) and the SAN DNS, URI and email names of a verified peer certificate
    (``SSLObject.getpeercert()``); empty when there is none."""
    if not peercert:
        return ()
    names: list[str] = []
    for rdn in peercert.get("subject", ()):
        names += [value for key, value in rdn if key == "commonName"]
    names += [value for kind, value in peercert.get("subjectAltName", ()) if kind in _SAN_KINDS]
    return tuple(names)


def subject_text(peercert: Mapping[str, Any] | None) -> str:
    """The subject as ``CN=...,O=...`` for logs (``-`` when there is no certificate)."""
    if not peercert:
        return "-"
    short = {"commonName": "CN", "organizationName": "O", "organizationalUnitName": "OU", "countryName": "C"}
    parts = [f"{short.get(key, key)}={value}" for rdn in peercert.get("subject", ()) for key, value in rdn]
    return ",".join(parts) or "-"
