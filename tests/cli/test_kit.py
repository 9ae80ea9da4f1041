"""``gateway/cli/kit.py``: database URLs checked before connecting, and the error line's form."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.cli.kit import check_db_url, line
from gateway.domain.errors import InputRejected, Issue
from gateway.domain.reasons import ReasonCode


@pytest.mark.parametrize(
    ("given", "use"),
    [
        ("postgres://ops@db:5432/gateway", "postgresql+asyncpg://ops@db:5432/gateway"),
        ("postgresql+psycopg2://ops@db/gateway", "postgresql+asyncpg://ops@db/gateway"),
        ("sqlite:///var/gateway.db", "sqlite+aiosqlite:///var/gateway.db"),
        ("sqlite+pysqlite:///var/gateway.db", "sqlite+aiosqlite:///var/gateway.db"),
    ],
)
def test_a_synchronous_driver_is_refused_with_the_url_to_use(given: str, use: str) -> None:
    with pytest.raises(InputRejected) as refused:
        check_db_url(given)
    (issue,) = refused.value.issues
    assert (issue.code, issue.path) == (ReasonCode.REF_INVALID_INPUT, "--db")
    assert issue.message.endswith(f"use {use}")


def test_a_password_is_not_repeated_in_the_error() -> None:
    with pytest.raises(InputRejected) as refused:
        check_db_url("postgresql://ops:s3cret@db/gateway")
    assert "s3cret" not in str(refused.value)
    assert "postgresql+asyncpg://ops:***@db/gateway" in str(refused.value)


def test_what_the_gateway_can_open_passes(tmp_path: Path) -> None:
    for url in (
        "postgresql+asyncpg://ops@db/gateway",
        "sqlite+aiosqlite://",
        "sqlite+aiosqlite:///:memory:",
        f"sqlite+aiosqlite:///{tmp_path}/gateway.db",
    ):
        assert check_db_url(url) == url


def test_a_missing_folder_is_refused_unless_the_command_creates_it(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/new/gateway.db"
    with pytest.raises(InputRejected, match="does not exist"):
        check_db_url(url)
    assert check_db_url(url, create=True) == url
    assert not (tmp_path / "new").exists()  # checking creates nothing


@pytest.mark.parametrize("url", ["not a url", "mysql+aiomysql://db/gateway", "oracle://db"])
def test_other_urls_are_refused_with_the_forms_accepted(url: str) -> None:
    with pytest.raises(InputRejected, match=r"sqlite\+aiosqlite:///PATH or postgresql\+asyncpg://"):
        check_db_url(url)


def test_the_error_line_names_where_what_and_code() -> None:
    issue = Issue(ReasonCode.REF_INVALID_INPUT, "--cash", "must be\n positive, got -100")
    assert line("clearing-gateway", issue) == (
        "clearing-gateway: error: --cash: must be positive, got -100 (REF_INVALID_INPUT)"
    )
