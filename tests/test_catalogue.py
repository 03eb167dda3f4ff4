"""Pick-lists: the course catalogue and the contact search, against the sandbox."""

from __future__ import annotations

import time

from bot.catalogue import (
    UNAVAILABLE_LABEL,
    UNAVAILABLE_VALUE,
    Choice,
    ContactSearch,
    CourseCatalogue,
    contact_label,
)
from bot.cms.client import CMSClient
from bot.cms.models import Contact
from bot.local.sandbox import CMSSandbox


def test_courses_are_fetched_once_and_searched_in_memory(
    cms: CMSClient, sandbox: CMSSandbox
) -> None:
    catalogue = CourseCatalogue(cms)
    assert [c.name for c in catalogue.search("found")] == ["Safeguarding Foundations"]
    assert [c.id for c in catalogue.search("2")] == [2]
    assert [c.name for c in catalogue.search("safeguarding leader")] == [
        "Safeguarding Leadership",
        "Safeguarding Senior Leadership",
    ]
    assert catalogue.search("<!channel>") == []
    assert len(catalogue.search("")) == len(sandbox.courses)
    calls = [c for c in sandbox.calls if c[1] == "/v2/courses"]
    assert len(calls) == 1


def test_best_match_needs_exactly_one_course(cms: CMSClient) -> None:
    catalogue = CourseCatalogue(cms)
    found = catalogue.best_match("foundations")
    assert found is not None
    assert found.id == 2
    assert catalogue.best_match("safeguarding") is None
    assert catalogue.best_match("Safeguarding Leadership") is not None


def test_catalogue_keeps_old_list_when_the_cms_fails(cms: CMSClient, sandbox: CMSSandbox) -> None:
    catalogue = CourseCatalogue(cms)
    before = catalogue.refresh()
    sandbox.fail_next(500, times=20)
    assert catalogue.refresh() == before


def test_catalogue_refreshes_in_the_background_when_stale(
    cms: CMSClient, sandbox: CMSSandbox
) -> None:
    now = [0.0]
    catalogue = CourseCatalogue(cms, max_age=60, clock=lambda: now[0])
    catalogue.refresh()
    sandbox.add_course("Church Growth")
    assert "Church Growth" not in [c.name for c in catalogue.courses()]
    now[0] = 61.0
    catalogue.courses()  # stale: starts a refresh, answers from memory
    deadline = time.monotonic() + 5
    while "Church Growth" not in [c.name for c in catalogue.courses()]:
        assert time.monotonic() < deadline
        time.sleep(0.02)


def test_contact_search_by_name_shows_post_and_parish(cms: CMSClient) -> None:
    search = ContactSearch(cms)
    try:
        choices = search.search("Holloway")
    finally:
        search.close()
    assert choices[0] == Choice(
        "Maggie Holloway (#1001), Vicar, St Mary the Virgin, Little Ashby", "1001"
    )


def test_contact_search_takes_a_number_as_an_id(cms: CMSClient) -> None:
    search = ContactSearch(cms)
    try:
        assert search.search("1010")[0] == Choice("Contact #1010", "1010")
        assert search.search("#77")[0] == Choice("Contact #77", "77")
        assert search.search("0") == []
    finally:
        search.close()


def test_contact_search_answers_in_time_when_the_cms_is_slow(
    cms: CMSClient, sandbox: CMSSandbox
) -> None:
    sandbox.delay = 3
    search = ContactSearch(cms, search_timeout=0.3)
    try:
        started = time.monotonic()
        assert search.search("Pritchard") == [Choice(UNAVAILABLE_LABEL, UNAVAILABLE_VALUE)]
        assert time.monotonic() - started < 1
    finally:
        sandbox.delay = 0
        search.close()


def test_contact_search_caches_answers(cms: CMSClient, sandbox: CMSSandbox) -> None:
    search = ContactSearch(cms)
    try:
        first = search.search("Okafor")
        second = search.search("  okafor ")
    finally:
        search.close()
    assert first == second
    assert len([c for c in sandbox.calls if c[1] == "/v2/contacts"]) == 1


def test_huge_and_hostile_search_text_is_harmless(cms: CMSClient) -> None:
    search = ContactSearch(cms)
    try:
        assert search.search("<!channel>" * 10_000) == []
        assert search.search("\x00\x1b[2J") == []
    finally:
        search.close()


def test_contact_label_without_post() -> None:
    assert contact_label(Contact(id=5, forenames="Ann", surname="Lee")) == "Ann Lee (#5)"
    assert contact_label(Contact(id=6)) == "Contact 6 (#6)"
