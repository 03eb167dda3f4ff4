"""A Slack modal filled in at the terminal, field by field, as the Slack client would let
a person fill it in.

The form is read from the view the bot opened (`views.open` on the stand-in): each input
block becomes a `Field` with its label, hint, placeholder and pre-filled value. Searchable
selects ask the bot for options through its own ``block_suggestion`` listener (the
`Suggest` callable); nothing about the record form is known here beyond what the view says.

How each kind of input is asked:

- text: one line; a ``multiline`` one reads lines until an empty line.
- select (``static_select``, ``external_select``): type to search, pick by number; a
  static select with nothing chosen lists its options at once.
- multi-select (``multi_static_select``, ``multi_external_select``): search and pick, as
  often as wanted (several numbers at once: ``1 3``); an empty line ends.

A short list of its own (a ``static_select``) is listed whenever it is asked, with what it
holds as the choice Enter keeps. An input block with ``dispatch_action`` answers as it is
filled in: once its field is answered the `Changed` callable sends the action as Slack would
and shows what the bot put under the field; a refusal there asks the field again.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from bot.local.console.render import clean, render_mrkdwn
from bot.local.console.terminal import Terminal
from bot.local.slack_requests import FieldValue

__all__ = ["CANCEL", "Cancelled", "Changed", "Field", "Form", "Suggest"]

#: Typed at any question of a form, closes it (the modal's Cancel button).
CANCEL = "/cancel"
_SELECTS = frozenset({"external_select", "static_select"})
_MULTI_SELECTS = frozenset({"multi_external_select", "multi_static_select"})
#: Several numbers picked at once: "1 3", "1,3", "2-4".
_NUMBERS = re.compile(r"^\d+(?:-\d+)?(?:[\s,]+\d+(?:-\d+)?)*$")

#: Asks the bot for a select's options: (field, typed text) -> [(label, value)].
Suggest = Callable[["Field", str], list[tuple[str, str]]]
#: Tells the bot a dispatching field was answered and shows its answer: (form, field) ->
#: the bot's refusal of what the field holds, or None.
Changed = Callable[["Form", "Field"], "str | None"]


class Cancelled(Exception):
    """The person closed the form."""


def _text(value: object) -> str:
    if isinstance(value, Mapping):
        return clean(str(value.get("text") or ""))
    return ""


def _option(value: object) -> tuple[str, str] | None:
    if isinstance(value, Mapping) and isinstance(value.get("value"), str):
        return _text(value.get("text")) or str(value["value"]), str(value["value"])
    return None


@dataclass
class Field:
    """One input block of the view, and what the person has put in it so far."""

    block_id: str
    action_id: str
    kind: str
    label: str
    hint: str = ""
    placeholder: str = ""
    optional: bool = False
    max_length: int | None = None
    min_query_length: int = 1
    static_options: tuple[tuple[str, str], ...] = ()
    multiline: bool = False
    max_selected: int | None = None
    #: The block sends an action when its element is answered (``dispatch_action``).
    dispatches: bool = False
    text: str | None = None
    option: tuple[str, str] | None = None
    #: What a multi-select holds, in the order picked.
    options: list[tuple[str, str]] = dataclass_field(default_factory=list)

    @classmethod
    def from_block(cls, block: Mapping[str, Any]) -> Field | None:
        element = block.get("element")
        if block.get("type") != "input" or not isinstance(element, Mapping):
            return None
        kind = str(element.get("type") or "")
        max_length = element.get("max_length")
        min_query = element.get("min_query_length")
        max_selected = element.get("max_selected_items")
        options = element.get("options")
        initial = element.get("initial_options")
        return cls(
            block_id=str(block.get("block_id") or ""),
            action_id=str(element.get("action_id") or ""),
            kind=kind,
            label=_text(block.get("label")) or str(block.get("block_id") or "?"),
            hint=_text(block.get("hint")),
            placeholder=_text(element.get("placeholder")),
            optional=bool(block.get("optional")),
            max_length=max_length if isinstance(max_length, int) else None,
            min_query_length=min_query if isinstance(min_query, int) else 1,
            static_options=tuple(
                o for o in map(_option, options if isinstance(options, list) else []) if o
            ),
            multiline=element.get("multiline") is True,
            max_selected=max_selected if isinstance(max_selected, int) else None,
            dispatches=block.get("dispatch_action") is True,
            text=str(element["initial_value"])
            if isinstance(element.get("initial_value"), str)
            else None,
            option=_option(element.get("initial_option")),
            options=[o for o in map(_option, initial if isinstance(initial, list) else []) if o],
        )

    @property
    def is_select(self) -> bool:
        return self.kind in _SELECTS

    @property
    def is_multi(self) -> bool:
        return self.kind in _MULTI_SELECTS

    @property
    def shown(self) -> str:
        """What the field holds, as the person sees it."""
        if self.is_select:
            return self.option[0] if self.option else ""
        if self.is_multi:
            return "; ".join(label for label, _value in self.options)
        if self.multiline and self.text:
            count = len(self.text.splitlines())
            return f"{count} line{'s' * (count != 1)}"
        return self.text or ""

    @property
    def value(self) -> FieldValue:
        """The value for ``view.state.values``: (label, value) for a select, a list of them
        for a multi-select, else text."""
        if self.is_select:
            return self.option
        if self.is_multi:
            return list(self.options)
        return self.text or None

    def clear(self) -> None:
        self.text, self.option, self.options = None, None, []


class Form:
    """A view being filled in at the terminal."""

    def __init__(
        self,
        view: Mapping[str, Any],
        terminal: Terminal,
        suggest: Suggest,
        changed: Changed | None = None,
    ) -> None:
        self.view = view
        self.fields = [
            f
            for f in (Field.from_block(b) for b in view.get("blocks", []) if isinstance(b, Mapping))
            if f is not None
        ]
        self._terminal = terminal
        self._suggest = suggest
        self._changed = changed
        #: block id -> the note under it last shown (see `bot.local.console.live`).
        self.shown_notes: dict[str, str] = {}
        #: The block ids of the fields asked so far.
        self.asked: set[str] = set()

    @property
    def title(self) -> str:
        return _text(self.view.get("title"))

    def notes(self) -> list[str]:
        """The view's text that is not a field (sections and context), rendered."""
        lines: list[str] = []
        for block in self.view.get("blocks", []):
            if not isinstance(block, Mapping) or block.get("type") == "input":
                continue
            texts = [block.get("text")]
            if block.get("type") == "context" and isinstance(block.get("elements"), list):
                texts = list(block["elements"])
            for text in texts:
                if isinstance(text, Mapping):
                    raw = str(text.get("text") or "")
                    style = self._terminal.style
                    # render_mrkdwn cleans what it renders; cleaning its output again would
                    # strip the escape character of its bold and leave "[1m" in the text.
                    mrkdwn = text.get("type") == "mrkdwn"
                    lines.extend((render_mrkdwn(raw, style) if mrkdwn else clean(raw)).splitlines())
        return lines

    def values(self) -> dict[str, FieldValue]:
        return {f.block_id: f.value for f in self.fields}

    def field(self, block_id: str) -> Field | None:
        return next((f for f in self.fields if f.block_id == block_id), None)

    # -- asking -------------------------------------------------------------------------

    def ask_all(self) -> None:
        for field in self.fields:
            self.ask(field)

    def ask(self, field: Field, error: str | None = None) -> None:
        """Ask for one field until it holds an acceptable answer.

        Enter keeps what the field holds (or leaves an optional field empty), ``-`` clears
        it, `CANCEL` closes the form. A field that dispatches is then told to the bot
        (`Changed`), which shows what the bot says under it; when the bot refuses what the
        field holds, the field is emptied and asked again: Enter then leaves it empty (where
        it may be), and the same answer given again is kept (the submission checks it).
        """
        say, style = self._terminal.say, self._terminal.style
        about = style.bold(field.label + ("" if field.optional else " (required)"))
        say(about + (" · " + style.dim(field.hint) if field.hint else ""))
        if error:
            say("  " + ("✗ " if style.unicode else "! ") + clean(error))
        refused: FieldValue = None
        while True:
            before = field.value
            self._ask_value(field)
            self.asked.add(field.block_id)
            if not field.dispatches or self._changed is None:
                return
            if not field.value and not before:
                return  # nothing typed, nothing to tell
            if self._changed(self, field) is None:
                return
            if refused is not None and field.value == refused:
                return  # given again as it was: kept (the submission checks it again)
            refused = field.value
            field.clear()
            empty = ", or Enter to leave it empty" if field.optional else ""
            say(style.dim(f"  Answer again (the same answer keeps it{empty})."))

    def _ask_value(self, field: Field) -> None:
        if field.is_multi:
            self._ask_several(field)
            return
        if field.multiline:
            self._ask_lines(field)
            return
        if field.static_options and field.is_select:
            # A short list of its own: offered at once, what it holds kept by Enter.
            held = [value for _label, value in field.static_options]
            current = field.option[1] if field.option else None
            default = held.index(current) + 1 if current in held else 1
            if self._pick(field, "", default=default):
                return
        while True:
            shown = field.shown
            prompt = f"{field.label} [{shown}]: " if shown else f"{field.label}: "
            self._placeholder(field)
            answer = self._terminal.ask(prompt).strip()
            if answer == CANCEL:
                raise Cancelled
            if answer == "-":
                field.clear()
                answer = ""
                shown = ""
            if not answer:
                if shown or field.optional:
                    return
                if field.is_select and (field.min_query_length == 0 or field.static_options):
                    if self._pick(field, ""):
                        return
                    continue
                self._required(field)
                continue
            if field.is_select:
                if self._pick(field, answer):
                    return
                continue
            if field.max_length is not None and len(answer) > field.max_length:
                self._terminal.say(f"  At most {field.max_length} characters, please.")
                continue
            field.text = answer
            return

    def _placeholder(self, field: Field) -> None:
        if not field.shown and field.placeholder and not field.is_select and not field.is_multi:
            shown = " / ".join(line.strip() for line in field.placeholder.splitlines())
            self._terminal.say(self._terminal.style.dim("  " + shown))

    def _required(self, field: Field) -> None:
        self._terminal.say(
            f"  {field.label} is required." + (f" {field.placeholder}." * bool(field.placeholder))
        )

    def _ask_lines(self, field: Field) -> None:
        """A multiline text input: lines until an empty one (Enter at once keeps the text)."""
        while True:
            shown = field.shown
            self._placeholder(field)
            first = self._terminal.ask(
                f"{field.label} [{shown}] (Enter keeps them, or type new lines; "
                "an empty line ends): "
                if shown
                else f"{field.label} (one per line; an empty line ends): "
            )
            if first.strip() == CANCEL:
                raise Cancelled
            if first.strip() == "-":
                field.clear()
                first, shown = "", ""
            if not first.strip():
                if shown or field.optional:
                    return
                self._required(field)
                continue
            lines = [first.rstrip()]
            while line := self._terminal.ask("... ").rstrip():
                if line.strip() == CANCEL:
                    raise Cancelled
                lines.append(line)
            text = "\n".join(lines)
            if field.max_length is not None and len(text) > field.max_length:
                self._terminal.say(f"  At most {field.max_length} characters, please.")
                continue
            field.text = text
            return

    def _ask_several(self, field: Field) -> None:
        """A multi-select: search and pick until an empty line; ``-`` drops every pick."""
        say, style = self._terminal.say, self._terminal.style
        say(style.dim("  Type to search, pick by number (several: 1 3); an empty line ends."))
        if field.options:
            say("  Picked:")
            for label, _value in field.options:
                say(f"    • {clean(label)}")
        while True:
            count = len(field.options)
            answer = self._terminal.ask(
                f"{field.label} [{count} picked]: " if count else f"{field.label}: "
            ).strip()
            if answer == CANCEL:
                raise Cancelled
            if answer == "-":
                field.options = []
                say("  Nothing picked.")
                continue
            if answer:
                self._pick(field, answer)
                continue
            if field.options or field.optional:
                return
            if field.static_options or field.min_query_length == 0:
                self._pick(field, "")
                continue
            self._required(field)

    def _options(self, field: Field, text: str) -> list[tuple[str, str]]:
        if field.static_options:
            words = text.lower().split()
            return [o for o in field.static_options if all(w in o[0].lower() for w in words)]
        if len(text) < field.min_query_length:
            return []
        return self._suggest(field, text)

    def _pick(self, field: Field, text: str, *, default: int = 1) -> bool:
        """Search with `text` and let the person pick; True when an option was picked.

        Enter picks option `default` (while the list is the first one shown). For a
        multi-select the picks are added to what it holds (each once).
        """
        say = self._terminal.say
        while True:
            options = self._options(field, text)
            if not options:
                say(f"  No matches for {clean(text)!r}." if text else "  Nothing to choose from.")
                return False
            for n, (label, _value) in enumerate(options, 1):
                say(f"  {n:>3}. {clean(label)}")
            if not 1 <= default <= len(options):
                default = 1
            if len(options) == 1:
                question = "Enter picks it, or type to search again: "
            elif field.is_multi:
                question = (
                    f"Pick 1-{len(options)} [{default}] (several: 1 3), or type to search again: "
                )
            else:
                question = f"Pick 1-{len(options)} [{default}], or type to search again: "
            answer = self._terminal.ask(question).strip()
            if answer == CANCEL:
                raise Cancelled
            if not answer:
                answer = str(default)
            default = 1
            chosen = _numbers(answer, len(options), several=field.is_multi)
            if chosen is None:
                text = answer
                continue
            if not field.is_multi:
                field.option = options[chosen[0] - 1]
                return True
            return self._add(field, [options[n - 1] for n in chosen])

    def _add(self, field: Field, options: list[tuple[str, str]]) -> bool:
        """Add `options` to a multi-select (each once); False if none was added."""
        say = self._terminal.say
        held = {value for _label, value in field.options}
        new = [o for o in options if o[1] not in held]
        if len(new) < len(options):
            say("  Already picked: " + "; ".join(clean(o[0]) for o in options if o[1] in held))
        if field.max_selected is not None and len(field.options) + len(new) > field.max_selected:
            say(f"  At most {field.max_selected} can be picked.")
            new = new[: max(field.max_selected - len(field.options), 0)]
        field.options.extend(new)
        for label, _value in new:
            say(f"  + {clean(label)}")
        return bool(new)


def _numbers(answer: str, count: int, *, several: bool) -> list[int] | None:
    """The option numbers in `answer` (1-based, in order, each once), or None if `answer`
    is not a choice among `count` options (so it is searched for instead)."""
    if not _NUMBERS.match(answer) or (not several and not answer.isdigit()):
        return None
    chosen: list[int] = []
    for part in re.split(r"[\s,]+", answer):
        low, _, high = part.partition("-")
        first, last = int(low), int(high or low)
        if not 1 <= first <= last <= count:
            return None
        chosen.extend(n for n in range(first, last + 1) if n not in chosen)
    return chosen
