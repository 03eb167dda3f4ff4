"""The command line, `python -m bot <command>`.

This module only parses arguments, reads the settings, configures logging, calls
`bot.compose` (which builds and wires every piece) and turns outcomes into output and exit
codes. The work lives in the modules it calls.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from bot import compose, fields
from bot.errors import BotError, ConfigError, SubmissionInvalid, UserInputError
from bot.fields import FIELD_LABELS
from bot.logs import configure_logging
from bot.settings import Settings, load_settings

if TYPE_CHECKING:
    from bot.store import Submission


#: Exit codes of `record` (and of every command where they apply), per `shared/design.md`.
EXIT_OK = 0
EXIT_ERROR = 1
EXIT_REFUSED = 2
EXIT_CMS_REJECTED = 3
EXIT_NOT_FOUND = 4

log = logging.getLogger("bot")

Command = Callable[[argparse.Namespace, Settings], int]


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value < 65536:
        raise argparse.ArgumentTypeError("a port is a number from 0 to 65535")
    return value


def _iso_day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError("give the day as YYYY-MM-DD") from None


# --- sandbox ---------------------------------------------------------------------------------


def _add_sandbox(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", type=_port, default=8765, help="port on 127.0.0.1 (default 8765)")
    p.add_argument(
        "--data",
        default=None,
        metavar="FILE",
        help="keep the sandbox's data in this JSON file so it survives a restart",
    )
    p.add_argument(
        "--rate-limit",
        type=int,
        default=60,
        metavar="N",
        help="calls allowed per minute per api_id (default 60, as the CMS)",
    )


def cmd_sandbox(args: argparse.Namespace, settings: Settings) -> int:
    from bot.local.sandbox import run_sandbox

    run_sandbox(port=args.port, data_path=args.data, rate_limit=args.rate_limit)
    return EXIT_OK


# --- dates -----------------------------------------------------------------------------------


def _add_dates(p: argparse.ArgumentParser) -> None:
    p.add_argument("text", nargs="+", help="the date as a person would type it")
    p.add_argument("--role", choices=("past", "future"), default="past")
    p.add_argument(
        "--today", type=_iso_day, default=None, help="pretend today is this day (YYYY-MM-DD)"
    )


def cmd_dates(args: argparse.Namespace, settings: Settings) -> int:
    from bot.dates import read_date

    today = args.today or dt.datetime.now(settings.zone).date()
    text = " ".join(args.text)
    reading = read_date(text, role=args.role, today=today)
    print(f"{reading.value.isoformat()}  {reading.how}")
    return EXIT_OK


# --- serve ---------------------------------------------------------------------------------


def _add_serve(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", type=_port, default=None, help="HTTP port (default: PORT, 3000)")
    p.add_argument(
        "--host",
        default="0.0.0.0",  # noqa: S104 (a server must be reachable by Slack)
        help="address to listen on (default 0.0.0.0)",
    )


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    """The Slack app: HTTP mode behind waitress, or Socket Mode with SLACK_APP_TOKEN."""
    compose.serve(
        settings,
        host=args.host,
        port=args.port,
        ready=lambda url: print(f"Listening on {url}", flush=True),
    )
    return EXIT_OK


# --- record and history ----------------------------------------------------------------------


def _add_fields(p: argparse.ArgumentParser, *, unchanged: str = "") -> None:
    """`--qualification` and one option per date field (`--booked`, ...), from bot.fields."""
    p.add_argument("--qualification", default="", metavar="ID", help="the qualification's id")
    for field in fields.ALL:
        if field.kind == "date":
            p.add_argument(
                field.option,
                dest=field.name,
                default="",
                metavar="TEXT",
                help=f"{field.label.lower()} date, as typed{unchanged}",
            )


def _add_record(p: argparse.ArgumentParser) -> None:
    p.add_argument("contact_id", metavar="CONTACT_ID", help="the contact's id in the CMS")
    p.add_argument("--course", required=True, metavar="ID", help="the course's id")
    _add_fields(p)
    p.add_argument("--diocese", type=int, default=None, metavar="N", help="override CMS_DIOCESE_ID")
    p.add_argument(
        "--allow-duplicate",
        action="store_true",
        help="record even when the same record was submitted in the last hour",
    )
    p.add_argument("--json", action="store_true", help="print the record (or the errors) as JSON")


def cmd_record(args: argparse.Namespace, settings: Settings) -> int:
    from bot.store import State
    from bot.submission import Typed

    if args.diocese is not None:
        settings = settings.model_copy(update={"cms_diocese_id": args.diocese})
    typed = Typed(
        contact_id=args.contact_id,
        course_id=args.course,
        qualification_id=args.qualification,
        **{name: getattr(args, name) for name in fields.DATE_FIELDS},
    )
    try:
        recorded = compose.record(settings, typed, allow_duplicate=args.allow_duplicate)
    except SubmissionInvalid as exc:
        return _refused(args, exc.errors)
    if (duplicate := recorded.duplicate) is not None:
        message = (
            f"The same record was submitted at {_local(duplicate.created_at, settings)} "
            f"(submission {duplicate.id}, {duplicate.state.value}). "
            "Run again with --allow-duplicate to record it anyway."
        )
        return _refused(args, {"contact_id": message})
    submission = recorded.submission
    assert submission is not None
    if recorded.contact is not None and not args.json:
        print(f"Contact: {_who_line(recorded.contact)}")
    codes = {State.RECORDED: EXIT_OK, State.REJECTED: EXIT_CMS_REJECTED}
    code = codes.get(
        submission.state, EXIT_NOT_FOUND if submission.state is State.NOT_FOUND else EXIT_ERROR
    )
    if args.json:
        print_json(_submission_json(submission))
    else:
        print(render_outcome(submission))
    return code


def _who_line(contact: Any) -> str:
    """Who the contact is, on one line, made safe for the terminal."""
    from bot.catalogue import contact_label
    from bot.text import one_line

    return one_line(contact_label(contact), 200)


def _refused(args: argparse.Namespace, errors: dict[str, str]) -> int:
    if args.json:
        print_json({"state": "refused", "errors": errors})
    else:
        for field, message in errors.items():
            print(f"{FIELD_LABELS.get(field, field)}: {message}", file=sys.stderr)
    return EXIT_REFUSED


def _local(moment: dt.datetime, settings: Settings) -> str:
    return moment.astimezone(settings.zone).strftime("%Y-%m-%d %H:%M")


def _submission_json(submission: Submission) -> dict[str, Any]:
    return submission.model_dump(
        mode="json",
        include={
            "id",
            "state",
            "contact_id",
            "contact_name",
            "course_id",
            "qualification_id",
            *fields.DATE_FIELDS,
            "record_id",
            "course_name",
            "qualification_name",
            "errors",
            "reason",
            "assumed",
            "cms_status",
            "created_at",
            "user_id",
            "user_name",
            "channel_id",
            "frontend",
        },
    )


def _contact(name: str | None, contact_id: int) -> str:
    """A contact in a row: "Joan Ellison (#1042)", or the number alone (made safe: one line)."""
    from bot.text import person

    return person(name, contact_id) if name else str(contact_id)


def _one_line(text: str) -> str:
    from bot.text import one_line

    return one_line(text)


def _course_shown(name: str | None, course_id: int) -> str:
    from bot.text import one_line

    shown = one_line(name) if name else ""
    return f"{shown} (#{course_id})" if shown else str(course_id)


def render_outcome(submission: Submission) -> str:
    """The outcome as plain text, for the terminal."""
    from bot.dates import NO_EXPIRY
    from bot.store import State
    from bot.text import one_line, person

    dates = ", ".join(
        f"{name.removesuffix('_at')} {value.isoformat()}"
        + (" (day assumed)" if name in submission.assumed else "")
        + (
            f" (filled in from the course's renewal period, {submission.filled[name]})"
            if name in submission.filled
            else ""
        )
        for name in fields.DATE_FIELDS
        if (value := getattr(submission, name)) is not None
    )
    if submission.expires_at is None and submission.notes.get("expires_at") == NO_EXPIRY:
        dates = f"{dates}, no expiry (as typed)" if dates else "no expiry (as typed)"
    if submission.state is State.RECORDED:
        lines = [
            f"Recorded {one_line(submission.course_name or '', 200)} for "
            f"{person(submission.contact_name, submission.contact_id)} "
            f"(CMS record {submission.record_id}).",
        ]
        if submission.qualification_name:
            lines.append(f"Qualification: {submission.qualification_name}")
        if dates:
            lines.append(f"Dates: {dates}")
        return "\n".join(lines)
    if submission.state is State.REJECTED:
        lines = ["The CMS refused the record:"]
        for field, messages in (submission.errors or {}).items():
            label = f"{FIELD_LABELS.get(field, field)}: " if field else ""  # "": names no field
            lines.append(f"  {label}{' '.join(messages)}")
        return "\n".join(lines)
    return submission.reason or f"Submission {submission.id} is {submission.state.value}."


def _add_correct(p: argparse.ArgumentParser) -> None:
    p.add_argument("record_id", metavar="RECORD_ID", help="the CMS record's id (not the course's)")
    p.add_argument("--contact", required=True, metavar="ID", help="the contact's id")
    _add_fields(p, unchanged=" (left out: unchanged)")
    p.add_argument("--json", action="store_true", help="print the correction as JSON")


def cmd_correct(args: argparse.Namespace, settings: Settings) -> int:
    """Correct a CMS record (PUT); only the options given change; exit codes as `record`."""
    from bot.correction import MISTAKE, describe_changes, describe_wanted
    from bot.errors import CMSNotFound
    from bot.store import CorrectionState
    from bot.submission import Typed

    ids = {}
    for name, text in (("record_id", args.record_id), ("contact_id", args.contact)):
        if not (text.isascii() and text.isdigit() and 0 < int(text) < 2**31):
            return _refused(args, {name: f"{text!r} is not a valid number."})
        ids[name] = int(text)
    typed = Typed(
        qualification_id=args.qualification,
        **{name: getattr(args, name) for name in fields.DATE_FIELDS},
    )
    try:
        done = compose.correct(settings, ids["contact_id"], ids["record_id"], typed)
    except SubmissionInvalid as exc:
        return _refused(args, exc.errors)
    except CMSNotFound as exc:
        if args.json:
            print_json({"state": "not_found", "reason": exc.message})
        else:
            print(exc.message, file=sys.stderr)
        return EXIT_NOT_FOUND
    codes = {
        CorrectionState.CORRECTED: EXIT_OK,
        CorrectionState.UNCHANGED: EXIT_OK,
        CorrectionState.CONFLICT: EXIT_REFUSED,
        CorrectionState.REJECTED: EXIT_CMS_REJECTED,
        CorrectionState.NOT_FOUND: EXIT_NOT_FOUND,
    }
    if args.json:
        print_json(
            done.model_dump(
                mode="json",
                include={
                    "id",
                    "state",
                    "record_id",
                    "contact_id",
                    "submission_id",
                    "before",
                    "changes",
                    "after",
                    "meanwhile",
                    "errors",
                    "reason",
                    "cms_status",
                },
            )
        )
        return codes.get(done.state, EXIT_ERROR)
    record = f"CMS record {done.record_id}"
    if done.state is CorrectionState.CORRECTED:
        changes = describe_changes(done.before, done.after or {})
        print(f"Corrected {record}: {'; '.join(changes) or 'it already held these values'}")
    elif done.state is CorrectionState.UNCHANGED:
        print(f"Nothing to correct in {record}: it already holds these values; nothing was sent.")
    elif done.state is CorrectionState.CONFLICT:
        changed = "; ".join(describe_changes(done.before, done.meanwhile or {}))
        wanted = "; ".join(describe_wanted(done.before, done.changes))
        print(
            f"{record} changed while this ran ({changed}); not sent ({wanted}). Run it again.",
            file=sys.stderr,
        )
    elif done.state is CorrectionState.REJECTED:
        print(f"The CMS refused the correction of {record}:", file=sys.stderr)
        for field, messages in (done.errors or {}).items():
            print(f"  {FIELD_LABELS.get(field, field)}: {' '.join(messages)}", file=sys.stderr)
    else:
        print(done.reason or f"Correction {done.id} is {done.state.value}.", file=sys.stderr)
    if done.state is CorrectionState.CORRECTED:
        print(MISTAKE)
    return codes.get(done.state, EXIT_ERROR)


def _add_resume(p: argparse.ArgumentParser) -> None:
    """`resume` takes no options."""


def cmd_resume(args: argparse.Namespace, settings: Settings) -> int:
    """Send every submission still pending or sending (what `serve` does when it starts)."""
    from bot.store import State

    states = set()
    for done in compose.resume(settings):
        states.add(done.state)
        print(f"#{done.id} {done.state.value}: {render_outcome(done).splitlines()[0]}")
    if not states:
        print("Nothing to resume.")
    return EXIT_OK if states <= {State.RECORDED} else EXIT_ERROR


def _add_history(p: argparse.ArgumentParser) -> None:
    p.add_argument("--limit", type=int, default=20, metavar="N", help="how many (default 20)")
    p.add_argument("--json", action="store_true", help="print as JSON")


def _log_exists(settings: Settings) -> bool:
    """Whether the log at DATABASE_PATH exists; a command that only reads it says so on
    stderr when it does not (a mistyped setting shows as an empty log otherwise), and never
    creates it."""
    path = settings.database_path
    if path.exists() or not path.parent.is_dir():
        return True  # there, or its folder is wrong: opening it says what is the matter
    print(
        f"(There is no log at {settings.database_path} yet: nothing has been recorded with "
        "this DATABASE_PATH.)",
        file=sys.stderr,
    )
    return False


def cmd_history(args: argparse.Namespace, settings: Settings) -> int:
    from bot.store import CorrectionLog

    if not _log_exists(settings):
        submissions, corrections = [], {}
    else:
        with compose.open_store(settings) as store:
            submissions = store.recent(max(1, args.limit))
            corrections = CorrectionLog(store).of_submissions([s.id for s in submissions])
    if args.json:
        print_json(
            [
                {
                    **_submission_json(s),
                    "corrections": [_correction_json(c) for c in corrections.get(s.id, [])],
                }
                for s in submissions
            ]
        )
        return EXIT_OK
    if not submissions:
        print("No submissions yet.")
        return EXIT_OK
    for s in submissions:
        who = s.user_name or s.user_id or s.frontend
        dates = " ".join(
            f"{name.removesuffix('_at')}={value.isoformat()}"
            for name in fields.DATE_FIELDS
            if (value := getattr(s, name)) is not None
        )
        if s.record_id is not None:
            result = f"record {s.record_id}"
        elif s.errors:
            result = "; ".join(f"{k}: {' '.join(v)}" for k, v in s.errors.items())
        else:
            result = s.reason or ""
        print(
            f"#{s.id:<5} {_local(s.created_at, settings)}  {who:<12} "
            f"contact {_contact(s.contact_name, s.contact_id):<6} "
            f"course {_course_shown(s.course_name, s.course_id):<4} {dates}  "
            f"{s.state.value:<9} {result}".rstrip()
        )
        for c in corrections.get(s.id, []):
            print(f"       {_correction_line(c, settings)}")
    return EXIT_OK


def _correction_json(correction: Any) -> dict[str, Any]:
    out: dict[str, Any] = correction.model_dump(
        mode="json",
        include={"id", "state", "user_id", "user_name", "changes", "created_at", "reason"},
    )
    return out


def _correction_line(correction: Any, settings: Settings) -> str:
    """One correction of a history line: when, who, what changed (or why not)."""
    from bot.correction import describe_changes, describe_wanted
    from bot.store import CorrectionState

    who = correction.user_name or correction.user_id or correction.frontend
    if correction.state is CorrectionState.CORRECTED:
        what = "; ".join(describe_changes(correction.before, correction.after or {}))
    else:
        what = "; ".join(describe_wanted(correction.before, correction.changes))
    return (
        f"correction {_local(correction.created_at, settings)} by {who}: "
        f"{correction.state.value} {what}".rstrip()
    )


# --- expiring --------------------------------------------------------------------------------


def _days(text: str) -> int:
    from bot.expiring import MAX_DAYS

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("give a number of days") from None
    if not 0 <= value <= MAX_DAYS:
        raise argparse.ArgumentTypeError(f"give a number of days from 0 to {MAX_DAYS}")
    return value


def _add_expiring(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--days", type=_days, default=90, metavar="N", help="how many days ahead (default 90)"
    )
    p.add_argument(
        "--today", type=_iso_day, default=None, help="pretend today is this day (YYYY-MM-DD)"
    )
    p.add_argument("--json", action="store_true", help="print as JSON")


def cmd_expiring(args: argparse.Namespace, settings: Settings) -> int:
    """The recorded training whose expiry falls in the next N days, soonest first."""
    from bot.expiring import expiring, window

    today = args.today or dt.datetime.now(settings.zone).date()
    first, last = window(today, args.days)
    if not _log_exists(settings):
        found = []
    else:
        with compose.open_store(settings) as store:
            found = expiring(store, today=today, days=args.days)
    if args.json:
        print_json([e.as_json() for e in found])
        return EXIT_OK
    if not found:
        print(f"Nothing in the log expires from {first} to {last}.")
        return EXIT_OK
    print(f"Expiring from {first} to {last}, soonest first:")
    print(f"{'expires':<10}  {'days':>4}  {'contact':<8} {'course':<36} recorded by")
    for e in found:
        print(
            f"{e.expires_at.isoformat():<10}  {e.days_left:>4}  "
            f"{_contact(e.contact_name, e.contact_id):<8} "
            f"{_one_line(e.course):<36} "
            f"{e.recorded_by}"
        )
    return EXIT_OK


# --- shell -----------------------------------------------------------------------------------


def _add_shell(p: argparse.ArgumentParser) -> None:
    """`shell` takes no options."""


def cmd_shell(args: argparse.Namespace, settings: Settings) -> int:
    """The whole bot in the terminal: the real app, Slack's Web API played by a local
    stand-in, the CMS sandbox in-process unless CMS credentials are set."""
    if args.log_level is None:
        logging.getLogger().setLevel(logging.WARNING)  # the terminal is the interface
    with compose.shell(settings, history=_print_history) as (session, banner):
        return session.run(banner=banner)


def _print_history(limit: int, settings: Settings) -> None:
    cmd_history(argparse.Namespace(limit=limit, json=False), settings)


# --- check and backup (the work is in bot.check and bot.backup) -----------------------------


def _add_check(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print the checks as JSON")


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    """Everything `serve` needs, each checked with a read-only look; exit 0 when ready."""
    import os

    from bot.check import ready, render_json, render_text, run_checks

    checks = run_checks(settings, environ=os.environ)
    print(render_json(checks) if args.json else render_text(checks))
    return EXIT_OK if ready(checks) else EXIT_ERROR


def _add_backup(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="FILE", help="where to write the copy")
    p.add_argument("--force", action="store_true", help="overwrite FILE if it exists")


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    """A consistent copy of the SQLite log, safe while `serve` runs."""
    from bot.backup import backup

    print(backup(settings.database_path, args.file, force=args.force).summary())
    return EXIT_OK


COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Command]] = {
    "serve": ("run the Slack app (HTTP mode, or Socket Mode)", _add_serve, cmd_serve),
    "sandbox": ("run the built-in CMS sandbox on 127.0.0.1", _add_sandbox, cmd_sandbox),
    "dates": ("show how a typed date would be read", _add_dates, cmd_dates),
    "record": ("record one course through the whole pipeline", _add_record, cmd_record),
    "correct": ("correct a record the CMS holds (PUT)", _add_correct, cmd_correct),
    "shell": ("the whole bot in this terminal, no Slack needed", _add_shell, cmd_shell),
    "history": ("show the submission log", _add_history, cmd_history),
    "expiring": ("show recorded training that expires soon", _add_expiring, cmd_expiring),
    "resume": ("send what a stopped bot left pending", _add_resume, cmd_resume),
    "check": ("check everything serve needs, before going live", _add_check, cmd_check),
    "backup": ("copy the SQLite log safely, even while serve runs", _add_backup, cmd_backup),
}


#: Commands that log at LOG_LEVEL (default INFO); the others log warnings only unless
#: LOG_LEVEL or --log-level is given.
QUIET_EXEMPT = ("serve", "sandbox")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description="The /record-course bot: record training in the diocesan CMS from Slack.",
    )
    parser.add_argument(
        "--log-level",
        choices=("DEBUG", "INFO", "WARNING", "ERROR"),
        default=None,
        help="override LOG_LEVEL",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (help_text, add_arguments, _run) in COMMANDS.items():
        add_arguments(sub.add_parser(name, help=help_text, description=help_text))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return EXIT_ERROR
    level = args.log_level or settings.log_level
    if args.command not in QUIET_EXEMPT and "log_level" not in settings.model_fields_set:
        level = "WARNING"  # a person at a terminal wants the answer, not the log
    configure_logging(level, secrets=settings.secret_values(), log_format=settings.log_format)
    _help, _add, run = COMMANDS[args.command]
    try:
        return run(args, settings)
    except UserInputError as exc:
        print(exc.message, file=sys.stderr)
        return EXIT_REFUSED
    except BotError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130


def print_json(value: object) -> None:
    print(json.dumps(value, indent=2, sort_keys=True, default=str))
