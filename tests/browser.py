"""Headless Debian ``chromium`` driven by Playwright, for the dashboard and the HTML files patrol writes.

``browser`` is a module-scoped fixture (tests/conftest.py offers it to every test module);
:class:`Page` records console errors, page errors and dialogs (an alert would be injected script);
:func:`open_report` opens a written report file and checks what every HTML report must do.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium")
NO_CHROMIUM = "Debian chromium not installed (apt-get install chromium)"
#: A4 at 96 px/in is 794 px wide; the widest print margins of patrol's documents are 14 mm a side
A4_CONTENT_PX = round((210 - 2 * 14) / 25.4 * 96)


def artifacts(tmp_path: Path) -> Path:
    """Where screenshots go: ``$PATROL_TEST_ARTIFACTS`` (CI keeps it), else the test's folder."""
    folder = Path(os.environ.get("PATROL_TEST_ARTIFACTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if CHROMIUM is None:
        pytest.skip(NO_CHROMIUM)
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield launched
        launched.close()


class Page:
    """A browser page that records console errors, page errors and dialogs (an alert = XSS)."""

    def __init__(self, browser: Any) -> None:
        self.context = browser.new_context()
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.problems.append(f"pageerror: {error}"))
        self.page.on("dialog", self._dialog)

    def _console(self, message: Any) -> None:
        if message.type == "error":
            self.problems.append(f"console: {message.text}")

    def _dialog(self, dialog: Any) -> None:
        self.problems.append(f"dialog: {dialog.message}")
        dialog.dismiss()


def open_report(browser: Any, html: Path, screenshot: Path, *, charts: int = 1) -> Page:
    """Open a report file as the customer would and check it: no console or page error, no request
    leaving the file (self-contained), at least ``charts`` chart images and every image decoded,
    fits an A4 page's width when printed (a PDF is made of it); a full-page screenshot is written.
    Returns the page (screen media) for the caller's own assertions."""
    tab = Page(browser)
    requests: list[str] = []
    local = (html.as_uri(), "data:")
    tab.page.on("request", lambda r: None if r.url.startswith(local) else requests.append(r.url))
    tab.page.goto(html.as_uri(), wait_until="load")
    images = tab.page.eval_on_selector_all(
        "img", "els => els.map(e => [e.className, e.alt, e.complete && e.naturalWidth > 0])"
    )
    assert all(ok for _, _, ok in images), f"{html.name}: images not shown: {[i for i in images if not i[2]]}"
    assert sum(1 for cls, _, _ in images if "chart" in cls.split()) >= charts, f"{html.name}: charts {images}"
    tab.page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 20_000, f"{screenshot} looks blank"
    tab.page.set_viewport_size({"width": A4_CONTENT_PX, "height": 1123})
    tab.page.emulate_media(media="print")
    wide = tab.page.evaluate("() => document.documentElement.scrollWidth")
    assert wide <= A4_CONTENT_PX + 1, f"{html.name}: {wide} px wide in print, an A4 page holds {A4_CONTENT_PX}"
    pdf = tab.page.pdf(prefer_css_page_size=True)
    assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page\b", pdf)) >= 1
    tab.page.emulate_media(media="screen")
    assert not requests, f"{html.name} is not self-contained: it fetched {requests}"
    assert not tab.problems, f"{html.name}: {tab.problems}"
    return tab
