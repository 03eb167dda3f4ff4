"""`python -m bot check`: is everything `serve` needs in place, before going live?

`run_checks` looks at each setting (secrets are only ever said to be "set" or "not set"),
the database, the renewal rules, Slack (`auth.test`: the token, the team, the scopes granted
against those `manifest.yml` asks for, and the signing secret or app token the mode needs) and
the CMS (one signed read-only call, `GET /v2/courses`). Each finding is a `Check` saying what
was found and, when something is wrong, what to do. Only reads are made: nothing is written
to the database, to Slack or to the CMS.

`storage_warnings` is the part of the database check that `serve` repeats at start: the
signs that the submission log would not survive a restart.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from bot import errors
from bot.settings import Settings

#: The bot scopes `manifest.yml` asks for (`tests/test_check.py` keeps the two equal).
MANIFEST_SCOPES = ("commands", "chat:write", "chat:write.public", "im:write", "usergroups:read")

#: Settings that must be set for `serve` (the Slack ones depend on the mode: see `_settings`).
_REQUIRED = {
    "slack_bot_token": "the Bot User OAuth Token (xoxb-...) from the Slack app's OAuth & "
    "Permissions page, once the app is installed",
    "cms_api_id": "the api_id the diocese's CMS administrator issued",
    "cms_secret_key": "the secret_key the diocese's CMS administrator issued",
    "cms_diocese_id": "the diocese's numeric id in the CMS",
}

DEPLOY_HELP = 'see the README, "Deploying it so it keeps its data"'


class Status(StrEnum):
    OK = "ok"
    WARN = "warn"  # works, but deserves a look; does not make the bot "not ready"
    FAIL = "fail"

    @property
    def mark(self) -> str:
        return {"ok": "✓", "warn": "!", "fail": "✗"}[self.value]


@dataclass(frozen=True)
class Check:
    """One finding: `group` (settings, database, renewals, slack, cms), what was looked at,
    what was found, and what to do about it (empty when nothing needs doing)."""

    group: str
    name: str
    status: Status
    detail: str
    fix: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not Status.FAIL


def ready(checks: list[Check]) -> bool:
    """True when nothing failed (warnings allowed): `check` exits 0."""
    return all(c.ok for c in checks)


# --- storage -----------------------------------------------------------------------------


def _storage_findings(settings: Settings, environ: Mapping[str, str]) -> list[Check]:
    path = settings.database_path
    found = []
    if environ.get("DYNO"):
        found.append(
            _db_finding(
                "persistent storage",
                Status.FAIL,
                f"DYNO is set: this platform's disk is wiped on every restart and deploy, so "
                f"the submission log ({path}: pending submissions, history, the duplicate "
                "check, the App Home) would be lost.",
                "Run the bot where DATABASE_PATH can be on a persistent disk or volume "
                f"({DEPLOY_HELP}).",
            )
        )
    if str(path) != ":memory:" and not path.is_absolute():
        found.append(
            _db_finding(
                "persistent storage",
                Status.WARN,
                f"DATABASE_PATH is relative ({path}): the log goes wherever the bot is started "
                f"(now {Path.cwd() / path}).",
                "Set DATABASE_PATH to an absolute path on persistent storage, such as "
                "/data/record-course.db on a volume.",
            )
        )
    return found


def storage_warnings(settings: Settings, environ: Mapping[str, str]) -> list[str]:
    """What `serve` should warn about at start: signs the log would not survive a restart.

    Each warning is one line: what is wrong, then what to do.
    """
    return [f"{c.detail} {c.fix}" for c in _storage_findings(settings, environ)]


# --- settings ----------------------------------------------------------------------------


def _shown(name: str, value: object) -> str:
    if isinstance(value, SecretStr):
        return "set" if value.get_secret_value() else "not set"
    if value is None or value == [] or value == "":
        return "not set"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def _settings(settings: Settings) -> list[Check]:
    checks = []
    socket_mode = settings.slack_app_token is not None
    users_set = bool(settings.allowed_users or settings.allowed_usergroup)
    for name in Settings.model_fields:
        value = getattr(settings, name)
        label = name.upper()
        shown = _shown(name, value)
        status, fix = Status.OK, ""
        if shown == "not set":
            if name in _REQUIRED:
                status, fix = Status.FAIL, f"Set {label}: {_REQUIRED[name]}."
            elif name == "slack_signing_secret" and not socket_mode:
                status = Status.FAIL
                fix = (
                    "Set SLACK_SIGNING_SECRET (Basic Information → App Credentials): HTTP mode "
                    "needs it; or set SLACK_APP_TOKEN for Socket Mode."
                )
            elif name in ("allowed_users", "allowed_usergroup") and not users_set:
                status = Status.FAIL
                fix = "Set ALLOWED_USERS or ALLOWED_USERGROUP: otherwise nobody may record."
        elif name == "slack_bot_token" and not _secret(value).startswith("xoxb-"):
            shown = "set, but not a bot token"
            status, fix = Status.FAIL, "SLACK_BOT_TOKEN must be the bot token, starting xoxb-."
        elif name == "slack_app_token" and not _secret(value).startswith("xapp-"):
            shown = "set, but not an app-level token"
            status, fix = Status.FAIL, "SLACK_APP_TOKEN must be an app-level token, xapp-..."
        elif name == "cms_base_url" and not _is_https_or_local(str(value)):
            status = Status.WARN
            fix = "The CMS accepts calls only over HTTPS: CMS_BASE_URL should start https://."
        if name not in settings.model_fields_set and shown != "not set":
            shown += " (default)"
        checks.append(Check("settings", label, status, shown, fix))
    return checks


def _secret(value: object) -> str:
    return value.get_secret_value() if isinstance(value, SecretStr) else ""


def _is_https_or_local(url: str) -> bool:
    return url.startswith(("https://", "http://127.0.0.1", "http://localhost"))


# --- database ----------------------------------------------------------------------------


def _database(settings: Settings, environ: Mapping[str, str]) -> list[Check]:
    from bot.store import MIGRATIONS, applied_migrations

    path = settings.database_path
    checks = _storage_findings(settings, environ)
    if not any(c.name == "persistent storage" for c in checks):
        checks.append(
            _db_finding(
                "persistent storage",
                Status.OK,
                f"{path}: nothing says this disk is wiped on restart (a VM's disk or a volume "
                "keeps it).",
            )
        )
    folder = (path.parent if str(path.parent) else Path(".")).absolute()
    if not folder.is_dir():
        checks.append(
            _db_finding(
                "folder",
                Status.FAIL,
                f"The folder {folder} does not exist.",
                f"Create it (mkdir -p {folder}) or point DATABASE_PATH elsewhere.",
            )
        )
        return checks
    if not os.access(folder, os.W_OK | os.X_OK):
        checks.append(
            _db_finding(
                "folder",
                Status.FAIL,
                f"The folder {folder} is not writable by this user (SQLite writes its journal "
                "beside the file).",
                "Give the user that runs the bot write access to it, or choose another folder.",
            )
        )
        return checks
    checks.append(Check("database", "folder", Status.OK, f"{folder} exists and is writable."))
    if not path.exists():
        checks.append(
            _db_finding(
                "file",
                Status.OK,
                f"{path} does not exist yet: the bot creates it at first start.",
            )
        )
        return checks
    if not os.access(path, os.R_OK | os.W_OK):
        checks.append(
            _db_finding(
                "file",
                Status.FAIL,
                f"{path} is not readable and writable by this user.",
                "Give the user that runs the bot read and write access to it.",
            )
        )
        return checks
    try:
        conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error as exc:
        checks.append(_db_broken(path, exc))
        return checks
    try:
        result = [str(row[0]) for row in conn.execute("PRAGMA integrity_check").fetchall()]
        applied = applied_migrations(conn)
    except sqlite3.Error as exc:
        checks.append(_db_broken(path, exc))
        return checks
    finally:
        conn.close()
    if result != ["ok"]:
        checks.append(
            _db_finding(
                "integrity",
                Status.FAIL,
                f"{path} is damaged: {'; '.join(result[:3])}",
                "Stop the bot and restore the latest backup (see the README, Backups).",
            )
        )
        return checks
    checks.append(Check("database", "integrity", Status.OK, "PRAGMA integrity_check: ok"))
    checks.append(_schema(applied, [name for name, _ in MIGRATIONS]))
    return checks


def _db_broken(path: Path, exc: sqlite3.Error) -> Check:
    return _db_finding(
        "file",
        Status.FAIL,
        f"{path} cannot be read as an SQLite database ({exc}).",
        "Point DATABASE_PATH at the bot's database, or restore it from a backup.",
    )


def _schema(applied: list[str], known: list[str]) -> Check:
    unknown = [name for name in applied if name not in known]
    if unknown:
        return _db_finding(
            "schema",
            Status.FAIL,
            f"The database has migrations this version does not know ({', '.join(unknown)}): "
            "it was used by a newer version of the bot.",
            "Run the newer version, or restore a backup made by this one.",
        )
    if not applied:
        return Check(
            "database", "schema", Status.OK, "empty: the bot creates its tables at first start."
        )
    pending = [name for name in known if name not in applied]
    version = f"schema version {len(applied)} ({applied[-1]})"
    if pending:
        return _db_finding(
            "schema",
            Status.OK,
            f"{version}; the bot will apply {len(pending)} newer migration(s) at start.",
        )
    return Check("database", "schema", Status.OK, f"{version}, up to date.")


# --- renewals ----------------------------------------------------------------------------


def _renewals(settings: Settings) -> list[Check]:
    from bot.renewals import renewals_from_settings

    path = settings.renewals_path
    try:
        rules = renewals_from_settings(settings)
    except errors.ConfigError as exc:
        fix = "Correct the file (see renewals.example.toml), or unset RENEWALS_PATH."
        return [Check("renewals", "renewal rules", Status.FAIL, exc.message, fix)]
    if len(rules) == 0 and not path.exists():
        detail = f"no file at {path}: no renewal rules, blank expiries stay blank (optional)."
    else:
        detail = f"{len(rules)} rule(s) from {path}."
    return [Check("renewals", "renewal rules", Status.OK, detail)]


# --- Slack -------------------------------------------------------------------------------


def _header(headers: Mapping[str, Any], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            if isinstance(value, list):
                return ",".join(str(v) for v in value)
            return str(value)
    return None


def _slack(settings: Settings, *, timeout: float, manifest_scopes: tuple[str, ...]) -> list[Check]:
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError, SlackClientError

    checks = [_slack_mode(settings)]
    token = _secret(settings.slack_bot_token)
    if not token:
        checks.append(
            Check(
                "slack",
                "bot token",
                Status.FAIL,
                "not checked: SLACK_BOT_TOKEN is not set.",
                "Install the app in the workspace (OAuth & Permissions), then set "
                "SLACK_BOT_TOKEN to its Bot User OAuth Token.",
            )
        )
        return checks
    client = WebClient(  # no retries: a person is waiting, and says when to try again
        token=token, base_url=settings.slack_api_url, timeout=int(timeout) or 1, retry_handlers=[]
    )
    try:
        response = client.auth_test()
    except SlackApiError as exc:
        error = str(exc.response.get("error") or "refused")
        checks.append(
            Check(
                "slack",
                "bot token",
                Status.FAIL,
                f"Slack refused the token ({error}).",
                "Copy the Bot User OAuth Token (xoxb-...) again from OAuth & Permissions; if "
                "the app was removed or its token revoked, reinstall it.",
            )
        )
        return checks
    except (SlackClientError, OSError, ValueError) as exc:
        checks.append(
            Check(
                "slack",
                "bot token",
                Status.FAIL,
                f"Slack could not be reached at {settings.slack_api_url} ({type(exc).__name__}).",
                "Check SLACK_API_URL (normally https://slack.com/api/) and that this server "
                "can make outgoing HTTPS connections.",
            )
        )
        return checks
    checks.append(
        Check(
            "slack",
            "bot token",
            Status.OK,
            f"valid: bot @{response.get('user')} ({response.get('user_id')}) in "
            f"{response.get('team')} ({response.get('team_id')}).",
        )
    )
    checks.append(_scopes(_header(response.headers, "x-oauth-scopes"), manifest_scopes))
    return checks


def _slack_mode(settings: Settings) -> Check:
    if settings.slack_app_token is not None:
        if not _secret(settings.slack_app_token).startswith("xapp-"):
            return Check(
                "slack",
                "mode",
                Status.FAIL,
                "Socket Mode, but SLACK_APP_TOKEN is not an app-level token.",
                "Create an app-level token with connections:write (Basic Information → "
                "App-Level Tokens) and set it as SLACK_APP_TOKEN (xapp-...).",
            )
        return Check(
            "slack",
            "mode",
            Status.OK,
            "Socket Mode: SLACK_APP_TOKEN is set (socket_mode_enabled must be true in the app).",
        )
    if not _secret(settings.slack_signing_secret).strip():
        return Check(
            "slack",
            "mode",
            Status.FAIL,
            "HTTP mode, but SLACK_SIGNING_SECRET is not set: requests from Slack cannot be "
            "verified.",
            "Set SLACK_SIGNING_SECRET from Basic Information → App Credentials, or set "
            "SLACK_APP_TOKEN for Socket Mode.",
        )
    return Check(
        "slack",
        "mode",
        Status.OK,
        "HTTP mode: SLACK_SIGNING_SECRET is set; Slack must reach https://YOUR-HOST/slack/events.",
    )


def _scopes(header: str | None, wanted: tuple[str, ...]) -> Check:
    if header is None:
        return Check(
            "slack",
            "scopes",
            Status.WARN,
            "Slack did not say which scopes the token has (no x-oauth-scopes header).",
            f"Check OAuth & Permissions lists: {', '.join(wanted)}.",
        )
    granted = {s.strip() for s in header.split(",") if s.strip()}
    missing = [s for s in wanted if s not in granted]
    if missing:
        return Check(
            "slack",
            "scopes",
            Status.FAIL,
            f"missing {', '.join(missing)} (granted: {', '.join(sorted(granted)) or 'none'}).",
            "Add them under OAuth & Permissions → Bot Token Scopes (or recreate the app from "
            "manifest.yml), then reinstall the app to the workspace.",
        )
    extra = sorted(granted - set(wanted))
    return Check(
        "slack",
        "scopes",
        Status.OK,
        f"every scope manifest.yml asks for is granted ({', '.join(wanted)})"
        + (f"; also granted: {', '.join(extra)}" if extra else "")
        + ".",
    )


# --- the CMS -----------------------------------------------------------------------------


def _cms(settings: Settings, *, timeout: float) -> list[Check]:
    from bot.cms.client import CMSClient

    if not settings.cms_configured:
        missing = [
            label
            for label, value in (
                ("CMS_API_ID", settings.cms_api_id),
                ("CMS_SECRET_KEY", _secret(settings.cms_secret_key)),
                ("CMS_DIOCESE_ID", settings.cms_diocese_id),
            )
            if not value
        ]
        return [
            Check(
                "cms",
                "connection",
                Status.FAIL,
                f"not checked: {', '.join(missing)} not set.",
                "Set them to the credentials the diocese's CMS administrator issued.",
            )
        ]
    base = settings.cms_base_url
    diocese = settings.cms_diocese_id
    fixed = settings.model_copy(update={"cms_timeout": min(settings.cms_timeout, timeout)})
    try:
        with CMSClient.from_settings(fixed, pacing=False, max_wait=0.0) as client:
            courses = client.list_courses()
    except errors.CMSAuthError as exc:
        return [_cms_refused(exc, settings)]
    except errors.CMSNotFound:
        return [
            Check(
                "cms",
                "diocese",
                Status.FAIL,
                f"The CMS at {base} answered 404 for diocese {diocese}'s courses.",
                "Check CMS_DIOCESE_ID (the diocese's number in the CMS), and that CMS_BASE_URL "
                "is the API's address (https://cmsapi.cofeportal.org).",
            )
        ]
    except errors.CMSValidationError as exc:
        return [
            Check(
                "cms",
                "diocese",
                Status.FAIL,
                f"The CMS refused the request (HTTP 400): {exc.message}",
                "Check CMS_DIOCESE_ID (the diocese's number in the CMS).",
            )
        ]
    except errors.CMSRateLimited:
        return [
            Check(
                "cms",
                "connection",
                Status.WARN,
                "The CMS answered 429: this api_id has used its 60 calls this minute "
                "(is another program using it?).",
                "Run check again in a minute.",
            )
        ]
    except errors.CMSUnavailable as exc:
        if exc.status_code is None:  # no answer at all: a timeout, or not reached
            return [
                Check(
                    "cms",
                    "connection",
                    Status.FAIL,
                    f"The CMS at {base} could not be reached: {exc.message}",
                    "Check CMS_BASE_URL (https://cmsapi.cofeportal.org) and that this server "
                    "can make outgoing HTTPS connections to it.",
                )
            ]
        return [
            Check(
                "cms",
                "connection",
                Status.FAIL,
                f"The CMS at {base} answered, but not as the CMS API does: {exc.message}",
                "Check that CMS_BASE_URL is the API's address (https://cmsapi.cofeportal.org); "
                "if it is, try again later.",
            )
        ]
    except errors.CMSError as exc:
        return [
            Check(
                "cms",
                "connection",
                Status.FAIL,
                exc.message,
                "Check the CMS settings; if they are right, ask the CMS administrator.",
            )
        ]
    except errors.ConfigError as exc:
        return [Check("cms", "connection", Status.FAIL, exc.message, "Correct the setting.")]
    if not courses:
        return [
            Check(
                "cms",
                "diocese",
                Status.FAIL,
                f"The credentials work, but the CMS lists no courses for diocese {diocese}.",
                "Check CMS_DIOCESE_ID: it is probably not the diocese these credentials are for.",
            )
        ]
    return [
        Check(
            "cms",
            "credentials and diocese",
            Status.OK,
            f"{base} accepted the signed call; diocese {diocese} has {len(courses)} course(s).",
        )
    ]


def _cms_refused(exc: errors.CMSAuthError, settings: Settings) -> Check:
    said = _cms_said(exc.body)
    if exc.status_code == 403:
        return Check(
            "cms",
            "server address",
            Status.FAIL,
            "The CMS answered 403 (forbidden)"
            + (f": {said}" if said else "")
            + ". Most likely this server's address is not registered with the CMS for "
            f"api_id {settings.cms_api_id}.",
            "Find this server's outgoing IP address (curl -4 https://ifconfig.me on it) and ask "
            "the diocese's CMS administrator to register it for this api_id; check too that "
            "CMS_DIOCESE_ID is the diocese these credentials belong to.",
        )
    return Check(
        "cms",
        "credentials",
        Status.FAIL,
        f"The CMS answered {exc.status_code} (credentials not accepted)"
        + (f": {said}" if said else "")
        + ".",
        "Check CMS_API_ID and CMS_SECRET_KEY: copy them again exactly as the CMS administrator "
        "issued them (no spaces or quotes).",
    )


def _cms_said(body: object) -> str | None:
    if isinstance(body, Mapping):
        error = body.get("error")
        message = error.get("message") if isinstance(error, Mapping) else body.get("message")
        if isinstance(message, str) and message.strip():
            return " ".join(message.split())[:200].rstrip(".")
    return None


# --- all of it ---------------------------------------------------------------------------


def run_checks(
    settings: Settings,
    *,
    environ: Mapping[str, str],
    timeout: float = 10.0,
    manifest_scopes: tuple[str, ...] = MANIFEST_SCOPES,
) -> list[Check]:
    """Every check, in the order they are shown. Reads only; never raises for a finding."""
    parts: list[Callable[[], list[Check]]] = [
        lambda: _settings(settings),
        lambda: _database(settings, environ),
        lambda: _renewals(settings),
        lambda: _slack(settings, timeout=timeout, manifest_scopes=manifest_scopes),
        lambda: _cms(settings, timeout=timeout),
    ]
    checks: list[Check] = []
    for part in parts:
        checks.extend(part())
    return checks


GROUPS = {
    "settings": "Settings",
    "database": "Database",
    "renewals": "Renewal rules",
    "slack": "Slack",
    "cms": "CMS",
}


def render_text(checks: list[Check]) -> str:
    """The checks grouped under headings, one line each, with what to do under a problem."""
    lines: list[str] = []
    group = None
    for check in checks:
        if check.group != group:
            group = check.group
            if lines:
                lines.append("")
            lines.append(GROUPS.get(group, group))
        lines.append(f"  {check.status.mark} {check.name}: {check.detail}")
        if check.fix:
            lines.append(f"      → {check.fix}")
    failed = sum(c.status is Status.FAIL for c in checks)
    warned = sum(c.status is Status.WARN for c in checks)
    lines.append("")
    if failed:
        also = f", {warned} warning(s)." if warned else "."
        lines.append(f"Not ready: {failed} problem(s) to fix{also}")
    else:
        lines.append("Ready" + (f", with {warned} warning(s)." if warned else "."))
    return "\n".join(lines)


def render_json(checks: list[Check]) -> str:
    """`{"ready": bool, "checks": [{group, name, status, ok, detail, fix}, ...]}`."""
    items = [{**asdict(c), "status": c.status.value, "ok": c.ok} for c in checks]
    return json.dumps({"ready": ready(checks), "checks": items}, indent=2, ensure_ascii=False)


def _db_finding(item: str, status: Status, detail: str, todo: str = "") -> Check:
    """One finding about the database (`DATABASE_PATH`)."""
    return Check("database", item, status, detail, todo)
