"""A fake Genius: a real HTTP server on 127.0.0.1, in a thread, speaking the API's JSON shapes.

The API lives under /api (so the client's base-URL joining is exercised) and song pages under
/songs-html/. Faults are queued per path: a status (429 with Retry-After, 500, 401), a slow
answer, or a simulated Ctrl-C, for a number of requests or for good.
"""

from __future__ import annotations

import json
import signal
import threading
import time
import unicodedata
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakegenius.catalog import FakeCatalog, FakeSong
from tests.fakegenius.pages import render_song_page

API_PREFIX = "/api"
PAGE_PREFIX = "/songs-html/"


@dataclass(kw_only=True)
class Fault:
    # 200 answers normally (after the delay or the interrupt); anything else is an error body.
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    # Seconds to wait before answering (a slow response past the client's timeout).
    delay_s: float = 0.0
    # A Ctrl-C before answering: SIGINT to the main thread (the test's), which is waiting for
    # this answer.
    interrupt_main: bool = False
    # How many requests it hits; None = every one ("fails permanently").
    times: int | None = 1
    # Only requests whose query has these values (e.g. {"page": "2"}).
    query: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class RecordedRequest:
    path: str
    query: dict[str, str]
    headers: dict[str, str]


class FakeGenius:
    def __init__(self, *, catalog: FakeCatalog, token: str) -> None:
        self.catalog = catalog
        self.token = token
        self.requests: list[RecordedRequest] = []
        self._faults: dict[str, list[Fault]] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._server.daemon_threads = True
        # A short poll interval: shutdown() waits up to one interval, once per test.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    # --- lifecycle -------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        return self.base_url + API_PREFIX

    def start(self) -> FakeGenius:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # --- faults and what was asked ---------------------------------------------------------------
    def add_fault(self, path: str, fault: Fault) -> None:
        """`path` as requested: "/api/songs/10001" or a song's `page_path`."""
        with self._lock:
            self._faults.setdefault(path, []).append(fault)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def song_page_url(self, song: FakeSong) -> str:
        return self.base_url + song.page_path

    def hits(self, path: str) -> int:
        with self._lock:
            return sum(1 for request in self.requests if request.path == path)

    def _take_fault(self, path: str, query: dict[str, str]) -> Fault | None:
        with self._lock:
            for fault in self._faults.get(path, []):
                if any(query.get(key) != value for key, value in fault.query.items()):
                    continue
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times == 0:
                        self._faults[path].remove(fault)
                return fault
        return None

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    # --- the API ---------------------------------------------------------------------------------
    def answer(self, path: str, query: dict[str, str], headers: dict[str, str]) -> _Answer:
        if path.startswith(PAGE_PREFIX):
            return self._song_page(path)
        if not path.startswith(API_PREFIX + "/"):
            return _json_error(404, "not found")
        if headers.get("authorization") != f"Bearer {self.token}":
            return _json_error(401, "invalid_token: the access token provided is not valid")
        parts = path[len(API_PREFIX) :].strip("/").split("/")
        match parts:
            case ["search"]:
                return _ok({"hits": self._search(query.get("q", ""))})
            case ["artists", artist_id] if artist_id.isdigit():
                artist = self.catalog.artists.get(int(artist_id))
                if artist is None:
                    return _json_error(404, "not found")
                return _ok({"artist": self._artist_json(artist.genius_id)})
            case ["artists", artist_id, "songs"] if artist_id.isdigit():
                return self._artist_songs(int(artist_id), query)
            case ["songs", song_id] if song_id.isdigit():
                song = self.catalog.songs.get(int(song_id))
                if song is None:
                    return _json_error(404, "not found")
                return _ok({"song": self._song_json(song, full=True)})
        return _json_error(404, "not found")

    def _search(self, text: str) -> list[dict[str, Any]]:
        """Songs sharing a word with the query, best first, a few per artist (as Genius mixes)."""
        words = set(_fold(text).split())
        scored: list[tuple[int, int, FakeSong]] = []
        per_artist: dict[int, int] = {}
        for order, song in enumerate(self.catalog.songs.values()):
            artist = self.catalog.artists[song.primary_artist_id]
            score = len(words & set(_fold(f"{artist.name} {song.title}").split()))
            if score and per_artist.get(artist.genius_id, 0) < 5:
                per_artist[artist.genius_id] = per_artist.get(artist.genius_id, 0) + 1
                scored.append((-score, order, song))
        return [
            {"type": "song", "index": "song", "result": self._song_json(song)}
            for _, _, song in sorted(scored, key=lambda item: item[:2])[:20]
        ]

    def _artist_songs(self, artist_id: int, query: dict[str, str]) -> _Answer:
        if artist_id not in self.catalog.artists:
            return _json_error(404, "not found")
        if query.get("sort") != "popularity":
            return _json_error(400, "this fake only sorts by popularity")
        per_page = min(int(query.get("per_page", "20")), 50)
        page = int(query.get("page", "1"))
        listing = self.catalog.listing(artist_id)
        start = (page - 1) * per_page
        songs = [self._song_json(song) for song in listing[start : start + per_page]]
        next_page = page + 1 if start + per_page < len(listing) else None
        return _ok({"songs": songs, "next_page": next_page})

    def _artist_json(self, artist_id: int) -> dict[str, Any]:
        artist = self.catalog.artists[artist_id]
        return {
            "id": artist.genius_id,
            "name": artist.name,
            "url": f"{self.base_url}/artists/{artist.slug}",
            "api_path": f"/artists/{artist.genius_id}",
            "is_verified": False,
        }

    def _song_json(self, song: FakeSong, *, full: bool = False) -> dict[str, Any]:
        artist = self.catalog.artists[song.primary_artist_id]
        payload: dict[str, Any] = {
            "id": song.genius_id,
            "title": song.title,
            "full_title": f"{song.title} by {artist.name}",
            "url": self.song_page_url(song),
            "path": song.page_path,
            "api_path": f"/songs/{song.genius_id}",
            "lyrics_state": song.lyrics_state,
            "primary_artist": self._artist_json(artist.genius_id),
        }
        if full:
            payload["release_date"] = song.release_date
            payload["instrumental"] = song.instrumental
            payload["album"] = (
                {"id": 7, "name": song.album_name, "api_path": "/albums/7"}
                if song.album_name
                else None
            )
        return payload

    def _song_page(self, path: str) -> _Answer:
        for song in self.catalog.songs.values():
            if song.page_path == path:
                artist = self.catalog.artists[song.primary_artist_id]
                body = render_song_page(song, artist).encode("utf-8")
                return _Answer(200, "text/html; charset=utf-8", body)
        return _Answer(404, "text/html; charset=utf-8", b"<html><body>Oops</body></html>")


@dataclass(frozen=True)
class _Answer:
    status: int
    content_type: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


def _ok(response: dict[str, Any]) -> _Answer:
    return _json_answer(200, {"meta": {"status": 200}, "response": response})


def _json_error(status: int, message: str) -> _Answer:
    return _json_answer(status, {"meta": {"status": status, "message": message}})


def _json_answer(status: int, payload: dict[str, Any]) -> _Answer:
    return _Answer(status, "application/json; charset=utf-8", json.dumps(payload).encode("utf-8"))


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char if char.isalnum() else " " for char in decomposed if not _combining(char))


def _combining(char: str) -> bool:
    return bool(unicodedata.combining(char))


def _make_handler(fake: FakeGenius) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes; without this, Nagle's algorithm meets the
        # client's delayed ACK and every response takes 40 ms.
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
            headers = {key.lower(): value for key, value in self.headers.items()}
            fake._record(RecordedRequest(path=parts.path, query=query, headers=headers))
            fault = fake._take_fault(parts.path, query)
            if fault is None or fault.status == 200:
                answer = fake.answer(parts.path, query, headers)
            else:
                error = _json_error(fault.status, f"injected HTTP {fault.status}")
                answer = _Answer(
                    error.status, error.content_type, error.body, tuple(fault.headers.items())
                )
            if fault is not None and fault.delay_s:
                time.sleep(fault.delay_s)
            if fault is not None and fault.interrupt_main:
                # A real signal, as a terminal's Ctrl-C: the main thread's blocked read fails
                # with EINTR and Python raises KeyboardInterrupt inside it (where SIGINT is not
                # ignored: see the Ctrl-C test's `ctrl_c_raises`).
                main = threading.main_thread().ident
                assert main is not None
                signal.pthread_kill(main, signal.SIGINT)
            self._send(answer)

        def _send(self, answer: _Answer) -> None:
            try:
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(answer.body)))
                for name, value in answer.headers:
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(answer.body)
            except (BrokenPipeError, ConnectionResetError):
                # The client gave up (a timeout test); nothing to answer to.
                self.close_connection = True

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the tests assert on `fake.requests` instead."""

    return Handler
