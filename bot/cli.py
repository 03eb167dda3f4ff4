"""The command line, `python -m bot <command>`.

This module only parses arguments, builds settings, logging and the pieces a command needs,
and turns outcomes into output and exit codes. The work lives in the modules it calls.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Callable, Sequence

from bot.errors import BotError, ConfigError, UserInputError
from bot.logs import configure_logging
from bot.settings import Settings, load_settings

#: Exit codes of `record` (and of every command where they apply), per `shared/design.md`.
EXIT_OK = 0
EXIT_ERROR = 1
EXIT_REFUSED = 2
EXIT_CMS_REJECTED = 3
EXIT_NOT_FOUND = 4

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
    from bot.cms.sandbox import run_sandbox

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


COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Command]] = {
    "sandbox": ("run the built-in CMS sandbox on 127.0.0.1", _add_sandbox, cmd_sandbox),
    "dates": ("show how a typed date would be read", _add_dates, cmd_dates),
}


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
    configure_logging(args.log_level or settings.log_level, secrets=settings.secret_values())
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
