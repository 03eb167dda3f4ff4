"""The submission log: migrations, states, idempotency, threads."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from pathlib import Path

import pytest

from bot.store import MIGRATIONS, State, Store, StoreError

T0 = dt.datetime(2026, 11, 27, 9, 30, tzinfo=dt.UTC)


def values(key: str = "k1", **extra: object) -> dict[str, object]:
    return {
        "key": key,
        "frontend": "cli",
        "user_id": "U1",
        "contact_id": 1042,
        "course_id": 2,
        "completed_at": dt.date(2026, 11, 26),
        "typed": {"contact_id": "1042", "completed_at": "yesterday"},
        "assumed": [],
        "notes": {"completed_at": "Thursday 26 November 2026 (yesterday)"},
        **extra,
    }


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store(tmp_path / "log.db", clock=lambda: T0) as s:
        yield s


def test_migrations_run_once_and_again_safely(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    with Store(path) as first:
        assert first.migrate() == []  # the constructor already applied them
    with Store(path) as second:
        assert second.migrate() == []
        names = [r[0] for r in second._db.execute("select name from _migrations").fetchall()]
    assert names == [name for name, _ in MIGRATIONS]


def test_database_is_in_wal_mode(store: Store, tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "log.db")
    try:
        assert conn.execute("pragma journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()


def test_create_stores_pending_with_typed_values(store: Store) -> None:
    submission, created = store.create(values())
    assert created
    assert submission.state is State.PENDING
    assert submission.contact_id == 1042
    assert submission.completed_at == dt.date(2026, 11, 26)
    assert submission.typed == {"contact_id": "1042", "completed_at": "yesterday"}
    assert submission.created_at == T0
    assert submission.attempts == 0
    assert not submission.reported
    assert [e["event"] for e in store.events(submission.id)] == ["submitted"]


def test_same_key_returns_the_first_submission(store: Store) -> None:
    first, created_first = store.create(values("view-1"))
    again, created_again = store.create(values("view-1", contact_id=9999))
    assert created_first
    assert not created_again
    assert again.id == first.id
    assert again.contact_id == 1042
    assert store.count() == 1


def test_claim_moves_to_sending_once_per_attempt(store: Store) -> None:
    submission, _ = store.create(values())
    claimed = store.claim(submission.id, sent={"course_id": "2"})
    assert claimed is not None
    assert claimed.state is State.SENDING
    assert claimed.sent == {"course_id": "2"}
    assert claimed.attempts == 1
    # A crash leaves it `sending`: claiming again is allowed and counts the attempt.
    again = store.claim(submission.id, sent={"course_id": "2"})
    assert again is not None
    assert again.attempts == 2


@pytest.mark.parametrize("final", [State.RECORDED, State.REJECTED, State.NOT_FOUND])
def test_final_submissions_cannot_be_claimed(store: Store, final: State) -> None:
    submission, _ = store.create(values())
    store.update(submission.id, final.value, state=final)
    assert store.claim(submission.id, sent={}) is None


def test_failed_submission_can_be_claimed_again(store: Store) -> None:
    submission, _ = store.create(values())
    store.update(submission.id, "failed", state=State.FAILED, reason="CMS down")
    claimed = store.claim(submission.id, sent={})
    assert claimed is not None
    assert claimed.state is State.SENDING


def test_update_records_outcome_and_event(store: Store) -> None:
    submission, _ = store.create(values())
    done = store.update(
        submission.id,
        "recorded",
        state=State.RECORDED,
        record_id=555,
        course_name="Safeguarding Foundations",
        cms_status=200,
        cms_body={"id": 555, "course_name": "Safeguarding Foundations"},
    )
    assert done.state is State.RECORDED
    assert done.record_id == 555
    assert done.cms_body == {"id": 555, "course_name": "Safeguarding Foundations"}
    events = store.events(submission.id)
    assert [e["event"] for e in events] == ["submitted", "recorded"]
    assert events[1]["detail"]["record_id"] == 555


def test_unfinished_lists_pending_and_sending_oldest_first(store: Store) -> None:
    a, _ = store.create(values("a"))
    b, _ = store.create(values("b"))
    c, _ = store.create(values("c"))
    store.claim(b.id, sent={})
    store.update(c.id, "recorded", state=State.RECORDED)
    assert [s.id for s in store.unfinished()] == [a.id, b.id]


def test_unreported_lists_final_outcomes_not_yet_told(store: Store) -> None:
    a, _ = store.create(values("a"))
    b, _ = store.create(values("b"))
    store.update(a.id, "recorded", state=State.RECORDED)
    store.update(b.id, "recorded", state=State.RECORDED, reported=1)
    assert [s.id for s in store.unreported()] == [a.id]


def test_find_similar_matches_same_record_within_window(store: Store) -> None:
    first, _ = store.create(values("a"))
    store.update(first.id, "recorded", state=State.RECORDED)
    fields = {
        "course_id": 2,
        "qualification_id": None,
        "booked_at": None,
        "attended_at": None,
        "completed_at": dt.date(2026, 11, 26),
        "expires_at": None,
    }
    found = store.find_similar(contact_id=1042, fields=fields, since=T0 - dt.timedelta(hours=1))
    assert found is not None
    assert found.id == first.id
    assert store.find_similar(contact_id=1043, fields=fields, since=T0) is None
    other_day = {**fields, "completed_at": dt.date(2026, 11, 25)}
    assert store.find_similar(contact_id=1042, fields=other_day, since=T0) is None
    assert store.find_similar(contact_id=1042, fields=fields, since=T0, exclude_key="a") is None
    later = T0 + dt.timedelta(seconds=1)
    assert store.find_similar(contact_id=1042, fields=fields, since=later) is None


def test_recent_newest_first_and_by_user(store: Store) -> None:
    store.create(values("a", user_id="U1"))
    store.create(values("b", user_id="U2"))
    store.create(values("c", user_id="U1"))
    assert [s.key for s in store.recent(10)] == ["c", "b", "a"]
    assert [s.key for s in store.recent(10, user_id="U1")] == ["c", "a"]
    assert [s.key for s in store.recent(1)] == ["c"]


def test_get_unknown_id_raises_store_error(store: Store) -> None:
    with pytest.raises(StoreError, match="No submission 99"):
        store.get(99)


def test_unopenable_path_raises_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="Cannot open"):
        Store(tmp_path / "missing-dir" / "log.db")


def test_many_threads_create_distinct_rows(store: Store) -> None:
    def work(n: int) -> None:
        for i in range(20):
            store.create(values(f"t{n}-{i}"))
            store.create(values(f"t{n}-{i}"))  # a duplicate key is ignored

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.count() == 160
    assert store.count(State.PENDING) == 160


def test_reopening_keeps_the_data(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    with Store(path) as s:
        s.create(values("keep"))
    with Store(path) as s:
        kept = s.by_key("keep")
    assert kept is not None
    assert kept.contact_id == 1042
