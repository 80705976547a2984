"""``grade serve``'s pages in a real headless browser (Playwright over the system's chromium): log in
with a form, an HttpOnly cookie, a learner's own attempts and cards with the hidden checks
withheld, the instructor's live gradebook and report (issue 17)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .instructor_support import LEAST_FIRST
from .serve_support import add_token, poll, running_server, serve_course, submit, zipped

CHROMIUM = Path("/usr/bin/chromium")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists() and not shutil.which("chromium"),
                       reason="no system chromium (/usr/bin/chromium) for Playwright to drive"),
]


def test_learner_and_instructor_pages_in_a_browser(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (the system chromium is used)")
    root = serve_course(tmp_path / "course")
    token = add_token(root, "lee")
    with running_server(root) as (url, teacher):
        sid = submit(url, token, "ex01", zipped({"cosine.py": LEAST_FIRST})).json()["id"]
        assert poll(url, token, sid)["status"] == "done"
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")))
            try:
                context = browser.new_context()
                page = context.new_page()
                page.goto(url + "/")
                assert page.url == url + "/login"
                page.fill("#token", "not-a-token")
                page.click("#login")
                assert "not on this course's roster" in page.inner_text("#error")

                page.fill("#token", token)
                page.click("#login")
                page.wait_for_url(url + "/me")
                body = page.inner_text("body")
                assert "lee" in body and "ex01 attempt 1 · done" in body
                card = page.inner_text("pre.card")
                assert "top k returns the most similar rows first" in card and "least similar first" not in card
                assert "\x1b[" not in card  # no terminal colours on a page
                session = [c for c in context.cookies() if c["name"] == "grade_session"]
                assert session and session[0]["httpOnly"] and session[0]["sameSite"] == "Strict"
                assert token not in session[0]["value"] and page.evaluate("document.cookie") == ""

                page.goto(url + "/instructor")
                assert "for the course's instructors" in page.inner_text("body")
                page.goto(url + "/me")
                page.click("text=Log out")
                page.wait_for_url(url + "/login")
                page.goto(url + "/me?token=" + token)  # a token in the address is no login
                assert page.url == url + "/login"

                page.fill("#token", teacher)
                page.click("#login")
                page.wait_for_url(url + "/instructor")
                gradebook = page.inner_text("#gradebook")
                assert "lee" in gradebook and "ex01" in gradebook and "partial" in gradebook
                page.goto(url + f"/submissions/{sid}")
                assert "least similar first" in page.inner_text("#card")  # the instructor's card is the whole one
                page.goto(url + "/instructor")
                page.click("#report-link")
                page.wait_for_function("document.body.getAttribute('data-images') !== null")
                shown, total = page.get_attribute("body", "data-images").split("/")
                assert shown == total and int(total) >= 1  # every plot decoded
                assert "ex01" in page.inner_text("body")
            finally:
                browser.close()
