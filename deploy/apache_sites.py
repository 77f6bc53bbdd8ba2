"""The Apache site templates of deploy/apache/ and how to fill them in.

The same templates serve production (ports 80/443, Let's Encrypt certificates under /etc) and the
deploy check (loopback high ports, a throwaway certificate in a temporary folder), so what the
check proves is what production runs. Usage on a server (docs/deploy.md):

    python -m deploy.apache_sites --server-name lyrics.example.org \
        --out-dir /etc/apache2/sites-available
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from common.files import write_bytes_atomically

TEMPLATE_DIR = Path(__file__).resolve().parent / "apache"
# Template file name -> rendered site file name.
SITE_FILES = {
    "raplyrics-http.conf.tmpl": "raplyrics-http.conf",
    "raplyrics-https.conf.tmpl": "raplyrics-https.conf",
}
_PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")
_HOST_NAME = re.compile(r"^[A-Za-z0-9.-]+$")


class SiteConfigError(Exception):
    """A value cannot go into the Apache config; the message says which and why."""


@dataclass(frozen=True)
class SiteValues:
    """Everything that differs between one installation of the site and another."""

    server_name: str
    static_root: Path
    server_aliases: tuple[str, ...] = ()
    http_port: int = 80
    https_port: int = 443
    upstream: str = "127.0.0.1:8000"
    letsencrypt_dir: Path = Path("/etc/letsencrypt")
    acme_webroot: Path = Path("/var/www/letsencrypt")

    def placeholders(self) -> dict[str, str]:
        for name in (self.server_name, *self.server_aliases):
            if not _HOST_NAME.match(name):
                raise SiteConfigError(f"{name!r} is not a host name")
        for port in (self.http_port, self.https_port):
            if not 0 < port < 65536:
                raise SiteConfigError(f"port {port} is out of range")
        for path in (self.static_root, self.letsencrypt_dir, self.acme_webroot):
            if not path.is_absolute() or any(c.isspace() or c == '"' for c in str(path)):
                raise SiteConfigError(f"{path} must be an absolute path without spaces or quotes")
        # certbot names the folder after the first domain it was given: the server name.
        live = self.letsencrypt_dir / "live" / self.server_name
        return {
            "server_name": self.server_name,
            "server_alias_directive": (
                f"ServerAlias {' '.join(self.server_aliases)}" if self.server_aliases else ""
            ),
            "http_port": str(self.http_port),
            "https_port": str(self.https_port),
            "https_port_suffix": "" if self.https_port == 443 else f":{self.https_port}",
            "upstream": self.upstream,
            "static_root": str(self.static_root),
            "acme_webroot": str(self.acme_webroot),
            "certificate_file": str(live / "fullchain.pem"),
            "certificate_key_file": str(live / "privkey.pem"),
        }


def render_template(template_text: str, *, values: dict[str, str]) -> str:
    """The template with every `{{name}}` filled; a name with no value is an error, not a blank."""
    missing = sorted({m.group(1) for m in _PLACEHOLDER.finditer(template_text)} - values.keys())
    if missing:
        raise SiteConfigError(f"no value for {', '.join(missing)}")
    rendered = _PLACEHOLDER.sub(lambda m: values[m.group(1)], template_text)
    # An empty optional directive leaves a line of spaces; drop it rather than ship it.
    return re.sub(r"\n[ \t]+\n", "\n", rendered)


def render_sites(*, site: SiteValues) -> dict[str, str]:
    """Rendered site file name -> its text, for every template in deploy/apache/."""
    values = site.placeholders()
    return {
        site_name: render_template((TEMPLATE_DIR / template_name).read_text(), values=values)
        for template_name, site_name in SITE_FILES.items()
    }


def write_sites(*, site: SiteValues, out_dir: Path) -> list[Path]:
    """Render the sites into out_dir, each file written atomically; returns the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render_sites(site=site).items():
        target = out_dir / name
        write_bytes_atomically(target, text.encode("utf-8"))
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m deploy.apache_sites",
        description="Render RapLyrics' Apache site configs (deploy/apache/*.tmpl).",
    )
    parser.add_argument("--server-name", required=True, help="e.g. lyrics.example.org")
    parser.add_argument("--alias", action="append", default=[], help="another host name")
    parser.add_argument("--static-root", type=Path, default=Path("/srv/raplyrics/staticfiles"))
    parser.add_argument("--upstream", default="127.0.0.1:8000", help="gunicorn's address")
    parser.add_argument("--letsencrypt-dir", type=Path, default=Path("/etc/letsencrypt"))
    parser.add_argument("--acme-webroot", type=Path, default=Path("/var/www/letsencrypt"))
    parser.add_argument(
        "--out-dir", type=Path, required=True, help="e.g. /etc/apache2/sites-available"
    )
    args = parser.parse_args(argv)
    site = SiteValues(
        server_name=args.server_name,
        server_aliases=tuple(args.alias),
        static_root=args.static_root,
        upstream=args.upstream,
        letsencrypt_dir=args.letsencrypt_dir,
        acme_webroot=args.acme_webroot,
    )
    try:
        written = write_sites(site=site, out_dir=args.out_dir)
    except (SiteConfigError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
