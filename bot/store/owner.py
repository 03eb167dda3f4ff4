"""One database, one owner (`shared/design.md`): the owner lock and who holds a lease."""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import socket
from pathlib import Path

from bot.errors import StoreError

#: How long a lease on a submission holds unless given back (or its process is gone): longer
#: than any one send (each CMS call is bounded by CMS_TIMEOUT, rate-limit waits by 300 s).
LEASE = dt.timedelta(hours=1)


class Holder:
    """Who holds a lease: `owner` (a process holding the `OwnerLock`) or `record`.

    Its token reads `kind:host:pid:nonce`. An owner's lease is stale to the next owner (the
    owner lock proves the first is gone); a `record` lease is stale once its process is gone
    from this host, or when it expires.
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.token = f"{kind}:{socket.gethostname()}:{os.getpid()}:{os.urandom(4).hex()}"

    def outlived(self, token: str) -> bool:
        """Whether the lease `token` (another holder's) can be taken over by this holder."""
        kind, _, rest = token.partition(":")
        host, _, rest = rest.partition(":")
        pid_text = rest.partition(":")[0]
        if kind == "owner" and self.kind == "owner":
            return True
        if host != socket.gethostname() or not pid_text.isdigit():
            return False
        try:
            os.kill(int(pid_text), 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False


class OwnerLock:
    """An exclusive `flock` on `<database>.lock`, for a process that sends whatever the log
    holds unfinished (`serve`, `shell`, `resume`). Raises `StoreError` naming the process
    that holds it. Released by `close()`, or by the kernel when the process ends."""

    def __init__(self, database: str | Path, command: str) -> None:
        self.path = f"{database}.lock"
        try:
            self._fd: int | None = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StoreError(
                f"Cannot open the database {database}: cannot create {self.path} "
                f"({exc.strerror or exc})."
            ) from None
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(self._fd, 200, 0).decode("utf-8", "replace").split()
            os.close(self._fd)
            self._fd = None
            who = f"pid {holder[0]}, {' '.join(holder[1:])}" if holder else "another process"
            raise StoreError(
                f"The database {database} is in use by another bot ({who}): stop it first, "
                "or give this one its own DATABASE_PATH."
            ) from None
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, f"{os.getpid()} {command}\n".encode(), 0)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # releases the flock
            self._fd = None

    def __enter__(self) -> OwnerLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
