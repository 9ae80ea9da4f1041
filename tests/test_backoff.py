import pytest

from gateway.backoff import Backoff


class Pauses:
    """Records the pauses asked for instead of taking them."""

    def __init__(self) -> None:
        self.taken: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.taken.append(seconds)


async def test_pauses_double_up_to_the_longest_and_start_again_after_a_success() -> None:
    pauses = Pauses()
    backoff = Backoff(0.2, 1.0, sleep=pauses)
    for _ in range(5):
        await backoff.wait()
    assert pauses.taken == [0.2, 0.4, 0.8, 1.0, 1.0]
    backoff.reset()
    assert backoff.delay == 0.2
    await backoff.wait()
    assert pauses.taken[-1] == 0.2
    assert backoff.delay == 0.4  # what a log line announces before the next pause


@pytest.mark.parametrize(
    ("initial", "longest", "says"),
    [(0.0, 1.0, "first pause must be positive"), (2.0, 1.0, "must not be below the first")],
)
def test_a_backoff_that_cannot_pause_sensibly_is_refused(initial: float, longest: float, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        Backoff(initial, longest)
