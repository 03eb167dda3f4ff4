"""The submission's fields are declared once (`bot.fields`); everything else follows it."""

from __future__ import annotations

from bot import fields
from bot.cli import build_parser
from bot.cms.models import CourseRecord, NewCourseRecord
from bot.dates import FIELD_ROLES
from bot.slack import views
from bot.slack.commandtext import parse_command_text
from bot.store import Submission
from bot.submission import Typed


def test_the_typed_submission_has_exactly_the_declared_fields_in_order() -> None:
    assert tuple(Typed.model_fields) == fields.FIELDS


def test_the_cms_models_and_the_log_carry_every_field() -> None:
    for name in fields.FIELDS:
        assert name in CourseRecord.model_fields
        assert name in Submission.model_fields
    assert set(NewCourseRecord.model_fields) == set(fields.FIELDS) - {"contact_id"}


def test_the_form_has_one_input_block_per_field_in_order() -> None:
    modal = views.record_modal(private_metadata="{}", initial={})
    inputs = [b for b in modal["blocks"] if b["type"] == "input"]
    assert [b["block_id"] for b in inputs] == list(fields.FIELDS)
    for block in inputs:
        field = fields.BY_NAME[block["block_id"]]
        assert block["label"]["text"] == field.label
        assert block["hint"]["text"] == field.hint
        assert block["optional"] is (not field.required)
        assert block["element"]["action_id"] == field.name


def test_date_roles_come_from_the_declaration() -> None:
    assert {f.name: f.role for f in fields.ALL if f.kind == "date"} == FIELD_ROLES
    assert fields.PAST_DATE_FIELDS == ("booked_at", "attended_at", "completed_at")


def test_every_date_word_prefills_its_field_after_the_command() -> None:
    for field in fields.ALL:
        if field.kind != "date":
            continue
        for word in (field.word, *field.aliases):
            assert parse_command_text(f"{word} 12/03/2025").dates == {field.name: "12/03/2025"}


def test_record_takes_one_option_per_date_field() -> None:
    args = build_parser().parse_args(
        ["record", "1042", "--course", "2", *(f"{f.option}=x{f.name}" for f in fields.ALL[3:])]
    )
    for name in fields.DATE_FIELDS:
        assert getattr(args, name) == f"x{name}"
