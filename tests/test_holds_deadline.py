"""CMS_TIMEOUT bounds a whole CMS call, not each read (issue 12, item 3): a real server on
127.0.0.1 that trickles its answer a byte every 2 s is cut at the deadline."""

from __future__ import annotations

import socketserver
import threading
import time
from collections.abc import Iterator

import pytest

from bot.cms.client import CMSClient
from bot.errors import CMSUnavailable
from bot.local.sandbox import CMSSandbox
from bot.settings import load_settings
from tests.support.live_app import cms_client

pytestmark = pytest.mark.slow

BODY = b'{"data": [], "meta": {"total": 0}}' + b" " * 200
HEADERS = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"


class Trickler(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, *, headers_too: bool) -> None:
        self.headers_too = headers_too
        self.stopping = threading.Event()
        super().__init__(("127.0.0.1", 0), _Trickle)


class _Trickle(socketserver.BaseRequestHandler):
    server: Trickler

    def handle(self) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.request.recv(4096)
            if not chunk:
                return
            data += chunk
        answer = HEADERS % len(BODY) + BODY
        if not self.server.headers_too:
            head, answer = answer[: answer.index(b"\r\n\r\n") + 4], BODY
            self.request.sendall(head)
        try:
            for byte in answer:
                self.request.sendall(bytes([byte]))
                if self.server.stopping.wait(2.0):
                    return
        except OSError:  # the client cut it
            return


@pytest.fixture(params=[False, True], ids=["body", "headers"])
def trickler(request: pytest.FixtureRequest) -> Iterator[Trickler]:
    server = Trickler(headers_too=request.param)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_an_answer_trickled_a_byte_every_two_seconds_is_cut_at_cms_timeout(
    trickler: Trickler,
) -> None:
    host, port = trickler.server_address[:2]
    settings = load_settings(
        _env_file=None,
        cms_base_url=f"http://{host}:{port}",
        cms_api_id="api",
        cms_secret_key="secret",
        cms_diocese_id=1,
        cms_timeout=3,
    )
    with CMSClient.from_settings(settings, pacing=False) as cms:
        started = time.monotonic()
        with pytest.raises(CMSUnavailable, match="did not answer in time"):
            cms.list_courses()
        took = time.monotonic() - started
    assert 2.9 < took < 4.0


def test_a_normal_answer_is_read_whole_within_the_deadline(sandbox: CMSSandbox) -> None:
    with cms_client(sandbox, total_timeout=3) as cms:
        courses = cms.list_courses()
        records = cms.list_course_records(1001)
    assert len(courses) > 1
    assert {r.contact_id for r in records} == {1001}
