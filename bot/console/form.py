"""A Slack modal filled in at the terminal, field by field, as the Slack client would let
a person fill it in.

The form is read from the view the bot opened (`views.open` on the stand-in): each input
block becomes a `Field` with its label, hint, placeholder and pre-filled value. Searchable
selects ask the bot for options through its own ``block_suggestion`` listener (the
`Suggest` callable); nothing about the record form is known here beyond what the view says.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.console.render import clean, render_mrkdwn
from bot.console.terminal import Terminal
from bot.slack.requests import FieldValue

__all__ = ["CANCEL", "Cancelled", "Field", "Form", "Suggest"]

#: Typed at any question of a form, closes it (the modal's Cancel button).
CANCEL = "/cancel"
_SELECTS = frozenset({"external_select", "static_select"})

#: Asks the bot for a select's options: (field, typed text) -> [(label, value)].
Suggest = Callable[["Field", str], list[tuple[str, str]]]


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
    text: str | None = None
    option: tuple[str, str] | None = None

    @classmethod
    def from_block(cls, block: Mapping[str, Any]) -> Field | None:
        element = block.get("element")
        if block.get("type") != "input" or not isinstance(element, Mapping):
            return None
        kind = str(element.get("type") or "")
        max_length = element.get("max_length")
        min_query = element.get("min_query_length")
        options = element.get("options")
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
            text=str(element["initial_value"])
            if isinstance(element.get("initial_value"), str)
            else None,
            option=_option(element.get("initial_option")),
        )

    @property
    def is_select(self) -> bool:
        return self.kind in _SELECTS

    @property
    def shown(self) -> str:
        """What the field holds, as the person sees it."""
        if self.is_select:
            return self.option[0] if self.option else ""
        return self.text or ""

    @property
    def value(self) -> FieldValue:
        """The value for ``view.state.values``: (label, value) for a select, else text."""
        if self.is_select:
            return self.option
        return self.text or None

    def clear(self) -> None:
        self.text, self.option = None, None


class Form:
    """A view being filled in at the terminal."""

    def __init__(self, view: Mapping[str, Any], terminal: Terminal, suggest: Suggest) -> None:
        self.view = view
        self.fields = [
            f
            for f in (Field.from_block(b) for b in view.get("blocks", []) if isinstance(b, Mapping))
            if f is not None
        ]
        self._terminal = terminal
        self._suggest = suggest

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
                    shown = render_mrkdwn(raw, style) if text.get("type") == "mrkdwn" else raw
                    lines.extend(clean(shown).splitlines())
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
        it, `CANCEL` closes the form.
        """
        say, style = self._terminal.say, self._terminal.style
        about = style.bold(field.label + ("" if field.optional else " (required)"))
        say(about + (" · " + style.dim(field.hint) if field.hint else ""))
        if error:
            say("  " + ("✗ " if style.unicode else "! ") + clean(error))
        while True:
            shown = field.shown
            prompt = f"{field.label} [{shown}]: " if shown else f"{field.label}: "
            if not shown and field.placeholder and not field.is_select:
                say(style.dim("  " + field.placeholder))
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
                if field.is_select and field.min_query_length == 0:
                    if self._pick(field, ""):
                        return
                    continue
                say(
                    f"  {field.label} is required."
                    + (f" {field.placeholder}." * bool(field.placeholder))
                )
                continue
            if field.is_select:
                if self._pick(field, answer):
                    return
                continue
            if field.max_length is not None and len(answer) > field.max_length:
                say(f"  At most {field.max_length} characters, please.")
                continue
            field.text = answer
            return

    def _options(self, field: Field, text: str) -> list[tuple[str, str]]:
        if field.static_options:
            words = text.lower().split()
            return [o for o in field.static_options if all(w in o[0].lower() for w in words)]
        if len(text) < field.min_query_length:
            return []
        return self._suggest(field, text)

    def _pick(self, field: Field, text: str) -> bool:
        """Search with `text` and let the person pick; True when an option was picked."""
        say = self._terminal.say
        while True:
            options = self._options(field, text)
            if not options:
                say(f"  No matches for {clean(text)!r}." if text else "  Nothing to choose from.")
                return False
            for n, (label, _value) in enumerate(options, 1):
                say(f"  {n:>3}. {clean(label)}")
            answer = self._terminal.ask(
                f"Pick 1-{len(options)} [1], or type to search again: "
                if len(options) > 1
                else "Enter picks it, or type to search again: "
            ).strip()
            if answer == CANCEL:
                raise Cancelled
            if not answer:
                answer = "1"
            if answer.isdigit() and 1 <= int(answer) <= len(options):
                field.option = options[int(answer) - 1]
                return True
            text = answer
