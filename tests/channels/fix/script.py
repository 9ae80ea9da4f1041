"""A runner for FIX conversation scripts, in the manner of QuickFIX's acceptance-test ``.def`` files.

One step per line (``|`` stands for SOH):

    iCONNECT                      open a TCP connection
    I35=A|34=1|98=0|108=30|1137=9 send; BeginString, BodyLength, CheckSum, SenderCompID, TargetCompID
                                  and SendingTime are filled in unless the line gives them
    R8=FIXT.1.1|9=5|35=0|10=000|  send these bytes exactly (garbled input)
    E35=A|34=1|49=CCP|...         expect this message next; BeginString, BodyLength, CheckSum and
                                  SendingTime are not compared, a value ``*`` matches any value
    eDISCONNECT                   expect the acceptor to close the connection (no message first)
    iDISCONNECT                   close the connection
    # comment

``{name}`` inside a line is replaced by the pairs in ``tests/golden/fix/name.fix`` (one line).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tests.channels.fix.client import Disconnected, FixClient, pairs_of

GOLDEN = Path(__file__).resolve().parents[2] / "golden" / "fix"
IGNORED = {8, 9, 10, 52}


@dataclass(frozen=True, slots=True)
class Step:
    line: int
    kind: str  # connect, disconnect, send, raw, expect, expect_disconnect
    pairs: tuple[tuple[int, str], ...] = ()
    raw: bytes = b""


def _expand(text: str, base: Path) -> str:
    while "{" in text:
        start = text.index("{")
        end = text.index("}", start)
        name = text[start + 1 : end]
        include = (base / f"{name}.fix").read_text(encoding="utf-8").strip()
        text = text[:start] + include + text[end + 1 :]
    return text


def parse_pairs(text: str) -> tuple[tuple[int, str], ...]:
    pairs = []
    for chunk in text.strip().strip("|").split("|"):
        tag, _, value = chunk.partition("=")
        pairs.append((int(tag), value))
    return tuple(pairs)


def load(path: Path) -> list[Step]:
    steps: list[Step] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line == "iCONNECT":
            steps.append(Step(n, "connect"))
        elif line == "iDISCONNECT":
            steps.append(Step(n, "disconnect"))
        elif line == "eDISCONNECT":
            steps.append(Step(n, "expect_disconnect"))
        elif line[0] in "IE":
            kind = "send" if line[0] == "I" else "expect"
            steps.append(Step(n, kind, parse_pairs(_expand(line[1:], path.parent))))
        elif line[0] == "R":
            steps.append(Step(n, "raw", raw=_expand(line[1:], path.parent).replace("|", "\x01").encode()))
        else:
            raise ValueError(f"{path.name}:{n}: cannot read {line!r}")
    return steps


def matches(expected: tuple[tuple[int, str], ...], got: list[tuple[int, str]]) -> bool:
    got_kept = [(t, v) for t, v in got if t not in IGNORED]
    want = [(t, v) for t, v in expected if t not in IGNORED]
    if len(got_kept) != len(want):
        return False
    return all(
        gt == wt and (wv == "*" or gv == wv) for (gt, gv), (wt, wv) in zip(got_kept, want, strict=True)
    )


def show(pairs: list[tuple[int, str]] | tuple[tuple[int, str], ...]) -> str:
    return "|".join(f"{t}={v}" for t, v in pairs if t not in IGNORED) + "|"


async def run(path: Path, host: str, port: int, sender: str = "MEMBER1") -> None:
    """Play ``path`` against the acceptor; AssertionError names the line that did not match."""
    client = FixClient(host, port, sender=sender)
    try:
        for step in load(path):
            where = f"{path.name}:{step.line}"
            if step.kind == "connect":
                await client.connect()
            elif step.kind == "disconnect":
                await client.close()
            elif step.kind == "send":
                await client.send(list(step.pairs))
            elif step.kind == "raw":
                await client.send_raw(step.raw)
            elif step.kind == "expect":
                try:
                    got = pairs_of(await client.receive())
                except Disconnected:
                    raise AssertionError(f"{where}: connection closed, expected {show(step.pairs)}") from None
                assert matches(step.pairs, got), (
                    f"{where}:\n  expected {show(step.pairs)}\n  received {show(got)}"
                )
            else:
                extra = await client.expect_closed()
                assert not extra, (
                    f"{where}: expected a disconnect, received {[show(pairs_of(m)) for m in extra]}"
                )
    finally:
        await client.close()
