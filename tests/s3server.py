"""A real S3 for tests: `moto_server` on 127.0.0.1, and a proxy that can make it misbehave.

Use from any test module (or register once with `pytest_plugins = ["tests.s3server"]` in the
root conftest):

    def test_it_uploads(s3_bucket: str, moto_s3: MotoS3Server) -> None:
        store = S3ArtifactStore(s3_bucket, endpoint_url=moto_s3.endpoint_url)

    def test_it_retries(flaky_s3: FlakyS3Proxy, s3_bucket: str) -> None:
        flaky_s3.fail_next(2, method="PUT")          # two 503 SlowDown answers, then normal
        store = S3ArtifactStore(s3_bucket, endpoint_url=flaky_s3.endpoint_url)

Fixtures: `moto_s3` (session: the server, its endpoint and helpers), `s3_endpoint_url`
(session: the URL alone), `s3_bucket` (a fresh empty bucket per test), `flaky_s3` (a fault
injecting proxy per test, in front of the session server).

The server runs in its own process so it shares no state with the tests (a `mock_aws` elsewhere
in the suite cannot wipe it) and speaks real HTTP. For the whole session the process gets dummy
AWS credentials, a region, and no config files or instance metadata, so nothing can reach AWS.
"""

from __future__ import annotations

import functools
import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal

import boto3
import pytest
from botocore.config import Config

from common.processes import ServerFailed, free_port, start_logged, stop_process, wait_until

DUMMY_AWS_ENVIRONMENT: dict[str, str] = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    # Never ask the EC2 metadata service (169.254.169.254) for credentials or region.
    "AWS_EC2_METADATA_DISABLED": "true",
    # A developer's ~/.aws must not leak a real profile, role or endpoint into the tests.
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}
# Variables that would redirect or re-credential boto3 if left from the developer's shell.
UNSET_AWS_ENVIRONMENT = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_ROLE_ARN")

SERVER_START_TIMEOUT_S = 30.0


@dataclass
class MotoS3Server:
    """A running moto_server process and helpers to use it."""

    endpoint_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    @functools.cached_property
    def client(self) -> Any:
        """A boto3 S3 client for arranging and inspecting state (not the code under test)."""
        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint_url,
            config=Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": 1}),
        )

    def create_bucket(self, name: str | None = None) -> str:
        """Create a bucket (a fresh unique name unless given) and return its name."""
        bucket = name or f"test-{uuid.uuid4().hex[:16]}"
        self.client.create_bucket(Bucket=bucket)
        return bucket

    def object_bytes(self, bucket: str, key: str) -> bytes:
        return bytes(self.client.get_object(Bucket=bucket, Key=key)["Body"].read())

    def object_keys(self, bucket: str) -> list[str]:
        response = self.client.list_objects_v2(Bucket=bucket)
        return sorted(entry["Key"] for entry in response.get("Contents", []))


def start_moto_server(*, log_path: Path) -> MotoS3Server:
    """Start `python -m moto.server` on 127.0.0.1 at a free port; return once it answers."""
    last_problem = "not started"
    for _try in range(3):  # the free port can be taken between probing and binding
        port = free_port()
        log_path.write_bytes(b"")
        process = start_logged(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            log_file=log_path,
            env={**os.environ, **DUMMY_AWS_ENVIRONMENT},
        )
        try:
            wait_until(
                lambda port=port: _answers_http(port),
                process=process,
                log_file=log_path,
                what="moto_server",
                timeout_s=SERVER_START_TIMEOUT_S,
                poll_s=0.05,
            )
        except ServerFailed:
            stop_moto_server(process)
            log_lines = log_path.read_text(errors="replace").strip().splitlines()
            last_problem = log_lines[-1] if log_lines else "no output"
            continue
        return MotoS3Server(
            endpoint_url=f"http://127.0.0.1:{port}", process=process, log_path=log_path
        )
    raise RuntimeError(f"moto_server did not start: {last_problem} (log: {log_path})")


def stop_moto_server(process: subprocess.Popen[bytes]) -> None:
    # SIGKILL: the server holds nothing worth flushing, and a graceful stop costs ~0.7 s.
    stop_process(process, name="moto_server", stop_signal=signal.SIGKILL, grace_s=10)


def _answers_http(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
    try:
        connection.request("GET", "/moto-api/data.json")
        connection.getresponse().read()
    except OSError:
        return False
    finally:
        connection.close()
    return True


# --- a proxy that makes S3 misbehave -----------------------------------------------------------

FaultKind = Literal["pass", "error", "reset", "truncate", "corrupt"]

_ERROR_MESSAGES = {
    "SlowDown": "Please reduce your request rate.",
    "ServiceUnavailable": "Service is unable to handle request.",
    "InternalError": "We encountered an internal error. Please try again.",
    "InvalidAccessKeyId": "The AWS Access Key Id you provided does not exist in our records.",
    "AccessDenied": "Access Denied",
}
# Hop-by-hop headers (and those http.server writes itself) are not copied between the sides.
_NOT_FORWARDED = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "expect", "server", "date", "content-length"}
)


@dataclass
class _Fault:
    method: str
    remaining: int
    kind: FaultKind
    status: int = 503
    code: str = "SlowDown"


@dataclass
class SeenRequest:
    method: str
    path: str
    status: int  # what the client was sent; 0 when the connection was dropped without answer
    fault: FaultKind | None


@dataclass
class FlakyS3Proxy:
    """An HTTP reverse proxy on 127.0.0.1 in front of moto_server that injects faults on demand.

    Faults are queued per HTTP method and used up in order; requests with no pending fault are
    forwarded untouched. Every request is recorded in `seen`.
    """

    upstream_port: int
    server: ThreadingHTTPServer = field(init=False)
    seen: list[SeenRequest] = field(default_factory=list)
    _faults: list[_Fault] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        proxy = self

        class Handler(_ProxyHandler):
            owner = proxy

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def pass_next(self, count: int, *, method: str = "PUT") -> None:
        """Forward the next `count` `method` requests untouched (to place a later fault)."""
        self._add(_Fault(method=method, remaining=count, kind="pass"))

    def fail_next(
        self, count: int, *, method: str = "PUT", status: int = 503, code: str = "SlowDown"
    ) -> None:
        """Answer the next `count` `method` requests with an S3 error document (not forwarded)."""
        self._add(_Fault(method=method, remaining=count, kind="error", status=status, code=code))

    def reset_next(self, count: int, *, method: str = "PUT") -> None:
        """Read the next `count` `method` requests, then close the connection without answering."""
        self._add(_Fault(method=method, remaining=count, kind="reset"))

    def truncate_next(self, count: int, *, method: str = "GET") -> None:
        """Forward, then send the full headers but only half the body and close the connection."""
        self._add(_Fault(method=method, remaining=count, kind="truncate"))

    def corrupt_next(self, count: int, *, method: str = "GET") -> None:
        """Forward, then flip the bits of the body's first byte (length and headers unchanged)."""
        self._add(_Fault(method=method, remaining=count, kind="corrupt"))

    def requests(self, method: str) -> list[SeenRequest]:
        with self._lock:
            return [request for request in self.seen if request.method == method]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _add(self, fault: _Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def _take_fault(self, method: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.method == method and fault.remaining > 0:
                    fault.remaining -= 1
                    return fault
        return None

    def _record(self, request: SeenRequest) -> None:
        with self._lock:
            self.seen.append(request)


@dataclass(frozen=True)
class _UpstreamAnswer:
    status: int
    headers: list[tuple[str, str]]
    declared_length: int
    body: bytes


class _ProxyHandler(BaseHTTPRequestHandler):
    owner: FlakyS3Proxy
    # HTTP/1.1 so `Expect: 100-continue` (botocore sends it for large PUTs) is answered at once;
    # every response still closes its connection, which keeps the proxy simple.
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._handle()

    def do_HEAD(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean; `seen` records the traffic

    def _handle(self) -> None:
        self.close_connection = True
        request_body = self._read_request_body()
        fault = self.owner._take_fault(self.command)
        if fault is not None and fault.kind == "error":
            self._send_error_document(fault)
            return
        if fault is not None and fault.kind == "reset":
            self.owner._record(SeenRequest(self.command, self.path, 0, "reset"))
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        upstream = self._forward(request_body)
        kind = fault.kind if fault is not None else None
        # Recorded before answering, so a test that has its answer always finds the record.
        self.owner._record(SeenRequest(self.command, self.path, upstream.status, kind))
        self.send_response(upstream.status)
        for name, value in upstream.headers:
            self.send_header(name, value)
        # A HEAD answer declares the object's length without sending it.
        declared_length = upstream.declared_length if self.command == "HEAD" else len(upstream.body)
        self.send_header("Content-Length", str(declared_length))
        self.send_header("Connection", "close")
        self.end_headers()
        body = upstream.body
        if kind == "corrupt" and body:
            body = bytes([body[0] ^ 0xFF]) + body[1:]
        if kind == "truncate":
            body = body[: len(body) // 2]
        if self.command != "HEAD":
            self.wfile.write(body)
        self.wfile.flush()

    def _read_request_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length", 0)))

    def _forward(self, request_body: bytes) -> _UpstreamAnswer:
        connection = http.client.HTTPConnection("127.0.0.1", self.owner.upstream_port, timeout=30)
        try:
            headers = {
                name: value
                for name, value in self.headers.items()
                if name.lower() not in _NOT_FORWARDED
            }
            headers["Content-Length"] = str(len(request_body))
            connection.request(self.command, self.path, body=request_body, headers=headers)
            response = connection.getresponse()
            body = response.read()
            return _UpstreamAnswer(
                status=response.status,
                headers=[
                    (name, value)
                    for name, value in response.getheaders()
                    if name.lower() not in _NOT_FORWARDED
                ],
                declared_length=int(response.getheader("Content-Length") or len(body)),
                body=body,
            )
        finally:
            connection.close()

    def _send_error_document(self, fault: _Fault) -> None:
        message = _ERROR_MESSAGES.get(fault.code, "Injected by the test proxy.")
        document = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{fault.code}</Code><Message>{message}</Message>"
            f"<RequestId>{uuid.uuid4().hex[:16]}</RequestId></Error>"
        ).encode()
        self.owner._record(SeenRequest(self.command, self.path, fault.status, "error"))
        self.send_response(fault.status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(0 if self.command == "HEAD" else len(document)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(document)


# --- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def moto_s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoS3Server]:
    """moto_server for the whole session, with dummy AWS settings in this process's environment.

    The environment is restored when the session ends; a test's own `monkeypatch` of these
    variables is undone after that test, back to the dummy values.
    """
    with pytest.MonkeyPatch.context() as environment:
        for name in UNSET_AWS_ENVIRONMENT:
            environment.delenv(name, raising=False)
        for name, value in DUMMY_AWS_ENVIRONMENT.items():
            environment.setenv(name, value)
        log_path = tmp_path_factory.mktemp("moto") / "moto_server.log"
        server = start_moto_server(log_path=log_path)
        try:
            yield server
        finally:
            stop_moto_server(server.process)


@pytest.fixture(scope="session")
def s3_endpoint_url(moto_s3: MotoS3Server) -> str:
    return moto_s3.endpoint_url


@pytest.fixture
def s3_bucket(moto_s3: MotoS3Server) -> str:
    """A new, empty bucket for this test (unique name, so tests cannot see each other's keys)."""
    return moto_s3.create_bucket()


@pytest.fixture
def flaky_s3(moto_s3: MotoS3Server) -> Iterator[FlakyS3Proxy]:
    proxy = FlakyS3Proxy(upstream_port=int(moto_s3.endpoint_url.rsplit(":", 1)[1]))
    try:
        yield proxy
    finally:
        proxy.close()
