"""The last surfaces in zh-Hans and zh-Hant: ``patrol ticket show``, the dashboard, ``patrol diff --format html``.

Same history and checker as :mod:`tests.report.test_i18n_complete` (the recorded lab over 20
days, with tickets), plus a service-desk ticket moved, commented, recorded and waived so that
every kind of timeline entry is shown. The dashboard is a real ``patrol serve`` read over HTTP
with a session of a real API token.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from patrol.service.tokens import add_token
from patrol.store import Store
from tests.conftest import PatrolCLI
from tests.history.incli import patrol
from tests.report.test_i18n_complete import LANGS, english_words, home, html_text, other_script
from tests.report.test_i18n_complete import device_words as _device_words
from tests.service.conftest import Server, start_server

__all__ = ["home"]  # the module's history fixture, shared

#: People, places and words a user typed (shown as written): not untranslated labels.
TYPED = frozenset({"alice", "bob", "carol", "ops", "noted", "spare", "replaced", "cable", "audit"})


def _check(text: str, lang: str, names: frozenset[str] = frozenset()) -> None:
    assert len(text) > 200, text
    assert english_words(text, _device_words() | TYPED | names) == set(), text
    assert other_script(text, lang) == set(), text


@pytest.fixture(scope="module")
def desk(home: Path) -> Path:
    """A desk ticket through its whole trail, and an inspection ticket waived."""
    steps = [
        ("ticket", "new", "--class", "defect", "--channel", "hotline", "--reporter", "alice", "--location",
         "ops", "--priority", "urgent", "cable replaced"),
        ("ticket", "assign", "21", "bob"), ("ticket", "comment", "21", "noted"),
        ("ticket", "move", "21", "analyse", "--note", "spare"),
        ("ticket", "record", "21", "--cause", "cable", "--fix", "replaced"),
    ]  # fmt: skip
    tickets = patrol(home, "tickets", "--state", "all", "--json", "--lang", "en")
    assert tickets.code == 0, tickets.stderr
    steps = [tuple("{}".format(a) for a in s) for s in steps]
    new = patrol(home, *steps[0], "--by", "carol")
    assert new.code == 0, new.stderr
    desk_id = re.search(r"ticket (\d+) opened", new.stdout).group(1)  # type: ignore[union-attr]
    for step in steps[1:]:
        done = patrol(home, *[desk_id if a == "21" else a for a in step], "--by", "carol")
        assert done.code == 0, done.stderr
    (home / "desk_id").write_text(desk_id)
    return home


def _show(home: Path, ticket_id: str, lang: str) -> str:
    result = patrol(home, "ticket", "show", ticket_id, "--lang", lang)
    assert result.code == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("lang", LANGS)
def test_ticket_show_is_fully_translated(desk: Path, lang: str) -> None:
    shown = _show(desk, "1", lang) + _show(desk, (desk / "desk_id").read_text(), lang)
    _check(shown, lang)
    assert ("工单" if lang == "zh-Hans" else "工單") in shown and "SLA" in shown


def test_ticket_show_in_english_is_english(desk: Path) -> None:
    """The checker sees the English words of the same output: the test above can fail."""
    shown = _show(desk, "1", "en") + _show(desk, (desk / "desk_id").read_text(), "en")
    assert {"priority", "timeline", "opened"} <= english_words(shown, _device_words() | TYPED)
