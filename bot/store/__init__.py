"""The submission log in SQLite, through sqlite-utils. The only package that names tables.

`log.py` (`Store`), `corrections.py` (`CorrectionLog`), `models.py` (the typed rows),
`migrations.py` (the schema), `owner.py` (the owner lock and leases).

The tables (besides `batches`, `corrections`, `qualifications_seen` and `_migrations`):

- `submissions`: one row per submission, its state and everything needed to send it again,
  report it, or explain it later (what was typed, what was sent, what the CMS answered).
- `events`: every step of every submission, append-only, for the audit trail.

Secrets never reach this file: callers hand in the request parameters *without* `sig`, and
the client's secret key is not known here at all.

One process owns the database; a single connection is shared by every thread behind a lock
(SQLite in WAL mode, so readers in other processes, such as `python -m bot history` while the
app runs, are not blocked).

Two processes never send the same submission (`shared/design.md`, "one database, one owner"):

- `OwnerLock`: `serve`, `shell` and `resume` hold an exclusive `flock` on `<database>.lock`
  for their lifetime; a second one refuses to start, naming the first one's pid. The kernel
  drops the lock when its process dies (even by SIGKILL), so there is no stale lock to clean.
- A lease per submission (`claimed_by`, `lease_until`): `claim()` takes it, a final state or
  a scheduled retry gives it back, and nobody claims a submission another live process holds.
  `record` takes no owner lock (it sends only the submission it has just made, beside a
  serving bot); its lease keeps the owner's resume off that submission while it is sent.

Writes wait at most `busy_timeout` seconds (2 by default) for another process's write lock,
then raise `StoreError`: a request path answers a person within Slack's three seconds, and
the recorder keeps a CMS outcome in memory and writes it again with back-off.
"""

from bot.errors import StoreError
from bot.store.corrections import CorrectionLog
from bot.store.log import BUSY_TIMEOUT, QUICK_WRITE_MS, Store
from bot.store.migrations import MIGRATIONS, applied_migrations
from bot.store.models import Batch, BatchState, Correction, CorrectionState, State, Submission
from bot.store.owner import LEASE, Holder, OwnerLock

__all__ = [
    "BUSY_TIMEOUT",
    "LEASE",
    "MIGRATIONS",
    "QUICK_WRITE_MS",
    "Batch",
    "BatchState",
    "Correction",
    "CorrectionLog",
    "CorrectionState",
    "Holder",
    "OwnerLock",
    "State",
    "Store",
    "StoreError",
    "Submission",
    "applied_migrations",
]
