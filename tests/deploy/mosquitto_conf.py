"""deploy/mosquitto/mosquitto.conf adapted to a test broker: file locations and ports only.

    conf = render(tmp_path, port=p, passwd=..., acl=...)                       # the plain listener only
    conf = render(tmp_path, port=p, passwd=..., acl=..., tls_port=t, certs=d)  # and the TLS listener

Without ``tls_port`` the TLS listener's lines are left out (a test of the ACL needs no certificates);
with it, its port and certificate paths are replaced and every TLS option is kept as deployed.
"""

from __future__ import annotations

from pathlib import Path

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "mosquitto"
TLS_KEYS = ("certfile", "keyfile", "cafile", "tls_version", "require_certificate")


def render(
    folder: Path,
    *,
    port: int,
    passwd: Path,
    acl: Path,
    tls_port: int | None = None,
    certs: Path | None = None,
) -> str:
    lines = []
    for line in (DEPLOY / "mosquitto.conf").read_text().splitlines():
        key, _, value = line.partition(" ")
        if line == "listener 1883":
            line = f"listener {port} 127.0.0.1"
        elif line == "listener 8883":
            if tls_port is None:
                continue
            line = f"listener {tls_port} 127.0.0.1"
        elif key in TLS_KEYS:
            if tls_port is None:
                continue
            if key in ("certfile", "keyfile", "cafile"):
                assert certs is not None
                line = f"{key} {certs / Path(value).name}"
        lines.append(line)
    conf = (
        "\n".join(lines)
        .replace("/mosquitto/config/passwd", str(passwd))
        .replace("/mosquitto/config/acl", str(acl))
        .replace("/mosquitto/data/", f"{folder / 'data'}/")
    )
    assert str(passwd) in conf
    assert f"listener {port} 127.0.0.1" in conf
    return conf + "\n"
