"""Request signing (`bot.cms.signing`), with the fixed vectors of `shared/cms-api.md`."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.cms.signing import sign, signed, signing_string, verify

DATA = '{"diocese_id":7}'


@pytest.mark.parametrize(
    ("params", "message", "sig"),
    [
        (
            {"api_id": "12", "data": DATA},
            '12{"diocese_id":7}',
            "961caf13bf4d79f711e206ea6119b9e95128dc674ee5bbfced2da80d14fcd0c6",
        ),
        (
            {"api_id": "12", "data": DATA, "limit": "10", "offset": "0"},
            '12{"diocese_id":7}100',
            "98e689b688b490f1789a33fc2b6c0091c9ff7e158588c7424a39f05975b8743e",
        ),
        (
            {"course_id": "3", "completed_at": "2025-03-01", "api_id": "12", "data": DATA},
            '122025-03-013{"diocese_id":7}',
            "b59af1ac923b20e031610be1d77af6209fbca99a5b2845834d4c6a1a4fc57d6b",
        ),
    ],
    ids=["courses", "courses-paged", "post-course-record"],
)
def test_documented_vectors(params: dict[str, str], message: str, sig: str) -> None:
    assert signing_string(params) == message
    assert sign(params, "secret") == sig


def test_sig_itself_is_never_signed() -> None:
    params = {"api_id": "12", "data": DATA}
    assert sign({**params, "sig": "anything"}, "secret") == sign(params, "secret")


def test_names_are_ordered_in_plain_ascii_order() -> None:
    # "Z" (0x5A) sorts before "a" (0x61), and "_" (0x5F) between them.
    assert signing_string({"a": "3", "_": "2", "Z": "1"}) == "123"


def test_is_php_hash_hmac_sha256_lowercase_hex() -> None:
    expected = hmac.new(b"k", "12é".encode(), hashlib.sha256).hexdigest()
    assert sign({"api_id": "12", "data": "é"}, "k") == expected
    assert expected == expected.lower()


def test_signed_adds_sig_and_verify_accepts_it() -> None:
    params = signed({"api_id": "12", "data": DATA, "limit": "10", "offset": "0"}, "secret")
    assert params["sig"] == "98e689b688b490f1789a33fc2b6c0091c9ff7e158588c7424a39f05975b8743e"
    assert verify(params, "secret")


@pytest.mark.parametrize(
    "change",
    [
        {"limit": "11"},
        {"extra": "1"},
        {"sig": "0" * 64},
        {"sig": ""},
    ],
)
def test_verify_refuses_any_change(change: dict[str, str]) -> None:
    params = signed({"api_id": "12", "data": DATA, "limit": "10"}, "secret")
    assert not verify({**params, **change}, "secret")


def test_verify_refuses_the_wrong_secret_and_a_missing_sig() -> None:
    params = signed({"api_id": "12", "data": DATA}, "secret")
    assert not verify(params, "other")
    assert not verify({"api_id": "12", "data": DATA}, "secret")


names = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=8)


@given(st.dictionaries(names.filter(lambda n: n != "sig"), st.text(max_size=20), max_size=6))
def test_any_parameters_round_trip(params: dict[str, str]) -> None:
    assert verify(signed(params, "s3cret"), "s3cret")
    assert len(sign(params, "s3cret")) == 64
