"""A real production stack on loopback for the deploy check: Apache (TLS) in front of gunicorn.

`running_stack()` builds everything in a temporary folder — a certificate from a throwaway CA
in Let's Encrypt's layout, the Apache site files rendered from deploy/apache/ for high loopback
ports, a PostgreSQL database created and migrated for the run, the collected static files —
starts Apache with its own `-f` config (nothing in /etc is edited) and gunicorn in production
mode, and stops both by their PIDs and drops the database when the block ends, whatever happened
inside it.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from common.processes import (
    ServerFailed,
    free_ports,
    start_gunicorn,
    start_logged,
    stop_process,
    wait_for_http,
)
from deploy.apache_sites import SiteValues, render_template, write_sites
from raplyrics.env import redact_url

REPO = Path(__file__).resolve().parent.parent
LOOPBACK_SERVER_TEMPLATE = REPO / "deploy" / "apache" / "loopback-server.conf.tmpl"
APACHE_BINARY_CANDIDATES = ("/usr/sbin/apache2", "/usr/sbin/httpd")
APACHE_MODULE_DIR = Path("/usr/lib/apache2/modules")
# The server and database the check uses; another can be named with DEPLOY_CHECK_POSTGRES_URL.
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/postgres"
SERVER_NAME = "127.0.0.1"
SERVER_ALIASES = ("localhost",)
ADMIN_USERNAME = "deploy-check"
GENERATE_RATE_PER_MINUTE = 5
_MANAGE = (sys.executable, str(REPO / "manage.py"))
# The environment the site reads; the caller's values must not leak into the production run.
_SITE_ENV_PREFIXES = ("DJANGO_", "DATABASE_", "CELERY_", "RAPLYRICS_", "ARTIFACTS_", "GUNICORN_")


class StackUnavailable(Exception):
    """Something the check needs is not on this machine (apache2, openssl, PostgreSQL)."""


class StackFailed(Exception):
    """A step of building or starting the stack failed; the message names it and quotes its log."""


@dataclass(frozen=True)
class Stack:
    """Where the running stack answers and where its files and logs are."""

    work_dir: Path
    http_url: str
    https_url: str
    gunicorn_url: str
    ca_file: Path
    static_root: Path
    acme_webroot: Path
    gunicorn_access_log: Path
    apache_log_dir: Path
    admin_username: str
    admin_password: str


@dataclass(frozen=True)
class Prerequisites:
    apache_binary: Path
    module_dir: Path
    openssl: Path
    postgres_url: str


def find_prerequisites(*, postgres_url: str | None = None) -> Prerequisites:
    """What the check runs on, or StackUnavailable naming the first thing missing."""
    apache = next((Path(p) for p in APACHE_BINARY_CANDIDATES if os.access(p, os.X_OK)), None)
    if apache is None:
        raise StackUnavailable("apache2 is not installed (apt-get install apache2)")
    if not (APACHE_MODULE_DIR / "mod_proxy_http.so").exists():
        raise StackUnavailable(f"Apache's modules are not in {APACHE_MODULE_DIR}")
    openssl = shutil.which("openssl")
    if openssl is None:
        raise StackUnavailable("openssl is not installed (apt-get install openssl)")
    url = postgres_url or os.environ.get("DEPLOY_CHECK_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    _require_postgres(url)
    return Prerequisites(
        apache_binary=apache, module_dir=APACHE_MODULE_DIR, openssl=Path(openssl), postgres_url=url
    )


def _require_postgres(url: str) -> None:
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=3) as connection:
            connection.execute("SELECT 1")
    except psycopg.Error as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise StackUnavailable(
            f"PostgreSQL is not reachable at {redact_url(url)} ({reason}); the production path "
            "runs on PostgreSQL, so the check needs one (set DEPLOY_CHECK_POSTGRES_URL)"
        ) from None


@contextmanager
def running_stack(*, prerequisites: Prerequisites) -> Iterator[Stack]:
    """Build and start Apache + gunicorn on loopback; stop both and clean up on the way out."""
    with ExitStack() as cleanup:
        work_dir = Path(tempfile.mkdtemp(prefix="raplyrics-deploy-check-"))
        cleanup.callback(shutil.rmtree, work_dir, ignore_errors=True)
        # Apache's children run as www-data when started as root; they must read static files.
        work_dir.chmod(0o755)
        for sub in ("logs", "run", "sites", "static", "data"):
            (work_dir / sub).mkdir()

        http_port, https_port, gunicorn_port = free_ports(3)
        database_name = f"raplyrics_deploy_check_{os.getpid()}"
        database_url = create_database(
            admin_url=prerequisites.postgres_url, database_name=database_name
        )
        cleanup.callback(
            drop_database, admin_url=prerequisites.postgres_url, database_name=database_name
        )

        admin_password = secrets.token_urlsafe(18)
        env = production_env(
            database_url=database_url,
            static_root=work_dir / "static",
            data_dir=work_dir / "data",
            gunicorn_bind=f"127.0.0.1:{gunicorn_port}",
            gunicorn_access_log=work_dir / "logs" / "gunicorn-access.log",
        )
        log_dir = work_dir / "logs"
        migrate(env=env, log_dir=log_dir)
        # gunicorn loads the model before it answers (tens of seconds): start it first and prepare
        # the rest meanwhile.
        # gunicorn 27 opens a control socket, by default in ~/.gunicorn/ and shared by every
        # gunicorn of the user: the check keeps its own.
        gunicorn = start_gunicorn(
            env=env,
            log_file=log_dir / "gunicorn.log",
            extra_args=["--control-socket", str(work_dir / "run" / "gunicorn.ctl")],
        )
        # SIGQUIT: gunicorn's quick shutdown; nothing is in flight once the checks are done.
        cleanup.callback(stop_process, gunicorn, name="gunicorn", stop_signal=signal.SIGQUIT)
        collect_static_and_create_admin(env=env, log_dir=log_dir, admin_password=admin_password)

        letsencrypt_dir = work_dir / "letsencrypt"
        ca_file = make_certificates(
            openssl=prerequisites.openssl,
            work_dir=work_dir,
            live_dir=letsencrypt_dir / "live" / SERVER_NAME,
            names=(SERVER_NAME, *SERVER_ALIASES),
        )
        acme_webroot = work_dir / "acme"
        (acme_webroot / ".well-known" / "acme-challenge").mkdir(parents=True)
        site = SiteValues(
            server_name=SERVER_NAME,
            server_aliases=SERVER_ALIASES,
            static_root=work_dir / "static",
            http_port=http_port,
            https_port=https_port,
            upstream=f"127.0.0.1:{gunicorn_port}",
            letsencrypt_dir=letsencrypt_dir,
            acme_webroot=acme_webroot,
        )
        write_sites(site=site, out_dir=work_dir / "sites")
        server_conf = write_server_config(
            work_dir=work_dir,
            module_dir=prerequisites.module_dir,
            http_port=http_port,
            https_port=https_port,
        )
        apache = start_apache(
            apache_binary=prerequisites.apache_binary, server_conf=server_conf, log_dir=log_dir
        )
        cleanup.callback(stop_process, apache, name="apache2")

        gunicorn_url = f"http://127.0.0.1:{gunicorn_port}"
        try:
            wait_for_http(
                f"{gunicorn_url}/healthz",
                process=gunicorn,
                log_file=log_dir / "gunicorn.log",
                what="gunicorn",
            )
            wait_for_http(
                f"https://127.0.0.1:{https_port}/healthz",
                process=apache,
                log_file=log_dir / "error.log",
                what="Apache",
                verify=str(ca_file),
            )
        except ServerFailed as failure:
            raise StackFailed(str(failure)) from None
        yield Stack(
            work_dir=work_dir,
            http_url=f"http://127.0.0.1:{http_port}",
            https_url=f"https://127.0.0.1:{https_port}",
            gunicorn_url=gunicorn_url,
            ca_file=ca_file,
            static_root=work_dir / "static",
            acme_webroot=acme_webroot,
            gunicorn_access_log=work_dir / "logs" / "gunicorn-access.log",
            apache_log_dir=work_dir / "logs",
            admin_username=ADMIN_USERNAME,
            admin_password=admin_password,
        )


# --- the pieces ----------------------------------------------------------------------------------


def make_certificates(
    *, openssl: Path, work_dir: Path, live_dir: Path, names: tuple[str, ...]
) -> Path:
    """A throwaway CA and a certificate it signed, laid out as certbot lays out Let's Encrypt's:
    `live/<name>/fullchain.pem` (certificate, then issuer) and `privkey.pem`. Returns the CA,
    which clients trust so that TLS is verified for real, chain and host name included."""
    live_dir.mkdir(parents=True)
    ca_key, ca_file = work_dir / "check-ca.key", work_dir / "check-ca.pem"
    certificate = work_dir / "cert.pem"
    new_key = ["-nodes", "-days", "2", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
    _run(
        [str(openssl), "req", "-x509", *new_key, "-keyout", str(ca_key), "-out", str(ca_file),
         "-subj", "/CN=RapLyrics deploy check CA"],
        step="making the check's CA with openssl",
    )  # fmt: skip
    alt_names = ",".join(
        f"IP:{name}" if name.replace(".", "").isdigit() else f"DNS:{name}" for name in names
    )
    _run(
        [str(openssl), "req", "-x509", "-CA", str(ca_file), "-CAkey", str(ca_key), *new_key,
         "-keyout", str(live_dir / "privkey.pem"), "-out", str(certificate),
         "-subj", f"/CN={names[0]}", "-addext", f"subjectAltName={alt_names}",
         "-addext", "basicConstraints=critical,CA:FALSE"],
        step="making the site's certificate with openssl",
    )  # fmt: skip
    (live_dir / "fullchain.pem").write_bytes(certificate.read_bytes() + ca_file.read_bytes())
    return ca_file


def create_database(*, admin_url: str, database_name: str) -> str:
    """A fresh, empty database (a leftover of a killed run is replaced); returns its URL."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database_name))
        )
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database_name)))
    return urlunsplit(urlsplit(admin_url)._replace(path=f"/{database_name}"))


def drop_database(*, admin_url: str, database_name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database_name))
        )


def production_env(
    *,
    database_url: str,
    static_root: Path,
    data_dir: Path,
    gunicorn_bind: str,
    gunicorn_access_log: Path,
) -> dict[str, str]:
    """The process environment of a production install, pointed at the check's own folders."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(_SITE_ENV_PREFIXES)}
    return {
        **inherited,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": ",".join((SERVER_NAME, *SERVER_ALIASES)),
        "DATABASE_URL": database_url,
        "DJANGO_STATIC_ROOT": str(static_root),
        "RAPLYRICS_DATA_DIR": str(data_dir),
        "GUNICORN_BIND": gunicorn_bind,
        # One worker: the check needs one model in memory, not two.
        "GUNICORN_WORKERS": "1",
        "GUNICORN_ACCESS_LOG": str(gunicorn_access_log),
        # Low, so the check reaches the limit in a few requests (the deploy tests count on 5).
        "RAPLYRICS_GENERATE_RATE": f"{GENERATE_RATE_PER_MINUTE}/min",
        # The check never reaches the internet.
        "GENIUS_API_URL": "http://127.0.0.1:9",
        "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"),
        "PYTHONUNBUFFERED": "1",
    }


def migrate(*, env: dict[str, str], log_dir: Path) -> None:
    _run([*_MANAGE, "migrate", "--noinput"], step="manage.py migrate", env=env, log_dir=log_dir)


def collect_static_and_create_admin(
    *, env: dict[str, str], log_dir: Path, admin_password: str
) -> None:
    """collectstatic and an admin account, side by side (both only need the migrated database)."""
    _run_together(
        {
            "manage.py collectstatic": ([*_MANAGE, "collectstatic", "--noinput"], env),
            "manage.py createsuperuser": (
                [*_MANAGE, "createsuperuser", "--noinput", "--username", ADMIN_USERNAME,
                 "--email", "deploy-check@example.org"],
                {**env, "DJANGO_SUPERUSER_PASSWORD": admin_password},
            ),
        },
        log_dir=log_dir,
    )  # fmt: skip


def write_server_config(
    *, work_dir: Path, module_dir: Path, http_port: int, https_port: int
) -> Path:
    # As root Apache must be told whom its children run as; as anyone else it runs as itself.
    user_directives = "User www-data\nGroup www-data" if os.geteuid() == 0 else ""
    text = render_template(
        LOOPBACK_SERVER_TEMPLATE.read_text(),
        values={
            "work_dir": str(work_dir),
            "module_dir": str(module_dir),
            "user_directives": user_directives,
            "http_port": str(http_port),
            "https_port": str(https_port),
        },
    )
    path = work_dir / "apache2.conf"
    path.write_text(text)
    return path


def start_apache(
    *, apache_binary: Path, server_conf: Path, log_dir: Path
) -> subprocess.Popen[bytes]:
    command = [str(apache_binary), "-f", str(server_conf)]
    _run([*command, "-t"], step="apache2 -t (config test)", log_dir=log_dir)
    return start_logged([*command, "-DFOREGROUND"], log_file=log_dir / "apache2-foreground.log")


def _run(
    command: list[str],
    *,
    step: str,
    env: dict[str, str] | None = None,
    log_dir: Path | None = None,
    timeout_s: float = 180.0,
) -> None:
    started = time.monotonic()
    result = subprocess.run(
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout_s, check=False
    )
    if log_dir is not None:
        with (log_dir / "steps.log").open("a") as log:
            elapsed = time.monotonic() - started
            log.write(f"$ {' '.join(command)}  # {elapsed:.1f} s\n{result.stdout}{result.stderr}\n")
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip().splitlines()[-15:]
        raise StackFailed(f"{step} failed (exit {result.returncode})\n" + "\n".join(output))


def _run_together(
    steps: dict[str, tuple[list[str], dict[str, str]]], *, log_dir: Path, timeout_s: float = 180.0
) -> None:
    """Run the commands at the same time; fail naming the first that failed, after all ended."""
    started = time.monotonic()
    running = {
        step: subprocess.Popen(
            command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for step, (command, env) in steps.items()
    }
    failures = []
    for step, process in running.items():
        try:
            output, _ = process.communicate(
                timeout=max(1.0, timeout_s - (time.monotonic() - started))
            )
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        with (log_dir / "steps.log").open("a") as log:
            elapsed = time.monotonic() - started
            log.write(f"$ {' '.join(steps[step][0])}  # {elapsed:.1f} s\n{output}\n")
        if process.returncode != 0:
            tail = "\n".join(output.strip().splitlines()[-15:])
            failures.append(f"{step} failed (exit {process.returncode})\n{tail}")
    if failures:
        raise StackFailed(failures[0])
