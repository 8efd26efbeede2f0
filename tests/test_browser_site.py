"""The public site in Chromium, opened straight from the folder (file://): every page passes axe,
and nothing a page asks for lies outside the site's folder."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from conftest import serious_axe_violations

from socplan.config import load_settings
from socplan.model import DeliveryPlan
from socplan.reporting.site import write_site
from socplan.store import Store

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def folder(demo_db: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("public") / "site"
    write_site(DeliveryPlan.from_store(Store(demo_db)), None, load_settings(), out)
    return out.resolve()


def pages(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.html"))


@pytest.fixture(scope="module")
def context(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context
    context.close()


def test_the_sample_site_has_every_page(folder):
    names = pages(folder)
    assert {"index.html", "status-definitions.html", "data.html"} <= set(names)
    assert len([n for n in names if n.startswith("recommendations/")]) >= 10


def test_every_page_passes_axe_and_asks_for_nothing_outside_the_folder(context, folder):
    for name in pages(folder):
        page = context.new_page()
        requests: list[str] = []
        page.on("request", lambda request, into=requests: into.append(request.url))
        page.goto((folder / name).as_uri())
        page.wait_for_load_state("load")
        assert page.locator("html").get_attribute("lang") == "en-GB", name
        assert page.locator("h1").count() == 1, name
        assert page.locator("main#main").count() == 1, name
        # The stylesheet was applied (the CSP let it in): the skip link is off screen.
        box = page.locator(".skip-link").bounding_box()
        assert box is not None and box["y"] < 0, name
        serious = serious_axe_violations(page)
        assert not serious, f"{name}:\n" + "\n".join(serious)
        assert requests, name
        for url in requests:
            parsed = urlparse(url)
            assert parsed.scheme == "file", (name, url)
            assert Path(unquote(parsed.path)).resolve().is_relative_to(folder), (name, url)
        page.close()


def test_skip_link_takes_the_keyboard_to_the_main_content(context, folder):
    page = context.new_page()
    page.goto((folder / "index.html").as_uri())
    page.keyboard.press("Tab")
    focused = page.locator(".skip-link")
    assert focused.evaluate("e => e === document.activeElement")
    box = focused.bounding_box()
    assert box is not None and box["y"] >= 0  # shown when it has focus
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.close()


def test_chart_data_opens_as_a_table(context, folder):
    page = context.new_page()
    page.goto((folder / "index.html").as_uri())
    first = page.locator("figure").first
    table = first.locator("details table")
    assert not table.is_visible()
    first.locator("summary").click()
    assert table.is_visible()
    assert table.locator("th[scope=col]").count() >= 2
    svg = first.locator("svg[role=img]")
    assert svg.get_attribute("aria-labelledby")
    assert page.locator(f"#{svg.get_attribute('aria-labelledby')}").text_content()
    page.close()
