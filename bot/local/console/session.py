"""The console session: the person's lines in, Slack-shaped requests to the real Bolt app,
and what the app asked Slack to show written back as a thread.

Every request goes through Bolt's own dispatch, signed as Slack signs it, so the listeners,
the modal, the core and the reporter are exactly those of `serve`. What the app asks of
Slack's Web API lands on the `SlackStandIn`; its observer hook prints messages as they
arrive, and the forms the app opens are filled in by `bot.local.console.form`.
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from slack_bolt.request import BoltRequest

from bot.local.console.form import Cancelled, Field, Form
from bot.local.console.live import FieldActions
from bot.local.console.render import clean
from bot.local.console.terminal import Terminal
from bot.local.console.thread import Button, ThreadPrinter
from bot.local.slack_requests import (
    CHANNEL_ID,
    CHANNEL_NAME,
    FieldValue,
    block_actions_payload,
    block_suggestion_payload,
    command_body,
    payload_body,
    signature_headers,
    view_submission_payload,
)
from bot.local.slack_standin import SlackStandIn
from bot.slack.deps import SlackBot
from bot.store import Correction, Submission

__all__ = ["COMMAND", "HELP", "Console"]

COMMAND = "/record-course"
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,20}$")

HELP = f"""\
  {COMMAND} [text]   open the form; the text pre-fills it (contact, course, dates)
  {COMMAND} session [text]
                          the form for a whole training session: one course and its dates
                          for several people, picked from a list or pasted one per line
  history [N]             the submission log (the last N, default 20)
  as USER                 act as another Slack user id (e.g. as U0SOMEONE) to see a refusal
  click [BUTTON]          press a [button] of the last message that has any (the first one,
                          or the one whose label starts with BUTTON)
  help                    this list
  quit                    leave (Ctrl-D works too; so does Ctrl-C at this prompt)
In a form: Enter keeps the value in [brackets] or skips an optional field, - clears it,
/cancel (or Ctrl-C) closes the form. What the bot reads in a date or a contact shows under
it; when it refuses, answer again (the same answer keeps it). In a list: type a number to
pick (several where a field takes several: 1 3), or new text to search again; such a
field, like one that takes several lines, ends with an empty line."""

#: How long to wait for Bolt to open the form after a command (Slack's trigger lives 3 s).
FORM_WAIT = 3.0


class Console:
    """One person at the terminal, talking to the bot as Slack would carry it.

    Args:
        bot: the app built by `create_app`, its recorder started.
        standin: the Slack Web API stand-in the bot's client points at.
        signing_secret: the app's signing secret (requests are signed with it).
        terminal: where to read and write.
        history: prints the last N submissions of the log.
        user_id, user_name: who the person is in "Slack".
        patience: seconds before saying the console is still waiting for an outcome.
        reply_timeout: seconds after which the prompt comes back without the outcome.
    """

    def __init__(
        self,
        bot: SlackBot,
        standin: SlackStandIn,
        *,
        signing_secret: str,
        terminal: Terminal,
        history: Callable[[int], None],
        user_id: str,
        user_name: str,
        channel_id: str = CHANNEL_ID,
        channel_name: str = CHANNEL_NAME,
        patience: float = 5.0,
        reply_timeout: float = 30.0,
    ) -> None:
        self.bot = bot
        self.standin = standin
        self._secret = signing_secret
        self.terminal = terminal
        self._history = history
        self.user_id, self.user_name = user_id, user_name
        self.channel_id, self.channel_name = channel_id, channel_name
        self.patience = patience
        self.reply_timeout = reply_timeout
        self._names: dict[str, str] = dict(terminal.style.names)
        self._names[user_id] = user_name
        self.terminal.style = dataclasses.replace(
            terminal.style, names=self._names, channels={channel_id: channel_name}
        )
        self.printer = ThreadPrinter(terminal)
        standin.add_observer(self.printer)

    # -- the loop -------------------------------------------------------------------------

    def run(self, banner: str = "") -> int:
        """Read and act on lines until quit, Ctrl-D or Ctrl-C; returns the exit code (0)."""
        try:
            if banner:
                self.terminal.say(banner)
            while self.handle(self.terminal.ask("> ").strip()):
                pass
        except EOFError:
            pass
        except KeyboardInterrupt:
            self.terminal.say()
        self.printer.flush()
        self.terminal.say("Bye.")
        return 0

    def handle(self, line: str) -> bool:
        """Act on one line; False to leave. EOFError and KeyboardInterrupt pass through."""
        word, _, rest = line.partition(" ")
        rest = rest.strip()
        lowered = word.lower()
        if not line:
            return True
        if lowered in {"quit", "exit", "/quit", "/exit"}:
            return False
        if lowered in {"help", "/help", "?"}:
            self.terminal.say(HELP)
        elif lowered in {"history", "/history"}:
            self._show_history(rest)
        elif lowered in {"as", "/as"}:
            self._switch_user(rest)
        elif lowered == COMMAND:
            self.command(rest)
        elif lowered in {"click", "/click"}:
            self.click(rest)
        elif word.startswith("/"):
            self.terminal.say(
                f"{clean(word[:40])} is not a valid command here: the bot answers {COMMAND}."
            )
        else:
            self.terminal.say(f"Type {COMMAND} [text] to record a course, or help.")
        return True

    def _show_history(self, rest: str) -> None:
        if rest and not rest.isdigit():
            self.terminal.say("history takes a number: history 5")
            return
        limit = min(int(rest), 1000) if rest else 20
        self.terminal.flush()
        self._history(max(1, limit))

    def _switch_user(self, rest: str) -> None:
        if not rest:
            self.terminal.say(f"You are @{self.user_name} ({self.user_id}).")
            return
        user_id = rest.split()[0].upper()
        if not _USER_ID.match(user_id):
            self.terminal.say("A Slack user id looks like U0SOMEONE (U or W, then capitals).")
            return
        self.user_id = user_id
        self.user_name = self._names.setdefault(user_id, user_id.lower())
        self.terminal.say(f"You are now @{self.user_name} ({user_id}).")

    # -- talking to the app ---------------------------------------------------------------

    def dispatch(self, body: str) -> tuple[int, Any]:
        """Send one Slack request body through Bolt; (HTTP status, decoded answer)."""
        headers: dict[str, str | Sequence[str]] = {
            "content-type": "application/x-www-form-urlencoded",
            **{k.lower(): v for k, v in signature_headers(self._secret, body).items()},
        }
        response = self.bot.app.dispatch(BoltRequest(body=body, headers=headers))
        text = response.body or ""
        try:
            answer = json.loads(text) if text.lstrip().startswith("{") else text
        except ValueError:
            answer = text
        return response.status, answer

    def command(self, text: str) -> None:
        """Run the slash command, then fill in and submit the form it opens."""
        opened_before = len(self.standin.calls("views.open"))
        status, answer = self.dispatch(
            command_body(
                text,
                command=COMMAND,
                user_id=self.user_id,
                user_name=self.user_name,
                channel_id=self.channel_id,
                channel_name=self.channel_name,
                trigger_id=self.standin.new_trigger_id(),
                response_url=self.standin.new_response_url(),
            )
        )
        if status != 200:
            self.terminal.say(f"{COMMAND} failed: the app answered HTTP {status}.")
            return
        if answer:
            self.printer.ephemeral(answer)
            return
        try:
            calls = self.standin.wait_for("views.open", count=opened_before + 1, timeout=FORM_WAIT)
        except TimeoutError:
            self.terminal.say("The bot opened no form.")
            return
        call = calls[-1]
        if not call.ok:
            self.terminal.say(f"The form could not be opened ({call.error}).")
            return
        self.fill(dict(call.response["view"]))

    def click(self, label: str) -> None:
        """Press a button of the newest message that has buttons, as Slack sends a click."""
        buttons = self.printer.buttons
        wanted = label.lower()
        button = next((b for b in buttons if b.label.lower().startswith(wanted)), None)
        if button is None:
            shown = ", ".join(f"[{b.label}]" for b in buttons)
            self.terminal.say(
                f"No such button. The last message has: {shown}"
                if buttons
                else "No message with buttons yet."
            )
            return
        self._press(button)

    def _press(self, button: Button) -> None:
        opened_before = len(self.standin.calls("views.open"))
        status, _answer = self.dispatch(
            payload_body(
                block_actions_payload(
                    button.action_id,
                    value=button.value,
                    block_id=button.block_id,
                    message=button.message,
                    channel_id=button.channel_id,
                    channel_name=self.channel_name,
                    user_id=self.user_id,
                    user_name=self.user_name,
                    trigger_id=self.standin.new_trigger_id(),
                    response_url=self.standin.new_response_url(),
                )
            )
        )
        if status != 200:
            self.terminal.say(f"The app did not take the click (HTTP {status}).")
            return
        try:
            calls = self.standin.wait_for("views.open", count=opened_before + 1, timeout=1.0)
        except TimeoutError:
            return  # a button that opens nothing (its messages are printed as they come)
        if calls[-1].ok:
            self.fill(dict(calls[-1].response["view"]))

    def _suggest(self, view: Mapping[str, Any]) -> Callable[[Field, str], list[tuple[str, str]]]:
        def suggest(field: Field, text: str) -> list[tuple[str, str]]:
            payload = block_suggestion_payload(
                field.action_id,
                text,
                block_id=field.block_id,
                view=view,
                user_id=self.user_id,
                user_name=self.user_name,
            )
            status, answer = self.dispatch(payload_body(payload))
            if status != 200 or not isinstance(answer, Mapping):
                self.terminal.say(f"  (the search failed: HTTP {status})")
                return []
            options = list(answer.get("options") or [])
            for group in answer.get("option_groups") or []:
                if isinstance(group, Mapping):
                    options.extend(group.get("options") or [])
            found = []
            for option in options:
                if isinstance(option, Mapping) and isinstance(option.get("text"), Mapping):
                    found.append((str(option["text"].get("text")), str(option.get("value"))))
            return found

        return suggest

    def fill(self, view: dict[str, Any]) -> None:
        """Fill in `view` at the terminal and submit it, then follow the app's answer (field
        errors, a pushed confirmation, another view in its place) until the form closes."""
        try:
            self._fill(view)
        except Cancelled:
            self.terminal.say("Form closed: nothing was recorded.")
        except KeyboardInterrupt:  # Ctrl-C closes the form, as Esc does in Slack
            self.terminal.say()
            self.terminal.say("Form closed (Ctrl-C): nothing was recorded.")

    def _fill(self, view: dict[str, Any]) -> None:
        """The modal's life, as the Slack client lives it.

        A view with inputs is asked field by field; one with a submit button but no inputs
        is a yes/no question, and so is the submit button of a page the app showed in answer
        to a submission (a session's "Check the names"), after its fields: nothing is sent
        before the person says yes. A view without a submit button can only be closed: when
        it has a callback id (a "please wait" page, see `bot.slack.views.busy_modal`, or the
        page a Correct button opens while the record is read), the console first waits for
        the app to replace it with ``views.update``, as Slack would show the new view.
        """
        say = self.terminal.say
        view_id = str(view.get("id") or "")
        form = self._show(view)
        answer_page = False  # the view is the app's answer to a submission: confirmed first
        ask = True
        while True:
            if not view.get("submit"):
                # A page the app will replace carries a callback id; one without is final.
                pending = bool(view.get("callback_id"))
                held = str(view.get("hash") or "")
                replaced = self._await_view_update(view_id, held) if pending else None
                if replaced is None:
                    raise Cancelled
                view = replaced
                form = self._show(view)
                continue
            if ask and form.fields:
                form.ask_all()
            if (answer_page or not form.fields) and not self._yes(view, "Cancel"):
                raise Cancelled
            ask = True
            submitted = self._held_hash(view_id)
            before = self._last_ids()
            status, answer = self._submit(view, form.values())
            action = answer.get("response_action") if isinstance(answer, Mapping) else None
            if status != 200:
                say(f"The app did not take the form (HTTP {status}); try again or /cancel.")
            elif action == "errors" and isinstance(answer, Mapping):
                ask = not self._ask_errors(form, answer.get("errors"))
            elif action == "push" and isinstance(answer, Mapping):
                if self._confirm(dict(answer.get("view") or {})):
                    self._await_outcome(before)
                    return
                say("Back to the form.")
            elif action == "update" and isinstance(answer, Mapping) and "view" in answer:
                view = self._answered(view_id, dict(answer["view"]), submitted)
                form, answer_page = self._show(view), True
            else:
                self._await_outcome(before)
                return

    def _show(self, view: Mapping[str, Any], indent: str = "") -> Form:
        """Print `view`'s title and text; the form to fill in."""
        actions = FieldActions(
            self.standin,
            self.terminal,
            lambda payload: self.dispatch(payload_body(payload))[0],
            view_id=str(view.get("id") or ""),
            user=lambda: (self.user_id, self.user_name),
        )
        form = Form(view, self.terminal, self._suggest(view), actions)
        style = self.terminal.style
        rule = "──" if style.unicode else "--"
        self.terminal.say(style.bold(f"{rule} {form.title or 'Form'} {rule}"))
        for line in form.notes():
            self.terminal.say(indent + line)
        return form

    def _submit(self, view: Mapping[str, Any], values: Mapping[str, FieldValue]) -> tuple[int, Any]:
        return self.dispatch(
            payload_body(
                view_submission_payload(
                    view,
                    values,
                    user_id=self.user_id,
                    user_name=self.user_name,
                    trigger_id=self.standin.new_trigger_id(),
                )
            )
        )

    def _yes(self, view: Mapping[str, Any], close: str) -> bool:
        """Ask a view's submit button as a yes/no question; True for yes."""

        def label(button: object, default: str) -> str:
            text = button.get("text") if isinstance(button, Mapping) else None
            return clean(str(text or default))

        submit, close = label(view.get("submit"), "Submit"), label(view.get("close"), close)
        while True:
            answer = self.terminal.ask(f"y = {submit}, n = {close}: ").strip().lower()
            if answer in {"y", "yes"}:
                return True
            if answer in {"n", "no", "/cancel"}:
                return False

    def _ask_errors(self, form: Form, errors: object) -> bool:
        """Show the problems the app found and ask their fields again; False when none of
        them is a field of the form (so the whole form is asked again)."""
        problems = (
            {str(k): str(v) for k, v in errors.items()} if isinstance(errors, Mapping) else {}
        )
        self.terminal.say("The form came back with problems:")
        asked = False
        for field in form.fields:
            if field.block_id in problems:
                form.ask(field, problems.pop(field.block_id))
                asked = True
        for block_id, message in problems.items():
            self.terminal.say(f"  {clean(block_id)}: {clean(message)}")
        return asked

    def _confirm(self, view: dict[str, Any]) -> bool:
        """A pushed view (the duplicate warning) as a yes/no question; True if submitted
        and the app closed the stack."""
        self._show(view, indent="  ")
        if not self._yes(view, "Back"):
            return False
        status, reply = self._submit(view, {})
        action = reply.get("response_action") if isinstance(reply, Mapping) else None
        if status != 200 or action == "errors":
            problems = reply.get("errors") if isinstance(reply, Mapping) else None
            self.terminal.say(
                f"Not recorded: {clean(json.dumps(problems)) if problems else f'HTTP {status}'}"
            )
            return False
        return True

    # -- waiting for the app ---------------------------------------------------------------

    def _held_hash(self, view_id: str) -> str | None:
        """The hash of `view_id` as Slack holds it now (None for a view it does not hold)."""
        try:
            return str(self.standin.view(view_id).get("hash") or "")
        except KeyError:
            return None

    def _answered(
        self, view_id: str, view: dict[str, Any], submitted: str | None
    ) -> dict[str, Any]:
        """`view`, the app's answer to the submission of `view_id`, put in its place as
        Slack does (same id, new hash); or, if the app has already updated the view since
        it was submitted (hash `submitted`), the view as it is now."""
        try:
            return self.standin.replace_view(view_id, view, hash=submitted)
        except (KeyError, ValueError):  # a view the stand-in does not hold
            if view_id:
                view["id"] = view_id  # Slack keeps the modal's id for the view in its place
            return view

    def _await_view_update(self, view_id: str, held: str) -> dict[str, Any] | None:
        """The view the app puts in place of `view_id` with ``views.update`` (the view as
        Slack holds it once its hash is no longer `held`), or None if none comes within
        `reply_timeout`."""
        if not view_id:
            return None

        def replaced() -> dict[str, Any] | None:
            try:
                current = self.standin.view(view_id)
            except KeyError:
                return None
            return current if current.get("hash") != held else None

        started, told = time.monotonic(), False
        while (current := replaced()) is None:
            waited = time.monotonic() - started
            if waited > self.reply_timeout:
                self.terminal.say("The bot did not update the form; the shell leaves it.")
                return None
            if waited > self.patience and not told:
                self.terminal.say("… still waiting for the bot to update the form.")
                told = True
            time.sleep(0.02)
        return current

    def _last_ids(self) -> tuple[int, int]:
        """The newest submission's id and the newest correction's (0 where there is none)."""
        latest = self.bot.recorder.store.recent(1)
        corrected = self.bot.recorder.corrections.log.recent(1)
        return (latest[0].id if latest else 0), (corrected[0].id if corrected else 0)

    def _submissions_after(self, after: int) -> list[Submission]:
        """The person's submissions newer than `after` (one, or a whole session's)."""
        store = self.bot.recorder.store
        limit = 8
        while True:
            recent = store.recent(limit, user_id=self.user_id)
            if len(recent) < limit or recent[-1].id <= after:
                return [s for s in recent if s.id > after]
            limit *= 4

    def _corrections_after(self, after: int) -> list[Correction]:
        """The person's corrections newer than `after` (a form corrects one record)."""
        recent = self.bot.recorder.corrections.log.recent(8)
        return [c for c in recent if c.id > after and c.user_id == self.user_id]

    def _await_outcome(self, after: tuple[int, int]) -> None:
        """Wait until the submissions (or the correction) just made have been told in their
        thread (or by DM): one reply for a single record or a correction, the summary for a
        session. Ctrl-C stops waiting (the answer is printed when it comes).

        The clock starts again whenever one of them is finished, so a long session is
        waited for as long as it makes progress."""
        started = time.monotonic()
        told_waiting = False
        finished = -1
        try:
            while True:
                mine = [(s.reported, s.state.final) for s in self._submissions_after(after[0])] + [
                    (c.reported, c.state.final) for c in self._corrections_after(after[1])
                ]
                if all(reported for reported, _final in mine):
                    break
                if (done := sum(final for _reported, final in mine)) != finished:
                    finished, started = done, time.monotonic()
                waited = time.monotonic() - started
                if waited > self.reply_timeout:
                    self.terminal.say(
                        "No answer yet: it will appear here when it comes (history shows it too)."
                    )
                    break
                if waited > self.patience and not told_waiting:
                    self.terminal.say("… still waiting for the CMS to answer.")
                    told_waiting = True
                time.sleep(0.05)
        except KeyboardInterrupt:
            self.terminal.say()
            self.terminal.say("Stopped waiting: the answer will appear here when it comes.")
        self.printer.flush()
