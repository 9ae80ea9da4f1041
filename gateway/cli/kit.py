"""The convention both command lines follow (``clearing-gateway`` and ``clearing-recon``).

``clearing-recon`` imports this module and nothing else from the gateway's command line.

Applications
    ``make_app`` builds the root application: ``-h``/``--help`` everywhere, ``--version`` (the installed
    package's version), help on a bare command group, help text printed as written (square brackets such as
    ``[margin]`` are shown, not read as markup) and no decorated tracebacks.

One error path
    The root group's ``main`` runs the whole command and turns whatever goes wrong into one line per
    problem on standard error, ``PROG: error: WHERE: WHAT (CODE)``, where WHERE is the option the user typed
    (``--cash``, ``--db``) or the file, and WHAT says the rule and what to do. Exit status 2 for input the
    command refuses (a bad value, URL or file, an unreachable database, a refusal by the reference data),
    1 for an internal failure, which also says ``rerun with CLEARING_DEBUG=1 for the traceback``; with
    ``CLEARING_DEBUG=1`` the traceback is printed too. Usage errors (a missing option, a bad choice) keep
    click's status 2 and stay one line. With ``--json`` on the command line, errors are one JSON object
    ``{"error": [{"code", "path", "message"}, ...]}`` on standard error instead.

Vocabulary
    The same thing has the same option everywhere: ``--db URL`` (environment ``CLEARING_DB``) for the
    gateway database, ``--market-data DIR`` for a market data folder, ``--member ID`` for a clearing member,
    ``--out PATH`` for what a command writes (the file's suffix chooses the format), ``--json`` to print
    JSON instead of a table. A member is a positional argument only where it is the subject the command
    creates or changes (``participant add|add-account|suspend|reactivate MEMBER``, like ``source add
    SOURCE``); wherever a member selects or filters (``collateral``, ``export``, ``trade list``, the
    reconciliation) it is ``--member``. A renamed option keeps its old spelling, hidden from help, for one
    release. Developer hooks are hidden from help.

Database URLs
    ``check_db_url`` refuses, before connecting, a URL with a synchronous driver (``postgresql://``,
    ``postgres://``, ``sqlite://``: it names the async form to use) and a SQLite file whose folder does not
    exist (only ``db upgrade`` and the demo create folders). Opening the database is the gateway's alone
    (``gateway.cli.database``), so this module never reaches the store.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal
from importlib import metadata
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from typer._click import exceptions as click
from typer._click.core import Context as ClickContext
from typer.core import TyperCommand, TyperGroup

from gateway.domain.errors import GatewayError, InputRejected, Issue
from gateway.domain.reasons import ReasonCode

DEBUG_ENV = "CLEARING_DEBUG"
DB_ENV = "CLEARING_DB"
DEFAULT_DB = "sqlite+aiosqlite:///./var/gateway.db"
PACKAGE = "otc-clearing-gateway"
EXIT_INPUT = 2
EXIT_INTERNAL = 1
_CONTEXT = {"help_option_names": ["-h", "--help"]}


# ---------------------------------------------------------------- applications


class KitGroup(TyperGroup):
    """The root group: runs the command and reports every failure through ``report``."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        prog = prog_name or self.name or "command"
        try:
            code = super().main(
                argv,
                prog,
                complete_var,
                standalone_mode=False,
                windows_expand_args=windows_expand_args,
                **extra,
            )
        except BaseException as exc:  # every way out of a command goes through one report
            try:
                code = report(exc, prog, as_json=wants_json(argv))
            except Exception as failure:  # the report itself failed: still one line
                _say(
                    f"{prog}: error: internal failure: {type(failure).__name__} ({ReasonCode.INTERNAL_ERROR})"
                )
                code = EXIT_INTERNAL
        if isinstance(code, int) and not isinstance(code, bool):
            sys.exit(code)
        sys.exit(0)


class KitCommand(TyperCommand):
    """A command whose hidden arguments (an old positional form) stay out of the usage line as well."""

    def collect_usage_pieces(self, ctx: ClickContext) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if not getattr(param, "hidden", False):
                pieces.extend(param.get_usage_pieces(ctx))
        return pieces


def make_app(name: str, help_text: str) -> typer.Typer:
    """The root application of a command line that follows this module's convention."""
    app = typer.Typer(
        name=name,
        help=help_text,
        cls=KitGroup,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        context_settings=_CONTEXT,
    )

    @app.callback()
    def root(
        _version: Annotated[
            bool,
            typer.Option(
                "--version", help="Print the version and exit.", is_eager=True, callback=_show_version
            ),
        ] = False,
    ) -> None:
        pass

    root.__doc__ = help_text
    return app


def _show_version(ctx: typer.Context, value: bool) -> None:
    if value:
        typer.echo(f"{ctx.find_root().info_name} {version()}")
        raise typer.Exit(0)


def sub_app(help_text: str) -> typer.Typer:
    """A command group under a root application (help on a bare group, ``-h``)."""
    return typer.Typer(help=help_text, no_args_is_help=True, context_settings=_CONTEXT)


def version() -> str:
    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


# ---------------------------------------------------------------- one error path


def wants_json(argv: Sequence[str]) -> bool:
    """Whether the command line asks for JSON (``--json`` before any ``--``)."""
    args = list(argv)
    if "--" in args:
        args = args[: args.index("--")]
    return "--json" in args


def report(exc: BaseException, prog: str, *, as_json: bool) -> int:
    """Print ``exc`` as the convention says and return the exit status."""
    if isinstance(exc, typer.Exit):
        return exc.exit_code
    if isinstance(exc, SystemExit):
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else EXIT_INTERNAL)
    if isinstance(exc, click.NoArgsIsHelpError):
        exc.show()
        return EXIT_INPUT
    issues: list[Issue]
    if isinstance(exc, click.UsageError):
        where = exc.ctx.command_path if exc.ctx is not None else prog
        message = " ".join(exc.format_message().split())
        if not as_json:
            _say(f"{prog}: error: {message} (see '{where} -h')")
            return exc.exit_code
        issues, status = [Issue(ReasonCode.REF_INVALID_INPUT, where, message)], exc.exit_code
    elif isinstance(exc, click.ClickException):
        issues, status = [Issue(ReasonCode.REF_INVALID_INPUT, prog, exc.format_message())], exc.exit_code
    elif isinstance(exc, typer.Abort | KeyboardInterrupt):
        issues, status = [Issue(ReasonCode.INTERNAL_ERROR, prog, "interrupted")], 130
    elif isinstance(exc, GatewayError):
        issues, status = list(exc.issues), EXIT_INPUT
    elif isinstance(exc, FileNotFoundError | IsADirectoryError | NotADirectoryError | PermissionError):
        where = str(exc.filename) if exc.filename is not None else prog
        what = exc.strerror or str(exc)
        issues, status = [Issue(ReasonCode.REF_INVALID_INPUT, where, f"{what}: check the path")], EXIT_INPUT
    else:
        if os.environ.get(DEBUG_ENV):
            traceback.print_exception(exc)
        text = " ".join(str(exc).split()) or "no message"
        message = f"internal failure: {type(exc).__name__}: {text}"
        if not os.environ.get(DEBUG_ENV):
            message += f"; rerun with {DEBUG_ENV}=1 for the traceback"
        issues, status = [Issue(ReasonCode.INTERNAL_ERROR, prog, message)], EXIT_INTERNAL
    if as_json:
        _say(json.dumps({"error": [i.to_dict() for i in issues]}, indent=2))
    else:
        for issue in issues:
            _say(line(prog, issue))
    return status


def line(prog: str, issue: Issue) -> str:
    """``PROG: error: WHERE: WHAT (CODE)`` on one line."""
    message = " ".join(issue.message.split())
    where = f"{issue.path}: " if issue.path and issue.path not in ("/", prog) else ""
    return f"{prog}: error: {where}{message} ({issue.code})"


def _say(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def refuse(where: str, message: str, code: ReasonCode = ReasonCode.REF_INVALID_INPUT) -> InputRejected:
    """A refusal of what the user typed at ``where`` (an option such as ``--cash``)."""
    return InputRejected([Issue(code, where, message)])


@contextmanager
def paths_as_options(names: Mapping[str, str]) -> Iterator[None]:
    """Re-raise a refusal whose issues name a field (``member``, ``member.credit_score``) with the option the
    user typed (``--member``, ``--credit-score``); a dotted path matches on its last part too."""

    def option(path: str) -> str | None:
        return names.get(path) or names.get(path.rsplit(".", 1)[-1])

    try:
        yield
    except GatewayError as exc:
        if not any(option(i.path) for i in exc.issues):
            raise
        issues = [Issue(i.code, option(i.path) or i.path, i.message) for i in exc.issues]
        raise type(exc)(issues) from None


def usage(where: str, message: str) -> NoReturn:
    """Stop with a usage error naming the option (exit 2)."""
    raise typer.BadParameter(message, param_hint=where)


def pick(new: str, new_value: Any, old: str, old_value: Any, *, required: bool = False) -> Any:
    """The value of an option given under its new or its old (hidden) spelling; both is a usage error."""
    if new_value is not None and old_value is not None and new_value != old_value:
        usage(new, f"given twice, as {new} and as {old}: give only {new}")
    value = new_value if new_value is not None else old_value
    if value is None and required:
        raise click.MissingParameter(param_hint=f"'{new}'", param_type="option")
    return value


# ---------------------------------------------------------------- numbers


def positive(value: Decimal, where: str) -> Decimal:
    if value <= 0:
        raise refuse(where, f"must be positive, got {value}")
    return value


# ---------------------------------------------------------------- shared options

DbOption = Annotated[
    str,
    typer.Option(
        "--db",
        help="SQLAlchemy URL of the gateway database: sqlite+aiosqlite:///PATH or "
        "postgresql+asyncpg://USER@HOST:PORT/DB.",
        envvar=DB_ENV,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
MarketDataOption = Annotated[
    Path | None,
    typer.Option(
        "--market-data",
        help="Market data directory (market.toml, curves.csv, history.csv; `clearing-gateway market synth`).",
        exists=True,
        file_okay=False,
    ),
]
MarketAlias = Annotated[
    Path | None,
    typer.Option("--market", hidden=True, exists=True, file_okay=False, help="Old --market-data."),
]
MemberOption = Annotated[str | None, typer.Option("--member", help="Clearing member id, e.g. BANKA.")]
MemberRequired = Annotated[str, typer.Option("--member", help="Clearing member id, e.g. BANKA.")]
MemberArgAlias = Annotated[
    str | None, typer.Argument(hidden=True, metavar="MEMBER", help="Old positional form of --member.")
]


# ---------------------------------------------------------------- database URLs

_ASYNC = {"postgresql+asyncpg", "sqlite+aiosqlite"}
_SYNC = {
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "postgresql+psycopg": "postgresql+asyncpg",
    "postgresql+psycopg2": "postgresql+asyncpg",
    "postgresql+pg8000": "postgresql+asyncpg",
    "sqlite": "sqlite+aiosqlite",
    "sqlite+pysqlite": "sqlite+aiosqlite",
}
_FORMS = "sqlite+aiosqlite:///PATH or postgresql+asyncpg://USER:PASSWORD@HOST:PORT/DB"


def check_db_url(url: str, *, where: str = "--db", create: bool = False) -> str:
    """``url`` if the gateway can open it; otherwise an ``InputRejected`` saying what to write instead.

    A SQLite file's folder must exist unless ``create`` (``db upgrade``, the demo)."""
    from sqlalchemy.engine.url import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        raise refuse(where, f"not a database URL: {url!r}; write {_FORMS}") from None
    driver = parsed.drivername
    if driver in _SYNC:
        scheme = url.split("://", 1)[0]
        fixed = make_url(_SYNC[driver] + url[len(scheme) :]).render_as_string(hide_password=True)
        raise refuse(where, f"{scheme}:// is a synchronous driver; use {fixed}")
    if driver not in _ASYNC:
        raise refuse(where, f"unsupported database driver {driver!r}; write {_FORMS}")
    if driver == "sqlite+aiosqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            folder = Path(database).expanduser().parent
            if not create and not folder.is_dir():
                raise refuse(
                    where,
                    f"folder {folder} does not exist: check the path, or create the database with "
                    f"`clearing-gateway db upgrade --db {parsed.render_as_string(hide_password=True)}`",
                )
    return url
