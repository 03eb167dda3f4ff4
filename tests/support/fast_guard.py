"""Keep the fast loop honest: a test not marked `slow` may not start a process or use a socket.

`guard()` replaces `subprocess.Popen`'s start and `socket.socket`'s connect and bind with a
failure that names the test's mistake; `tests/conftest.py` applies it to every test without
the `slow` marker, so a new test that waits on the network or a process is told to say so.
"""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any, NoReturn
from unittest import mock


class SlowInFastLoop(AssertionError):
    """A test without the `slow` marker tried to start a process or use a socket."""


def _refuse(what: str) -> Any:
    def refused(*args: Any, **kwargs: Any) -> NoReturn:
        raise SlowInFastLoop(
            f"this test {what} but is not marked slow: use a fixture the conftest marks "
            "(sandbox, slack, app), or mark it with @pytest.mark.slow"
        )

    return refused


@contextmanager
def guard() -> Iterator[None]:
    with ExitStack() as stack:
        stack.enter_context(
            mock.patch.object(subprocess.Popen, "_execute_child", _refuse("starts a process"))
        )
        stack.enter_context(
            mock.patch.object(socket.socket, "connect", _refuse("connects a socket"))
        )
        stack.enter_context(mock.patch.object(socket.socket, "bind", _refuse("binds a socket")))
        yield
