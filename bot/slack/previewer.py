"""The worker that answers a form as it is filled in: one ``views.update`` per keystroke's
action, on threads of our own (never Bolt's, never the listener's).

A dispatch action carries the whole view (id, hash, state). `Previewer.request` keeps only
the newest action per view (by ``action_ts``) and hands the view to a worker, which builds the
notes (`notes_for`) and sends ``views.update(view_id, hash, view)``. A late update never
overwrites a newer one: an action older than one already shown is dropped, and Slack's
``hash_conflict`` (the view changed since the action was sent) drops the update, except
that a view whose hash our own previous update replaced is updated with the hash that update
returned (only our notes changed in between, so what the person typed is newer).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from bot.errors import SlackFailure
from bot.people import Card, ContactBook, contact_line, record_lines
from bot.preview import date_notes
from bot.slack.client import SlackClient
from bot.slack.live_form import Shown, form_texts, with_notes
from bot.submission import MAX_ID

log = logging.getLogger(__name__)

__all__ = ["CONTACT_BLOCK", "Previewer", "contact_note", "notes_for"]

#: The block whose pick is looked up in the CMS.
CONTACT_BLOCK = "contact_id"
#: How long a worker waits for a contact lookup before showing what it has.
LOOKUP_WAIT = 1.5


def contact_note(card: Card, today: dt.date) -> Shown:
    """Under the contact: who it is, and the course records the CMS holds for them."""
    lines = [contact_line(card)]
    if card.status == "found":
        if card.records is None:
            lines.append("Their course records could not be looked up just now.")
        elif card.records:
            lines.append("Already in the CMS:")
            lines.extend(f"• {line}" for line in record_lines(card.records, today))
        else:
            lines.append("No course records in the CMS yet.")
    return lines, card.status == "found"


def notes_for(
    texts: Mapping[str, str], *, today: dt.date, card: Card | None = None
) -> dict[str, Shown]:
    """Every note of a form whose fields hold `texts` (block id -> text). Pure."""
    notes: dict[str, Shown] = {
        name: ([note.text], note.ok) for name, note in date_notes(texts, today=today).items()
    }
    if card is not None:
        notes[CONTACT_BLOCK] = contact_note(card, today)
    return notes


def contact_number(text: str) -> int | None:
    text = text.strip().lstrip("#")
    if text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID:
        return int(text)
    return None


@dataclass
class _Job:
    view_id: str
    hash: str
    action_ts: float
    view: dict[str, Any]


class Previewer:
    """Per-view, newest-wins ``views.update`` of forms with notes under their fields."""

    def __init__(
        self,
        client: SlackClient,
        *,
        today: Callable[[], dt.date],
        book: ContactBook | None = None,
        threads: int = 2,
        lookup_wait: float = LOOKUP_WAIT,
    ) -> None:
        self._client = client
        self._today = today
        self._book = book
        self._lookup_wait = lookup_wait
        self._lock = threading.Lock()
        self._latest: dict[str, _Job] = {}
        self._running: set[str] = set()
        self._shown_ts: dict[str, float] = {}
        #: view id -> (the hashes our updates replaced, the hash the last one returned)
        self._ours: dict[str, tuple[frozenset[str], str]] = {}
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="slack-preview")
        self._closed = False

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self._executor.shutdown(wait=True, cancel_futures=True)

    def request(self, body: Mapping[str, Any]) -> bool:
        """Queue an update for the view of a dispatch action; False when there is none."""
        view = body.get("view")
        if not isinstance(view, dict) or not isinstance(view.get("id"), str):
            return False
        actions = body.get("actions")
        action_ts = 0.0
        if isinstance(actions, list) and actions and isinstance(actions[0], Mapping):
            try:
                action_ts = float(actions[0].get("action_ts") or 0.0)
            except (TypeError, ValueError):
                action_ts = 0.0
        job = _Job(view["id"][:60], str(view.get("hash") or ""), action_ts, view)
        with self._lock:
            if self._closed or action_ts < self._shown_ts.get(job.view_id, 0.0):
                return False
            current = self._latest.get(job.view_id)
            if current is not None and current.action_ts > action_ts:
                return False
            self._latest[job.view_id] = job
            if job.view_id in self._running:
                return True  # the running worker picks it up when it finishes
            self._running.add(job.view_id)
        try:
            self._executor.submit(self._drain, job.view_id)
        except RuntimeError:  # shut down meanwhile
            return False
        return True

    def opened(self, view: Mapping[str, Any], texts: Mapping[str, str]) -> bool:
        """Show the notes of a form just opened, filled in with `texts` (block id -> text:
        what it was opened with; Slack's answer to ``views.open`` holds no state yet). Any
        action of the person's is newer and wins."""
        if not isinstance(view.get("id"), str):
            return False
        values = {name: {name: {"value": text}} for name, text in texts.items() if text}
        filled = {**view, "state": {"values": values}}
        job = _Job(str(view["id"])[:60], str(view.get("hash") or ""), 0.0, filled)
        with self._lock:
            if self._closed or job.view_id in self._latest or job.view_id in self._shown_ts:
                return False
            self._latest[job.view_id] = job
            if job.view_id in self._running:
                return True
            self._running.add(job.view_id)
        try:
            self._executor.submit(self._drain, job.view_id)
        except RuntimeError:
            return False
        return True

    def _drain(self, view_id: str) -> None:
        while True:
            with self._lock:
                job = self._latest.pop(view_id, None)
                if job is None:
                    self._running.discard(view_id)
                    return
            try:
                self._update(job)
            except Exception:
                log.exception("could not update a form's notes")

    def _card(self, job: _Job, texts: Mapping[str, str]) -> Card | None:
        number = contact_number(texts.get(CONTACT_BLOCK, ""))
        if number is None or self._book is None:
            return None
        card = self._book.card_within(number, self._lookup_wait)
        if card.status == "unchecked" or (card.status == "found" and card.records is None):
            # Still looking (or no budget now): show the form again when the lookup ends.
            future = self._book.lookup(number)
            if not future.done():
                future.add_done_callback(lambda _f: self._again(job))
        return card

    def _again(self, job: _Job) -> None:
        with self._lock:
            if self._closed or job.view_id in self._latest:
                return
            if job.action_ts < self._shown_ts.get(job.view_id, 0.0):
                return
            self._latest[job.view_id] = job
            if job.view_id in self._running:
                return
            self._running.add(job.view_id)
        with contextlib.suppress(RuntimeError):
            self._executor.submit(self._drain, job.view_id)

    def _update(self, job: _Job) -> None:
        texts = form_texts(job.view)
        notes = notes_for(texts, today=self._today(), card=self._card(job, texts))
        view = with_notes(job.view, notes)
        with self._lock:
            if job.action_ts < self._shown_ts.get(job.view_id, 0.0):
                return  # a newer action has been shown meanwhile
            replaced, returned = self._ours.get(job.view_id, (frozenset(), ""))
        sent_hash = returned if job.hash and job.hash in replaced else job.hash
        try:
            answer = self._client.views_update(view_id=job.view_id, hash=sent_hash, view=view)
        except SlackFailure as exc:
            if exc.error == "hash_conflict":
                log.info("a form changed before its notes were shown: dropped")
            else:
                log.warning("could not update a form's notes: %s", exc)
            return
        shown = answer.get("view")
        new_hash = shown.get("hash") if isinstance(shown, Mapping) else None
        with self._lock:
            self._shown_ts[job.view_id] = max(self._shown_ts.get(job.view_id, 0.0), job.action_ts)
            if isinstance(new_hash, str):
                self._ours[job.view_id] = (replaced | {sent_hash}, new_hash)
            if len(self._ours) > 1000:  # forms long closed
                for key in list(self._ours)[:500]:
                    self._ours.pop(key, None)
                    self._shown_ts.pop(key, None)
