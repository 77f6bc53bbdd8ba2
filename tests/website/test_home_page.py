"""The generator page as the server renders it (the browser tests drive it for real)."""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup, Tag
from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client

from generator import limits
from generator.models import ModelVersion
from generator.serving import PRETRAINED_NAME
from lyrics.models import Corpus
from tests.factories import VerseFactory

pytestmark = pytest.mark.django_db

STATIC_JS = settings.BASE_DIR / "static" / "js"


def _page(client: Client) -> BeautifulSoup:
    response = client.get("/")
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def test_it_renders_the_form_with_the_servers_prefix_limit(client: Client) -> None:
    page = _page(client)
    prefix = page.find("input", id="prefix")
    assert prefix is not None
    assert prefix["maxlength"] == str(limits.PREFIX_MAX_CHARS)
    assert page.find(id="prefix-count").get_text() == f"0 / {limits.PREFIX_MAX_CHARS}"
    assert page.find("label", attrs={"for": "prefix"}) is not None


def test_every_form_control_has_a_label(client: Client) -> None:
    page = _page(client)
    controls = page.select("form input:not([type=hidden])")
    assert controls
    for control in controls:
        labelled = page.find("label", attrs={"for": control["id"]}) or control.find_parent("label")
        assert labelled is not None, f"#{control['id']} has no label"


def test_the_options_show_the_api_limits(client: Client) -> None:
    page = _page(client)
    lines = page.find("input", id="lines")
    assert (lines["min"], lines["max"]) == (str(limits.LINES_MIN), str(limits.LINES_MAX))
    candidates = page.find("input", id="candidates")
    assert candidates["max"] == str(limits.CANDIDATES_MAX)
    temperature = page.find("input", id="temperature")
    assert float(temperature["min"]) == limits.TEMPERATURE_MIN
    assert float(temperature["max"]) == limits.TEMPERATURE_MAX
    assert page.find("input", id="seed")["max"] == str(limits.SEED_MAX)
    scheme = page.find("select", id="rhyme_scheme")
    assert [option["value"] for option in scheme.find_all("option")] == list(limits.RHYME_SCHEMES)
    assert scheme.find("option", selected=True)["value"] == limits.RHYME_SCHEME_DEFAULT
    assert page.find("label", attrs={"for": "rhyme_scheme"}) is not None


def test_the_form_posts_to_a_relative_api_url_so_a_proxy_path_works(client: Client) -> None:
    form = _page(client).find("form", id="generate-form")
    # No leading slash: at /some/prefix/ the browser resolves it to /some/prefix/api/generate.
    assert form["action"] == "api/generate"
    assert form["data-stream-action"] == "api/generate/stream"


def test_it_sets_the_csrf_cookie_the_script_posts_with(client: Client) -> None:
    response = client.get("/")
    assert response.cookies[settings.CSRF_COOKIE_NAME].value


def test_visitors_see_no_admin_link(client: Client) -> None:
    page = _page(client)
    assert page.find("a", href="/admin/") is None


def test_staff_see_a_link_to_the_admin(staff_client: Client) -> None:
    link = _page(staff_client).find("a", href="/admin/")
    assert link is not None
    assert link.get_text(strip=True) == "Studio admin"


def _about_stats(about: Tag) -> dict[str, str]:
    return {
        item.find("dt").get_text(strip=True): item.find("dd").get_text(strip=True)
        for item in about.select(".stats__item")
    }


def test_without_a_trained_model_the_about_section_says_the_pretrained_model_answers(
    client: Client,
) -> None:
    VerseFactory(text="one two three", cleaned_text="one two three")
    about = _page(client).find(id="about")
    assert about.find(id="about-model-name").get_text() == PRETRAINED_NAME
    assert "No model has been trained here yet" in about.get_text()
    stats = _about_stats(about)
    assert stats["Artists"] == "1"
    assert stats["Verses"] == "1"


def test_the_about_section_says_what_the_active_model_learned_from(client: Client) -> None:
    corpus = Corpus.objects.create(
        file_path="/corpora/1.txt",
        sha256="0" * 64,
        byte_size=1_234_567,
        verse_count=2_400,
        source_verse_count=1_200,
        char_count=1_234_567,
        line_count=20_000,
        vocabulary_size=80,
        word_vocabulary_size=9_000,
        artist_shares={
            f"Artist {n:02}": {"verses": 100, "chars": 1, "share": 0.07} for n in range(14)
        },
        augmented=True,
        seed=7,
    )
    ModelVersion.objects.create(
        name="street-poet-v3",
        corpus=corpus,
        weights_key="w",
        vocab_key="v",
        config_key="c",
        weights_sha256="1" * 64,
        is_active=True,
    )
    about = _page(client).find(id="about")
    assert about.find(id="about-model-name").get_text() == "street-poet-v3"
    assert _about_stats(about) == {
        "Artists": "14",
        "Verses": "2,400",
        "Lines": "20,000",
        "Characters": "1,234,567",
    }
    artists = about.find(class_="about__artists").get_text()
    assert "Artist 00" in artists
    assert "Artist 13" not in artists
    assert "and 2 more" in artists


def test_a_model_trained_from_the_demo_corpus_file_says_so(client: Client) -> None:
    from generator.demo import DEMO_CORPUS
    from generator.models import TrainingRun

    run = TrainingRun.objects.create(corpus_file=str(DEMO_CORPUS), epochs=1, status="done")
    ModelVersion.objects.create(
        name="demo",
        training_run=run,
        weights_key="w",
        vocab_key="v",
        config_key="c",
        weights_sha256="1" * 64,
        is_active=True,
    )
    about = _page(client).find(id="about")
    text = about.get_text(" ", strip=True)
    assert "It learned from the demo corpus shipped with RapLyrics" in text
    assert "No model has been trained here yet" not in text
    assert _about_stats(about) == {}


def test_the_page_has_no_inline_scripts_styles_or_handlers(
    client: Client, staff_client: Client
) -> None:
    # The production Content-Security-Policy (default-src 'self') would block any of them.
    for page in (_page(client), _page(staff_client)):
        assert page.find("style") is None
        for script in page.find_all("script"):
            assert script.get("src"), f"inline script: {script}"
            assert not script.get_text(strip=True)
        for tag in page.find_all(True):
            assert "style" not in tag.attrs, f"style attribute on <{tag.name}>"
            handlers = [name for name in tag.attrs if name.lower().startswith("on")]
            assert not handlers, f"inline handler {handlers} on <{tag.name}>"
            for name in ("href", "src", "action"):
                assert not str(tag.get(name, "")).lower().startswith("javascript:")


def test_every_asset_the_page_links_is_a_local_static_file(client: Client) -> None:
    page = _page(client)
    urls = [tag["src"] for tag in page.find_all(["script", "img"])]
    urls += [tag["href"] for tag in page.find_all("link")]
    assert urls
    for url in urls:
        assert url.startswith(settings.STATIC_URL) or url.startswith("/" + settings.STATIC_URL)
        relative = url.split(settings.STATIC_URL, 1)[1]
        assert finders.find(relative), f"{url} is not in static/"


def test_the_script_never_writes_html_from_strings() -> None:
    # Lyrics and prefixes reach the page through textContent only; these sinks would parse HTML.
    sinks = re.compile(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(")
    scripts = list(STATIC_JS.glob("*.js"))
    assert scripts
    for script in scripts:
        code = re.sub(r"^\s*//.*$", "", script.read_text(), flags=re.MULTILINE)
        assert not sinks.search(code), f"{script.name} uses an HTML sink"
