"""The pacer's bookings: callers asking at once share the budget instead of racing for it."""

from __future__ import annotations

from bot.cms.pacing import Pacer


def pacer_with(remaining: int, *, limit: int = 60, now: list[float]) -> Pacer:
    pacer = Pacer(window=60.0, clock=lambda: now[0])
    pacer.observe(
        {"x-ratelimit-limit": str(limit), "x-ratelimit-remaining": str(remaining)},
        sent_at=0.0,
        received_at=0.0,
    )
    return pacer


def test_the_last_call_of_a_window_is_booked_once() -> None:
    now = [10.0]
    pacer = pacer_with(1, now=now)
    assert pacer.reserve() > 0  # spread: one call left in 50 s
    assert pacer.reserve() == 50.0  # booked out: wait for the window to end


def test_bookings_space_calls_evenly_over_the_rest_of_the_window() -> None:
    now = [0.0]
    pacer = pacer_with(3, limit=10, now=now)
    waits = [pacer.reserve() for _ in range(3)]
    assert waits == [15.0, 30.0, 45.0]


def test_release_returns_the_booking_once_the_answer_is_counted() -> None:
    now = [0.0]
    pacer = pacer_with(40, now=now)
    for _ in range(10):
        assert pacer.reserve() == 0.0  # more than half of 60 is left, counting bookings
    assert pacer.reserve() > 0.0  # 40 - 10 = 30: from here calls are spread
    for _ in range(11):
        pacer.release()
    assert pacer.remaining == 40
    pacer.release()  # more releases than bookings change nothing
    assert pacer.reserve() == 0.0


def test_a_new_window_is_free() -> None:
    now = [0.0]
    pacer = pacer_with(0, now=now)
    assert pacer.reserve() == 60.0
    now[0] = 61.0
    assert pacer.reserve() == 0.0
