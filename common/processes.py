"""Servers started for a while and stopped again: gunicorn (the deploy check, live tests, the
serving benchmark), Apache, moto_server. Start one with its output in a log, wait until it is
ready (or say why not, quoting its log), stop it by the PID we started — never by name.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parent.parent


class ServerFailed(Exception):
    """A server exited or did not become ready in time; the message quotes its log's end."""


def free_ports(count: int, *, host: str = "127.0.0.1") -> list[int]:
    """`count` distinct ports free on `host` now (another process may take one before use)."""
    sockets = []
    try:
        for _ in range(count):
            probe = socket.socket()
            probe.bind((host, 0))
            sockets.append(probe)
        return [int(probe.getsockname()[1]) for probe in sockets]
    finally:
        for probe in sockets:
            probe.close()


def free_port(*, host: str = "127.0.0.1") -> int:
    return free_ports(1, host=host)[0]


def start_logged(
    command: Sequence[str],
    *,
    log_file: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path = REPO,
) -> subprocess.Popen[bytes]:
    """Start `command` with its stdout and stderr appended to `log_file`."""
    with Path(log_file).open("ab") as log:
        return subprocess.Popen(
            list(command),
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def wait_until(
    ready: Callable[[], bool],
    *,
    process: subprocess.Popen[bytes],
    log_file: Path,
    what: str,
    timeout_s: float,
    poll_s: float = 0.2,
) -> None:
    """Return once `ready()` holds; ServerFailed if the process exits or time runs out."""
    deadline = time.monotonic() + timeout_s
    while True:
        if process.poll() is not None:
            raise ServerFailed(
                f"{what} exited with status {process.returncode}\n{log_tail(log_file)}"
            )
        if ready():
            return
        if time.monotonic() >= deadline:
            raise ServerFailed(f"{what} was not ready in {timeout_s:.0f} s\n{log_tail(log_file)}")
        time.sleep(poll_s)


def wait_for_http(
    url: str,
    *,
    process: subprocess.Popen[bytes],
    log_file: Path,
    what: str,
    timeout_s: float = 90.0,
    verify: str | bool = True,
) -> None:
    """Return once `url` answers 200 (redirects not followed)."""
    session = loopback_session()
    last_error = ["no answer yet"]

    def answers() -> bool:
        try:
            response = session.get(url, timeout=5, verify=verify, allow_redirects=False)
        except requests.RequestException as error:
            last_error[0] = type(error).__name__
            return False
        last_error[0] = f"HTTP {response.status_code}"
        return response.status_code == 200

    try:
        wait_until(answers, process=process, log_file=log_file, what=what, timeout_s=timeout_s)
    except ServerFailed as failure:
        raise ServerFailed(f"{failure} (last answer from {url}: {last_error[0]})") from None


def stop_process(
    process: subprocess.Popen[bytes],
    *,
    name: str,
    stop_signal: signal.Signals = signal.SIGTERM,
    grace_s: float = 15.0,
) -> None:
    """`stop_signal` to the PID we started, SIGKILL if it lingers past `grace_s`."""
    if process.poll() is not None:
        return
    process.send_signal(stop_signal)
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        print(f"{name} (pid {process.pid}) ignored {stop_signal.name}; killing it", file=sys.stderr)
        process.kill()
        process.wait(timeout=5)


def log_tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"(no log at {path})"


def loopback_session() -> requests.Session:
    session = requests.Session()
    # Only loopback is spoken to: no proxy from the environment, and no CA bundle from it either
    # (REQUESTS_CA_BUNDLE would silently replace a session's own `verify`).
    session.trust_env = False
    return session


# -- gunicorn ------------------------------------------------------------------------------------


def start_gunicorn(
    *, env: Mapping[str, str], log_file: Path, extra_args: Sequence[str] = ()
) -> subprocess.Popen[bytes]:
    """gunicorn with the project's gunicorn.conf.py serving raplyrics.wsgi, as the systemd unit
    starts it; where and how many workers come from `env` (GUNICORN_BIND, GUNICORN_WORKERS)."""
    command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", *extra_args]
    return start_logged([*command, "raplyrics.wsgi"], log_file=log_file, env=env)


def wait_for_gunicorn_workers(
    process: subprocess.Popen[bytes], *, log_file: Path, workers: int, timeout_s: float
) -> None:
    """Return once every worker has warmed the model (gunicorn.conf.py's post_worker_init logs
    "worker ready")."""
    wait_until(
        lambda: Path(log_file).read_text(errors="replace").count("worker ready") >= workers,
        process=process,
        log_file=log_file,
        what="gunicorn",
        timeout_s=timeout_s,
        poll_s=0.5,
    )


def migrate(*, env: Mapping[str, str], timeout_s: float = 180.0) -> None:
    """`manage.py migrate` for the database `env` names (a fresh SQLite file, usually)."""
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=REPO,
        env=dict(env),
        check=True,
        timeout=timeout_s,
    )


def worker_pids(master_pid: int) -> list[int]:
    """The child processes of a server's master (Linux /proc)."""
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []
