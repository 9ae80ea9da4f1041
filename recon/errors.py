"""Problems with reconciliation input: a whole file that cannot be used, or one cell of one row."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.domain.errors import InputRejected, Issue
from gateway.domain.reasons import ReasonCode


@dataclass(frozen=True, slots=True)
class CellProblem:
    """One unreadable input row: which file, which data row (1 = first row after the header), which column."""

    file: str
    row: int
    column: str
    value: str | None
    message: str
    trade_id: str | None = None
    uti: str | None = None

    def issue(self) -> Issue:
        return Issue(ReasonCode.RECON_INPUT_ERROR, f"{self.file}:row {self.row}:{self.column}", self.message)

    def __str__(self) -> str:
        return f"{self.file}, row {self.row}, column {self.column}: {self.message}"


def unusable(file: str, where: str, message: str) -> InputRejected:
    """A file-level failure: the run cannot reconcile with this input (exit code 2)."""
    return InputRejected([Issue(ReasonCode.RECON_INPUT_ERROR, f"{file}:{where}", message)])
