"""The container build and the compose file refer only to things that exist (no engine to build them here)."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"


def test_every_copy_source_of_the_dockerfile_exists() -> None:
    sources = []
    for line in (DEPLOY / "Dockerfile").read_text().splitlines():
        if line.startswith("COPY ") and "--from=" not in line:
            sources += line.split()[1:-1]
    assert sources
    for src in sources:
        assert (REPO / src).exists(), f"Dockerfile copies {src}, which is not in the repository"


def test_the_image_is_built_from_every_package_the_project_ships() -> None:
    """The wheel built in the image holds what ``pip install .`` holds: the CLI's bench and demo commands
    import ``tools`` when run, so a package left out of the build context breaks them only in production."""
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    shipped = {p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]}
    copied = set()
    for line in (DEPLOY / "Dockerfile").read_text().splitlines():
        if line.startswith("COPY ") and "--from=" not in line:
            copied.update(src.rstrip("/") for src in line.split()[1:-1])
    assert shipped <= copied, f"the Dockerfile does not copy {sorted(shipped - copied)} into the build"


def test_compose_mounts_exist_and_every_service_has_a_health_check() -> None:
    text = (DEPLOY / "compose.yaml").read_text()
    mounts = re.findall(r"- \./([^:]+):", text)
    assert mounts
    for m in mounts:
        if m in ("mosquitto/passwd", "mosquitto/certs", "fix-tls"):  # made at deploy time, never committed
            continue
        assert (DEPLOY / m).exists(), f"compose.yaml mounts ./{m}, which does not exist"
    services = re.findall(r"^  (\w+):\n", text, flags=re.MULTILINE)
    assert set(services) >= {"postgres", "mosquitto", "gateway"}
    # postgres and mosquitto declare theirs here; the gateway's is in its image (Dockerfile HEALTHCHECK).
    assert text.count("healthcheck:") == 2
    assert "HEALTHCHECK" in (DEPLOY / "Dockerfile").read_text()
    assert text.count("condition: service_healthy") == 2


def test_the_gateway_image_runs_the_production_configuration() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert 'CMD ["serve", "--config", "/etc/clearing-gateway/gateway.toml"]' in dockerfile
    assert "COPY deploy/config/production.toml /etc/clearing-gateway/gateway.toml" in dockerfile
    production = (DEPLOY / "config" / "production.toml").read_text()
    assert 'host = "mosquitto"' in production
    assert "@postgres:5432/" in production
