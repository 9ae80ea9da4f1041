"""Throwaway certificates for TLS tests, made with the openssl command line.

pki = Pki(tmp_path)                      # a CA (ca.crt, ca.key)
pki.issue("server", "/CN=localhost", san="DNS:localhost,IP:127.0.0.1")
pki.issue("banka", "/CN=BANKA")          # banka.crt, banka.key signed by the CA
pki.self_signed("stranger", "/CN=BANKA") # not from the CA
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import services_required

DAYS = "2"


def _openssl_or_skip() -> None:
    if shutil.which("openssl") is None:
        message = "openssl is needed for the TLS tests (apt-get install -y openssl)"
        if services_required():
            pytest.fail(message)
        pytest.skip(message)


class Pki:
    def __init__(self, directory: Path) -> None:
        _openssl_or_skip()
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self._run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", DAYS, "-subj", "/CN=test-ca",
                  "-keyout", "ca.key", "-out", "ca.crt")  # fmt: skip

    @property
    def ca(self) -> Path:
        return self.dir / "ca.crt"

    def _run(self, *args: str) -> None:
        subprocess.run(["openssl", *args], cwd=self.dir, check=True, capture_output=True)

    def issue(self, name: str, subject: str, *, san: str | None = None) -> tuple[Path, Path]:
        """``name.crt`` / ``name.key`` signed by the CA; ``san`` e.g. ``DNS:x,URI:y,email:z``."""
        self._run("req", "-newkey", "rsa:2048", "-nodes", "-subj", subject, "-keyout", f"{name}.key",
                  "-out", f"{name}.csr")  # fmt: skip
        extra: list[str] = []
        if san is not None:
            (self.dir / f"{name}.ext").write_text(f"subjectAltName={san}\n")
            extra = ["-extfile", f"{name}.ext"]
        self._run("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                  "-days", DAYS, "-out", f"{name}.crt", *extra)  # fmt: skip
        return self.dir / f"{name}.crt", self.dir / f"{name}.key"

    def self_signed(self, name: str, subject: str) -> tuple[Path, Path]:
        self._run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", DAYS, "-subj", subject,
                  "-keyout", f"{name}.key", "-out", f"{name}.crt")  # fmt: skip
        return self.dir / f"{name}.crt", self.dir / f"{name}.key"
