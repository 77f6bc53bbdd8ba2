"""`make deploy-check` and `make test`: the production path, end to end, on loopback.

Each test takes the running stack (tests/deploy/conftest.py: Apache with TLS in front of
gunicorn in production mode, a fresh PostgreSQL database; built once, tens of seconds), makes
real requests to it, and fails saying what production must not do. A passing test prints a
one-line account of what it saw (`make deploy-check` shows them).
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
import requests

from common.processes import loopback_session
from deploy.stack import GENERATE_RATE_PER_MINUTE, Stack

if TYPE_CHECKING:
    from playwright.sync_api import Page

# The first generation request may load a model; later ones take well under a second.
GENERATION_TIMEOUT_S = 90.0
# Six lines are written one after the other (tens of ms each): a proxy that buffers the stream
# delivers them all in the same instant.
STREAM_SPREAD_S = 0.05
REQUEST_TIMEOUT_S = 15.0
ONE_YEAR_S = 31_536_000
# A file collectstatic always brings (Django's admin), so the check does not depend on the site's.
ALWAYS_COLLECTED = "admin/css/base.css"
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome")


# One stack for the module, so its tests stay on one worker, in this order (the throttle's
# test, last, spends the generation quota): `make test` distributes by xdist group.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("production-stack")]


class CheckFailed(AssertionError):
    """What a test saw that production must not do; one line."""


# --- helpers --------------------------------------------------------------------------------------


def _session(stack: Stack) -> requests.Session:
    session = loopback_session()
    # The check's own CA: TLS is verified for real, against the certificate Apache was given.
    session.verify = str(stack.ca_file)
    return session


def _expect_status(response: requests.Response, status: int, what: str) -> None:
    if response.status_code != status:
        location = response.headers.get("Location")
        seen = f"HTTP {response.status_code}" + (f" to {location}" if location else "")
        raise CheckFailed(f"{what}: expected HTTP {status}, got {seen}")


def _header_values(response: requests.Response, name: str) -> list[str]:
    """Every copy of a header as sent (requests joins duplicates, which would hide them)."""
    return list(response.raw.headers.getlist(name))


def _gunicorn_log_lines(stack: Stack) -> list[str]:
    try:
        return stack.gunicorn_access_log.read_text().splitlines()
    except FileNotFoundError:
        return []


class _AssetLinks(HTMLParser):
    """The same-origin files a page loads: stylesheets, scripts, images, icons."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        url = found.get("src") if tag in ("script", "img") else None
        if tag == "link" and (found.get("rel") or "") in ("stylesheet", "icon", "preload"):
            url = found.get("href")
        if url and not urlsplit(url).netloc:
            self.urls.append(url)


# --- the checks -----------------------------------------------------------------------------------


def test_plain_http_redirects_permanently_to_https_keeping_host_and_path(stack: Stack) -> None:
    https_port = urlsplit(stack.https_url).port
    http_port = urlsplit(stack.http_url).port
    cases = [
        ("127.0.0.1", "/api/models?format=json&page=2"),
        ("localhost", "/admin/login/?next=/admin/"),
        ("localhost", "/"),
    ]
    for host, path in cases:
        response = _session(stack).get(
            f"{stack.http_url}{path}",
            headers={"Host": f"{host}:{http_port}"},
            allow_redirects=False,
            timeout=REQUEST_TIMEOUT_S,
        )
        _expect_status(response, 301, f"http://{host}{path}")
        wanted = f"https://{host}:{https_port}{path}"
        if response.headers.get("Location") != wanted:
            raise CheckFailed(
                f"http://{host}{path} redirects to {response.headers.get('Location')}, not {wanted}"
            )
    print(f"{len(cases)} URLs: 301 to https, same host, path and query")


def test_certbot_challenges_are_answered_over_plain_http(stack: Stack) -> None:
    token = secrets.token_urlsafe(24)
    challenge_dir = stack.acme_webroot / ".well-known" / "acme-challenge"
    (challenge_dir / token).write_text(f"{token}.key-authorization")
    try:
        response = _session(stack).get(
            f"{stack.http_url}/.well-known/acme-challenge/{token}",
            allow_redirects=False,
            timeout=REQUEST_TIMEOUT_S,
        )
    finally:
        (challenge_dir / token).unlink()
    _expect_status(response, 200, "certbot's challenge over plain HTTP")
    if response.text != f"{token}.key-authorization":
        raise CheckFailed("certbot's challenge answered with other content")
    print("a certbot --webroot token is served over plain HTTP, not redirected")


def test_tls_verifies_with_the_lets_encrypt_layout_and_offers_http2(stack: Stack) -> None:
    """The certificate from the Let's Encrypt layout verifies, and HTTP/2 is offered."""
    parts = urlsplit(stack.https_url)
    context = ssl.create_default_context(cafile=str(stack.ca_file))
    context.set_alpn_protocols(["h2", "http/1.1"])
    with (
        socket.create_connection((parts.hostname, parts.port), timeout=REQUEST_TIMEOUT_S) as raw,
        context.wrap_socket(raw, server_hostname=parts.hostname) as tls,
    ):
        version, protocol = tls.version(), tls.selected_alpn_protocol()
    if version not in ("TLSv1.2", "TLSv1.3"):
        raise CheckFailed(f"negotiated {version}; only TLS 1.2 and 1.3 are acceptable")
    if protocol != "h2":
        raise CheckFailed(f"ALPN chose {protocol!r}, not h2 (is mod_http2 enabled?)")
    print(f"certificate verifies, {version}, ALPN h2")


def test_static_files_are_served_by_apache_not_django(stack: Stack) -> None:
    session = _session(stack)
    home = session.get(f"{stack.https_url}/", timeout=REQUEST_TIMEOUT_S)
    _expect_status(home, 200, "the home page")
    links = _AssetLinks()
    links.feed(home.text)
    paths = sorted({f"/static/{ALWAYS_COLLECTED}", *links.urls})
    for path in paths:
        if not path.startswith("/static/"):
            raise CheckFailed(f"the home page loads {path}, outside /static/")
        response = session.get(f"{stack.https_url}{path}", timeout=REQUEST_TIMEOUT_S)
        _expect_status(response, 200, path)
        on_disk = stack.static_root / path.removeprefix("/static/")
        if response.content != on_disk.read_bytes():
            raise CheckFailed(f"{path} differs from the collected file {on_disk}")
        if response.headers.get("Cache-Control") != "public, max-age=3600":
            raise CheckFailed(f"{path} lacks Apache's static Cache-Control header")
    # Proof that Django never saw them: gunicorn logged the home page but none of the files ...
    log = _gunicorn_log_lines(stack)
    if not any('"GET / HTTP' in line for line in log):
        raise CheckFailed("gunicorn's access log has no line for the home page; cannot prove much")
    leaked = [line for line in log if "/static/" in line]
    if leaked:
        raise CheckFailed(f"gunicorn served a static file: {leaked[0]}")
    # ... and Django would not serve them anyway in production.
    direct = _session(stack).get(
        f"{stack.gunicorn_url}/static/{ALWAYS_COLLECTED}",
        headers={"X-Forwarded-Proto": "https", "Host": urlsplit(stack.https_url).netloc},
        timeout=REQUEST_TIMEOUT_S,
    )
    _expect_status(direct, 404, "a static file asked of gunicorn directly")
    print(f"{len(paths)} files from the collected folder; gunicorn logged none, answers 404")


def test_the_admin_login_page_loads_over_https(stack: Stack) -> None:
    response = _session(stack).get(f"{stack.https_url}/admin/login/", timeout=REQUEST_TIMEOUT_S)
    _expect_status(response, 200, "the admin login page")
    if 'name="csrfmiddlewaretoken"' not in response.text:
        raise CheckFailed("the admin login page has no CSRF-protected form")
    cookie = next((c for c in response.cookies if c.name == "csrftoken"), None)
    if cookie is None or not cookie.secure:
        raise CheckFailed("the CSRF cookie is missing or not marked Secure")
    print("200 with its form; the CSRF cookie is Secure")


def test_django_sees_proxied_requests_as_secure(stack: Stack) -> None:
    host = urlsplit(stack.https_url).netloc
    # Control: asked over plain HTTP (no proxy header), Django redirects to its own https URL ...
    direct = _session(stack).get(
        f"{stack.gunicorn_url}/admin/login/",
        headers={"Host": host},
        allow_redirects=False,
        timeout=REQUEST_TIMEOUT_S,
    )
    _expect_status(direct, 301, "gunicorn asked directly over plain HTTP")
    if direct.headers.get("Location") != f"https://{host}/admin/login/":
        raise CheckFailed(f"Django redirected plain HTTP to {direct.headers.get('Location')}")
    # ... through Apache it serves the page (no redirect loop), and a login POST whose Origin is
    # the https site passes CSRF, which compares it with the scheme Django believes in.
    session = _session(stack)
    login_url = f"{stack.https_url}/admin/login/"
    page = session.get(login_url, timeout=REQUEST_TIMEOUT_S)
    _expect_status(page, 200, "the admin login page through Apache")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    if token is None:
        raise CheckFailed("no CSRF token in the admin login form")
    form = {
        "csrfmiddlewaretoken": token.group(1),
        "username": stack.admin_username,
        "password": stack.admin_password,
        "next": "/admin/",
    }
    forged = session.post(
        login_url,
        data=form,
        headers={"Origin": "https://evil.example", "Referer": login_url},
        allow_redirects=False,
        timeout=REQUEST_TIMEOUT_S,
    )
    _expect_status(forged, 403, "a login POST from another origin")
    login = session.post(
        login_url,
        data=form,
        headers={"Origin": stack.https_url, "Referer": login_url},
        allow_redirects=False,
        timeout=REQUEST_TIMEOUT_S,
    )
    _expect_status(login, 302, "the login POST from the https origin")
    session_cookie = next((c for c in session.cookies if c.name == "sessionid"), None)
    if session_cookie is None or not session_cookie.secure:
        raise CheckFailed("the session cookie is missing or not marked Secure")
    index = session.get(
        f"{stack.https_url}/admin/", allow_redirects=False, timeout=REQUEST_TIMEOUT_S
    )
    _expect_status(index, 200, "the admin index after logging in")
    print("plain HTTP is sent to https; via Apache the https login passes CSRF (forged: 403)")


def test_security_headers_are_sent_once_on_every_response(stack: Stack) -> None:
    session = _session(stack)
    paths = ["/", "/admin/login/", f"/static/{ALWAYS_COLLECTED}", "/api/models", "/no-such-page"]
    for path in paths:
        response = session.get(f"{stack.https_url}{path}", timeout=REQUEST_TIMEOUT_S)
        headers = {
            name: _header_values(response, name)
            for name in (
                "Strict-Transport-Security",
                "X-Content-Type-Options",
                "Referrer-Policy",
                "Content-Security-Policy",
                "X-Frame-Options",
            )
        }
        for name, values in headers.items():
            if len(values) != 1:
                raise CheckFailed(f"{path} sends {name} {len(values)} times: {values}")
        hsts = headers["Strict-Transport-Security"][0]
        max_age = re.search(r"max-age=(\d+)", hsts)
        if max_age is None or int(max_age.group(1)) < ONE_YEAR_S:
            raise CheckFailed(f"{path}: HSTS {hsts!r} is shorter than a year")
        if headers["X-Content-Type-Options"][0] != "nosniff":
            raise CheckFailed(
                f"{path}: X-Content-Type-Options is {headers['X-Content-Type-Options']}"
            )
        csp = headers["Content-Security-Policy"][0]
        if "default-src 'self'" not in csp or "frame-ancestors 'none'" not in csp:
            raise CheckFailed(f"{path}: the Content-Security-Policy {csp!r} is not strict")
    print(f"HSTS, nosniff, Referrer-Policy, CSP, X-Frame-Options once each on {len(paths)} URLs")


@contextmanager
def _browser_page(*, problems: list[str]) -> Iterator[Page]:
    """A page in a real Chromium that notes CSP violations, failed requests and script errors."""
    from playwright.sync_api import sync_playwright

    chromium = next(
        (shutil.which(name) for name in CHROMIUM_CANDIDATES if shutil.which(name)), None
    )
    if chromium is None:
        raise CheckFailed("no Chromium to load the pages (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            # TLS was verified by the other checks; the browser does not know the check's CA.
            page = browser.new_context(ignore_https_errors=True).new_page()
            page.on(
                "console",
                lambda message: (
                    problems.append(f"{page.url}: {message.text}")
                    if "Content Security Policy" in message.text
                    else None
                ),
            )
            page.on(
                "response",
                lambda response: (
                    problems.append(f"{response.url}: HTTP {response.status}")
                    if response.status >= 400
                    else None
                ),
            )
            page.on("pageerror", lambda error: problems.append(f"{page.url}: {error}"))
            yield page
            # Violations are reported asynchronously; give the last page a moment.
            time.sleep(0.3)
        finally:
            browser.close()


def _pages_satisfy_the_csp(stack: Stack) -> str:
    """A real Chromium loads the site and the admin under the policy and reports no violation."""
    pages = [
        "/",
        "/api/docs/",
        "/admin/login/",
        "/admin/",
        "/admin/auth/user/add/",
        "/admin/lyrics/artist/",
    ]
    problems: list[str] = []
    with _browser_page(problems=problems) as page:
        page.goto(f"{stack.https_url}/admin/login/")
        page.fill("#id_username", stack.admin_username)
        page.fill("#id_password", stack.admin_password)
        page.click("input[type=submit]")
        page.wait_for_url(f"{stack.https_url}/admin/")
        # Logged in, so the admin's own pages load rather than its login form.
        for path in pages:
            page.goto(f"{stack.https_url}{path}", wait_until="networkidle")
    if problems:
        raise CheckFailed(f"{len(problems)} problem(s): " + " | ".join(problems[:3]))
    return f"{len(pages)} pages (site, API docs, admin) load in Chromium with no CSP violation"


def _a_visitor_writes_a_verse(stack: Stack) -> str:
    """The home page's form, in Chromium, through Apache and gunicorn to the model and back.

    Relies on the page's ids (templates/home.html): #prefix, #lines inside #options,
    #generate-button, the #lyrics list and #form-message.
    """
    problems: list[str] = []
    with _browser_page(problems=problems) as page:
        page.goto(f"{stack.https_url}/", wait_until="networkidle")
        page.fill("#prefix", "Late night on the block")
        page.click("#options summary")
        page.fill("#lines", "1")
        page.click("#generate-button")
        # The verse, or the page's own message saying why there is none.
        page.wait_for_selector(
            "#lyrics li, #form-message:not([hidden])", timeout=GENERATION_TIMEOUT_S * 1000
        )
        if page.is_visible("#form-message"):
            message = " ".join(page.inner_text("#form-message").split())
            raise CheckFailed(f"the page said: {message}")
        verse = page.inner_text("#lyrics").strip()
    if problems:
        raise CheckFailed(f"{len(problems)} problem(s): " + " | ".join(problems[:3]))
    if not verse:
        raise CheckFailed("the page showed an empty verse")
    return f"the form wrote {len(verse)} characters with no CSP violation or failed request"


def test_post_api_generate_answers_through_the_proxy(stack: Stack) -> None:
    started = time.monotonic()
    response = _session(stack).post(
        f"{stack.https_url}/api/generate",
        json={"prefix": "Late night on the block", "lines": 1},
        timeout=GENERATION_TIMEOUT_S,
    )
    _expect_status(response, 200, "POST /api/generate")
    lyrics = response.json().get("lyrics")
    if not isinstance(lyrics, str) or not lyrics.strip():
        raise CheckFailed(f"POST /api/generate answered without lyrics: {response.text[:200]}")
    print(f"200 with {len(lyrics)} characters of lyrics in {time.monotonic() - started:.1f} s")


def test_the_verse_streams_through_the_proxy_line_by_line(stack: Stack) -> None:
    """The page shows line 1 while the later lines are written: through Apache, each line of the
    NDJSON stream must reach the client when gunicorn sends it, not when the response ends."""
    started = time.monotonic()
    arrivals: list[tuple[float, dict[str, Any]]] = []
    with _session(stack).post(
        f"{stack.https_url}/api/generate/stream",
        json={"prefix": "Late night on the block", "lines": 6, "candidates": 4},
        timeout=GENERATION_TIMEOUT_S,
        stream=True,
    ) as response:
        _expect_status(response, 200, "POST /api/generate/stream")
        for line in response.iter_lines():
            if line:
                arrivals.append((time.monotonic() - started, json.loads(line)))
    if len(arrivals) < 3 or "done" not in arrivals[-1][1]:
        raise CheckFailed(f"the stream ended without a verse: {arrivals[-1:]}")
    first_at, done_at = arrivals[0][0], arrivals[-1][0]
    if done_at - first_at < STREAM_SPREAD_S:
        raise CheckFailed(
            f"all {len(arrivals)} events arrived within {1000 * (done_at - first_at):.0f} ms of "
            "each other: the proxy held the stream back"
        )
    print(
        f"line 1 after {1000 * first_at:.0f} ms, the whole verse after {1000 * done_at:.0f} ms "
        f"({len(arrivals) - 1} lines)"
    )


def test_post_api_us_legacy_answers_through_the_proxy(stack: Stack) -> None:
    response = _session(stack).post(
        f"{stack.https_url}/apiUS",
        data={"input": "Late night on the block"},
        timeout=GENERATION_TIMEOUT_S,
    )
    _expect_status(response, 200, "POST /apiUS")
    output = response.json().get("output")
    if not isinstance(output, str) or not output.strip():
        raise CheckFailed(f"POST /apiUS answered without output: {response.text[:200]}")
    print(f"200 with {len(output)} characters of output")


def test_get_api_models_answers_through_the_proxy(stack: Stack) -> None:
    response = _session(stack).get(f"{stack.https_url}/api/models", timeout=REQUEST_TIMEOUT_S)
    _expect_status(response, 200, "GET /api/models")
    if "application/json" not in response.headers.get("Content-Type", ""):
        raise CheckFailed(f"GET /api/models is {response.headers.get('Content-Type')}, not JSON")
    response.json()
    print("200 JSON")


# Apache's RequestReadTimeout gives a body 20 s (more while bytes keep coming); a little slack.
SLOW_BODY_CUT_OFF_S = 30.0
STALLED_CLIENTS = 4


def _stalled_post(stack: Stack) -> ssl.SSLSocket:
    """A TLS connection that sent the headers of a POST promising a body, and nothing more."""
    parts = urlsplit(stack.https_url)
    context = ssl.create_default_context(cafile=str(stack.ca_file))
    raw = socket.create_connection((parts.hostname, parts.port), timeout=REQUEST_TIMEOUT_S)
    tls = context.wrap_socket(raw, server_hostname=parts.hostname)
    tls.sendall(
        f"POST /api/generate HTTP/1.1\r\nHost: {parts.hostname}\r\n"
        "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n".encode()
    )
    return tls


def test_clients_stalling_mid_body_are_cut_off_while_the_site_keeps_answering(stack: Stack) -> None:
    """Clients that promise a body and never send it are ended by Apache (mod_reqtimeout), and
    meanwhile the site keeps answering: the health check stays quick."""
    stalled = [_stalled_post(stack) for _ in range(STALLED_CLIENTS)]
    try:
        session = _session(stack)
        slowest = 0.0
        for _ in range(5):
            started = time.monotonic()
            _expect_status(
                session.get(f"{stack.https_url}/healthz", timeout=REQUEST_TIMEOUT_S),
                200,
                "the health check beside stalled clients",
            )
            slowest = max(slowest, time.monotonic() - started)
        started = time.monotonic()
        answers = []
        for connection in stalled:
            connection.settimeout(max(0.1, SLOW_BODY_CUT_OFF_S - (time.monotonic() - started)))
            try:
                answers.append(connection.recv(200).decode(errors="replace"))
            except TimeoutError:
                raise CheckFailed(
                    f"a client stalled mid-body still held its connection after "
                    f"{SLOW_BODY_CUT_OFF_S:g} s (is mod_reqtimeout enabled?)"
                ) from None
        waited = time.monotonic() - started
    finally:
        for connection in stalled:
            connection.close()
    refused = [answer for answer in answers if not answer or " 408 " in answer.split("\r\n")[0]]
    if len(refused) != len(answers):
        raise CheckFailed(f"a stalled body got {answers[0].splitlines()[0]!r}, not 408")
    print(
        f"{STALLED_CLIENTS} stalled bodies cut off within {waited:.0f} s; health checks "
        f"meanwhile took at most {slowest:.2f} s"
    )


def test_the_site_the_api_docs_and_the_admin_satisfy_the_csp(stack: Stack) -> None:
    print(_in_own_thread(_pages_satisfy_the_csp, stack))


def test_a_visitors_browser_writes_a_verse_on_the_home_page(stack: Stack) -> None:
    print(_in_own_thread(_a_visitor_writes_a_verse, stack))


def _in_own_thread(check: Callable[[Stack], str], stack: Stack) -> str:
    """Playwright's sync API refuses to start where an asyncio loop runs (a test process whose
    browser tests ran first has one): the browser checks run in a thread of their own."""
    with ThreadPoolExecutor(max_workers=1) as runner:
        return runner.submit(check, stack).result()


# Last: it spends what is left of the generation quota.
def test_the_generation_rate_limit_counts_clients_not_forged_x_forwarded_for(stack: Stack) -> None:
    """Generation is rate-limited per client: a forged X-Forwarded-For must not buy a new quota.

    Apache appends the real client address to any X-Forwarded-For the client sent, so Django
    must count the last entry (RAPLYRICS_NUM_PROXIES = 1), not the whole header. The requests ask
    for 0 lines: DRF counts a request against the quota before it validates it, so each one costs
    a 400, not a generation.
    """
    session = _session(stack)
    for attempt in range(1, GENERATE_RATE_PER_MINUTE + 2):
        response = session.post(
            f"{stack.https_url}/api/generate",
            json={"prefix": "Late night on the block", "lines": 0},
            headers={"X-Forwarded-For": f"203.0.113.{attempt}"},
            timeout=REQUEST_TIMEOUT_S,
        )
        if response.status_code == 429:
            print(f"429 at request {attempt}, each with another forged X-Forwarded-For")
            return
        _expect_status(response, 400, f"request {attempt} for 0 lines")
    raise CheckFailed(
        f"{GENERATE_RATE_PER_MINUTE + 1} requests at {GENERATE_RATE_PER_MINUTE}/min, none "
        "refused: a forged X-Forwarded-For escapes the rate limit"
    )
