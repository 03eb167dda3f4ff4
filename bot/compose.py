"""The composition root: the one place where the bot's pieces are built and wired.

One function per way of running; each builds every piece once, from the settings:

    settings ─> Store (SQLite log) ─┐
             ─> CMSClient ──────────┼─> CourseCatalogue ─> Recorder (the core) ─┐
             ─> RenewalRules ───────┘                                         │
    serve:  Recorder ─> SlackBot (Bolt app, middleware, listeners, reporter) ─> HTTP or
            Socket Mode
    shell:  the same SlackBot, with `bot.local`'s Slack stand-in and CMS sandbox
    record, resume: Recorder ─> `TerminalNotifier` (outcomes printed by `bot.cli`)
    correct: Recorder's corrections ─> `TerminalCorrections`

`bot.cli` parses arguments, calls one of these and prints; nothing else builds pieces.
`serve` imports nothing from `bot.local`.
"""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from bot.catalogue import CourseCatalogue
from bot.cms.client import CMSClient
from bot.cms.models import Contact
from bot.errors import CMSError, CMSNotFound, ConfigError, SlackFailure, SubmissionInvalid
from bot.recording import Recorder
from bot.renewals import RenewalRules, renewals_from_settings
from bot.settings import Settings
from bot.store import Batch, Correction, Holder, OwnerLock, Store, Submission
from bot.submission import Checked, Origin, Typed

if TYPE_CHECKING:
    from bot.local.console import Console
    from bot.slack.deps import SlackBot
    from bot.slack.server import HttpServer

log = logging.getLogger("bot")


@dataclass
class Core:
    """The core and what it stands on; `close()` stops and closes all of it, in order."""

    settings: Settings
    store: Store
    cms: CMSClient
    catalogue: CourseCatalogue
    recorder: Recorder
    owner: OwnerLock | None = None

    def close(self) -> None:
        self.recorder.stop()
        self.cms.close()
        self.store.close()
        if self.owner is not None:
            self.owner.close()


def build_core(
    settings: Settings,
    *,
    cms: CMSClient | None = None,
    renewals: RenewalRules | None = None,
    owner: str | None = None,
    **recorder_options: Any,
) -> Core:
    """The log, the CMS client, the course catalogue and the recorder, once each. Renewal
    rules keyed by a course's name wait for the catalogue (`build_slack` changes that).

    `owner` names a command that sends whatever the log holds unfinished (`serve`, `shell`,
    `resume`): it takes the database's `OwnerLock` first, so a second such process on the
    same file stops here, before anything is sent. Without it (`record`) the recorder's
    claims take `record` leases, which an owner leaves alone."""
    if renewals is None:  # before anything is opened: a bad file stops here
        renewals = renewals_from_settings(settings)
    lock = OwnerLock(settings.database_path, owner) if owner else None
    try:
        cms = cms or CMSClient.from_settings(settings)
    except BaseException:
        if lock is not None:
            lock.close()
        raise
    catalogue = CourseCatalogue(cms)
    names = partial(catalogue.name_of, wait=True)
    try:
        store = Store(settings.database_path)
    except BaseException:
        cms.close()
        if lock is not None:
            lock.close()
        raise
    recorder_options.setdefault("holder", Holder("owner" if owner else "record"))
    recorder = Recorder(
        store,
        cms,
        zone=settings.zone,
        renewals=renewals,
        course_names=names,
        **recorder_options,
    )
    return Core(settings, store, cms, catalogue, recorder, lock)


# -- the command line's front end ------------------------------------------------------------


@dataclass
class TerminalNotifier:
    """The core's `Notifier` for `record` and `resume`: a submission is sent at once on the
    calling thread, and its outcome kept for the command to print."""

    recorder: Recorder
    frontend: str = "cli"
    outcomes: dict[int, Submission] = field(default_factory=dict)

    def accepted(self, submission: Submission, send: Callable[[], None]) -> None:
        send()

    def accepted_batch(
        self, batch: Batch, submissions: Sequence[Submission], send: Callable[[], None]
    ) -> None:
        send()

    def outcome(self, submission: Submission) -> None:
        if submission.state.final:
            self.recorder.mark_reported(submission.id, self.frontend)
        self.outcomes[submission.id] = submission


@dataclass
class Recorded:
    """What `record` did: the duplicate that stopped it, or the submission and its outcome."""

    checked: Checked
    duplicate: Submission | None = None
    submission: Submission | None = None
    #: Who the contact is, as the CMS said before anything was sent (None: it could not say).
    contact: Contact | None = None


def record(settings: Settings, typed: Typed, *, allow_duplicate: bool = False) -> Recorded:
    """One submission through the whole pipeline, sent on this thread (no workers: nothing
    else in the log is touched). Raises `SubmissionInvalid` for what cannot be sent."""
    core = build_core(settings, retry_delays=())
    notifier = TerminalNotifier(core.recorder)
    core.recorder.attach(notifier.frontend, notifier)
    try:
        checked = core.recorder.check(typed)
        contact = look_up_contact(core.cms, checked.contact_id)
        duplicate = core.recorder.probable_duplicate(checked)
        if duplicate is not None and not allow_duplicate:
            return Recorded(checked, duplicate=duplicate, contact=contact)
        submission = core.recorder.submit(
            typed,
            Origin(frontend="cli"),
            checked=checked,
            contact_name=contact.display_name if contact is not None else None,
        )
        done = notifier.outcomes.get(submission.id) or core.store.get(submission.id)
        return Recorded(checked, submission=done, contact=contact)
    finally:
        core.close()


def look_up_contact(cms: CMSClient, contact_id: int) -> Contact | None:
    """Who `contact_id` is, asked of the CMS before anything is written (a command line may
    wait for it). Raises `SubmissionInvalid` when the CMS has no such contact; None when
    the CMS could not say (the POST's own answer then tells)."""
    try:
        return cms.get_contact(contact_id)
    except CMSNotFound:
        raise SubmissionInvalid(
            {
                "contact_id": f"The CMS has no contact {contact_id} in this diocese; "
                "nothing was sent. Check the number."
            }
        ) from None
    except CMSError as exc:
        log.info("could not look contact %d up: %s", contact_id, type(exc).__name__)
        return None


@dataclass
class TerminalCorrections:
    """The core's `CorrectionNotifier` for `correct`: the outcome kept for the command."""

    recorder: Recorder
    frontend: str = "cli"
    outcomes: dict[int, Correction] = field(default_factory=dict)

    def correction_outcome(self, correction: Correction) -> None:
        if correction.state.final:
            self.recorder.corrections.mark_reported(correction.id, self.frontend)
        self.outcomes[correction.id] = correction


def correct(settings: Settings, contact_id: int, record_id: int, typed: Typed) -> Correction:
    """One correction through the whole pipeline, sent on this thread: the record read from
    the CMS, the corrected record checked (only the fields given change), logged, the record
    read again and the PUT sent. Raises `SubmissionInvalid` for what cannot be sent and
    `CMSNotFound` when the contact holds no such record."""
    core = build_core(settings, retry_delays=())
    notifier = TerminalCorrections(core.recorder)
    corrector = core.recorder.corrections
    corrector.attach(notifier.frontend, notifier)
    try:
        current = corrector.fetch(contact_id, record_id)
        checked = corrector.check(typed, current, blank_keeps=True)
        correction = corrector.submit(checked, current, Origin(frontend="cli"), typed=typed)
        return notifier.outcomes.get(correction.id) or corrector.log.get(correction.id)
    finally:
        core.close()


def resume(settings: Settings) -> list[Submission]:
    """Send every submission still pending or sending; their outcomes."""
    core = build_core(settings, retry_delays=(), owner="resume")
    try:
        return [core.recorder.process(s.id) for s in core.store.unfinished()]
    finally:
        core.close()


def open_store(settings: Settings) -> Store:
    """The log alone, for the commands that only read it (`history`, `expiring`)."""
    return Store(settings.database_path)


# -- Slack -----------------------------------------------------------------------------------


def build_slack(settings: Settings, core: Core, **options: Any) -> SlackBot:
    """The Slack app around the core and its one catalogue (renewal rules by name then read
    the catalogue's memory: listeners never wait on the CMS)."""
    from bot.slack.app import create_app

    return create_app(settings, core.recorder, catalogue=core.catalogue, **options)


def _stop_on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def serve(settings: Settings, *, host: str, port: int | None, ready: Callable[[str], None]) -> None:
    """The Slack app: HTTP mode behind waitress, or Socket Mode with SLACK_APP_TOKEN. Runs
    until stopped (Ctrl-C or SIGTERM). `ready` is told where it listens."""
    from bot import dates
    from bot.check import storage_warnings
    from bot.slack.app import check_slack_settings

    if waiting_for_token(settings):
        _serve_setup(settings, host=host, port=port, ready=ready)
        return
    check_slack_settings(settings)
    for warning in storage_warnings(settings, os.environ):
        log.warning(warning)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)  # a deploy stops us: finish cleanly
    dates.warm_up()
    with ExitStack() as stack:
        core = build_core(settings, owner="serve")
        stack.callback(core.close)
        bot = build_slack(settings, core)
        stack.callback(bot.close)
        if bot.socket_mode:
            _serve_socket_mode(settings, bot, core)
        else:
            _serve_http(settings, bot, core, host=host, port=port, ready=ready)


def waiting_for_token(settings: Settings) -> bool:
    """HTTP mode with the signing secret but no bot token yet: the app is not installed."""
    secret = settings.slack_signing_secret
    return (
        settings.slack_app_token is None
        and not (settings.slack_bot_token and settings.slack_bot_token.get_secret_value())
        and bool(secret and secret.get_secret_value().strip())
    )


def _serve_setup(
    settings: Settings, *, host: str, port: int | None, ready: Callable[[str], None]
) -> None:
    """Until the bot token is set: Slack's URL check answered, nothing else done."""
    from bot.slack.server import HttpServer
    from bot.slack.setup import WAITING, setup_app

    assert settings.slack_signing_secret is not None
    secret = settings.slack_signing_secret.get_secret_value()
    port = settings.port if port is None else port
    log.warning(WAITING)
    server = _bind(lambda: HttpServer(setup_app(secret), host=host, port=port), host, port)
    _run(server, ready)


def _bind(make: Callable[[], HttpServer], host: str, port: int) -> HttpServer:
    """The server, bound; a port in use is a one-line message, before anything is sent."""
    try:
        return make()
    except OSError as exc:
        raise ConfigError(
            f"Cannot listen on {host}:{port} ({exc.strerror or exc}): is another bot already "
            "running there? Choose another port with --port or PORT."
        ) from None


def _run(server: HttpServer, ready: Callable[[str], None]) -> None:
    """Serve until stopped (Ctrl-C or SIGTERM), then close every connection."""
    try:
        ready(server.url)
        server.run()
    except KeyboardInterrupt:
        log.info("stopping")
    finally:
        server.close()


def _serve_http(
    settings: Settings,
    bot: SlackBot,
    core: Core,
    *,
    host: str,
    port: int | None,
    ready: Callable[[str], None],
) -> None:
    from bot.slack.server import HttpServer

    port = settings.port if port is None else port
    # Bound before the workers start: a port in use stops us before anything is sent.
    server = _bind(lambda: HttpServer(bot.app, host=host, port=port), host, port)
    try:
        _start(bot, core)
    except BaseException:
        server.close()
        raise
    _run(server, ready)


def _serve_socket_mode(settings: Settings, bot: SlackBot, core: Core) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    assert settings.slack_app_token is not None
    log.info("connecting to Slack in Socket Mode")
    handler = SocketModeHandler(bot.app, settings.slack_app_token.get_secret_value())
    _start(bot, core)
    try:
        handler.start()  # type: ignore[no-untyped-call]
    except KeyboardInterrupt:
        log.info("stopping")
        handler.close()  # type: ignore[no-untyped-call]
    except SlackFailure as exc:
        if exc.unreachable:
            raise ConfigError("Cannot reach Slack for Socket Mode.") from None
        raise ConfigError(
            f"Slack refused the Socket Mode connection ({exc.error}): check SLACK_APP_TOKEN "
            "(an app-level token with connections:write) and that Socket Mode is on."
        ) from None
    except OSError as exc:
        raise ConfigError(f"Cannot reach Slack for Socket Mode ({type(exc).__name__}).") from None


def _start(bot: SlackBot, core: Core) -> None:
    """Start what works in the background: course list, group members, the core's workers."""
    core.catalogue.courses()  # starts fetching the course list in the background
    bot.permissions.warm()
    core.recorder.start()


def _history(show: Callable[[int, Settings], None], settings: Settings, limit: int) -> None:
    show(limit, settings)


@contextmanager
def shell(
    settings: Settings, *, history: Callable[[int, Settings], None]
) -> Iterator[tuple[Console, str]]:
    """The whole bot in a terminal: the real app, Slack's Web API played by a local
    stand-in, the CMS sandbox in-process unless CMS credentials are set. Yields the
    console (a `bot.local.console.Console`) and its banner."""
    from bot import dates
    from bot.local import console
    from bot.local.sandbox import CMSSandbox
    from bot.local.slack_standin import SlackStandIn

    with ExitStack() as stack:
        sandbox = None if settings.cms_configured else stack.enter_context(CMSSandbox())
        standin = stack.enter_context(SlackStandIn(token=console.BOT_TOKEN))
        settings = console.local_settings(settings, standin, sandbox)
        user_id, user_name = console.console_user(settings, standin)
        core = build_core(settings, owner="shell")
        stack.callback(core.close)
        console.check_log(core.store, standin)
        bot = build_slack(settings, core)
        stack.callback(bot.close)
        stack.callback(core.recorder.stop)  # first: outcomes in flight are still told
        core.catalogue.refresh()
        dates.warm_up()
        core.recorder.start()
        secret = settings.slack_signing_secret
        session = console.Console(
            bot,
            standin,
            signing_secret=secret.get_secret_value() if secret else "",
            terminal=console.Terminal.standard(),
            history=partial(_history, history, settings),  # the shell's own log
            user_id=user_id,
            user_name=user_name,
        )
        text = console.banner(
            settings, sandbox=sandbox is not None, user_id=user_id, user_name=user_name
        )
        yield session, text
