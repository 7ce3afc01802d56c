"""The report in a real browser: headless Chromium, network off, a screenshot,
no request leaving the page and no console error. Skipped where no Chromium is
installed; CI installs Debian's chromium (see .ci/run)."""

import shutil
from pathlib import Path

import pytest

import cxresearch as cx

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None, reason="no Chromium installed (CI installs Debian's chromium)"
    ),
]
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser")
    study = cx.make_demo_study(folder / "study", n=500, random_state=4)
    return cx.render_report(study, folder / "out", progress=False)


def test_the_report_renders_offline_without_requests_or_console_errors(rendered, tmp_path):
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    pages = [rendered, *sorted((rendered.parent / "chapters").glob("*.html"))]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        context = browser.new_context(offline=True)
        for path in pages:
            page = context.new_page()
            requests, problems = [], []
            page.on("request", lambda r, seen=requests: seen.append(r.url))
            page.on(
                "console",
                lambda m, seen=problems: seen.append(m.text) if m.type == "error" else None,
            )
            page.on("pageerror", lambda e, seen=problems: seen.append(str(e)))
            page.goto(Path(path).as_uri(), wait_until="load")
            shot = tmp_path / f"{path.stem}.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000, path.name
            leaving = [u for u in requests if not u.startswith(("file:", "data:"))]
            assert leaving == [], f"{path.name} requested {leaving[:3]}"
            assert problems == [], f"{path.name}: {problems[:3]}"
            page.close()
        browser.close()
