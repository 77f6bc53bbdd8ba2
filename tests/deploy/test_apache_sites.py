"""Rendering deploy/apache/ for production and for the loopback check."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploy.apache_sites import SiteConfigError, SiteValues, main, render_sites, render_template

PRODUCTION = SiteValues(
    server_name="lyrics.example.org",
    server_aliases=("www.lyrics.example.org",),
    static_root=Path("/srv/raplyrics/staticfiles"),
)


def test_production_sites_use_the_standard_ports_and_lets_encrypt_paths() -> None:
    sites = render_sites(site=PRODUCTION)
    http, https = sites["raplyrics-http.conf"], sites["raplyrics-https.conf"]
    assert "<VirtualHost *:80>" in http
    assert "RewriteRule ^ https://%{SERVER_NAME}%{REQUEST_URI} [R=301,L,NE]" in http
    assert "<VirtualHost *:443>" in https
    assert "SSLCertificateFile /etc/letsencrypt/live/lyrics.example.org/fullchain.pem" in https
    assert "SSLCertificateKeyFile /etc/letsencrypt/live/lyrics.example.org/privkey.pem" in https
    assert "Alias /static/ /srv/raplyrics/staticfiles/" in https
    assert "ProxyPass / http://127.0.0.1:8000/" in https
    for text in (http, https):
        assert "ServerAlias www.lyrics.example.org" in text
        assert "{{" not in text


def test_a_high_https_port_is_kept_in_the_redirect() -> None:
    site = SiteValues(
        server_name="127.0.0.1", static_root=Path("/tmp/static"), http_port=8080, https_port=8443
    )
    http = render_sites(site=site)["raplyrics-http.conf"]
    assert "https://%{SERVER_NAME}:8443%{REQUEST_URI}" in http


def test_without_aliases_no_empty_directive_is_left() -> None:
    site = SiteValues(server_name="lyrics.example.org", static_root=Path("/srv/static"))
    for text in render_sites(site=site).values():
        assert "ServerAlias" not in text
        assert "\n    \n" not in text


@pytest.mark.parametrize(
    ("site", "message"),
    [
        (SiteValues(server_name="bad host", static_root=Path("/s")), "'bad host' is not a host"),
        (SiteValues(server_name="a.org", static_root=Path("rel/static")), "must be an absolute"),
        (SiteValues(server_name="a.org", static_root=Path("/s"), https_port=0), "out of range"),
    ],
)
def test_it_refuses_values_that_would_break_the_config(site: SiteValues, message: str) -> None:
    with pytest.raises(SiteConfigError, match=message):
        render_sites(site=site)


def test_a_placeholder_without_a_value_is_an_error_not_a_blank() -> None:
    with pytest.raises(SiteConfigError, match="no value for static_root"):
        render_template("Alias /static/ {{ static_root }}/", values={})


def test_the_command_writes_both_sites(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["--server-name", "lyrics.example.org", "--out-dir", str(tmp_path)])
    assert status == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "raplyrics-http.conf",
        "raplyrics-https.conf",
    ]
    assert capsys.readouterr().out.splitlines() == [
        str(tmp_path / "raplyrics-http.conf"),
        str(tmp_path / "raplyrics-https.conf"),
    ]


def test_the_command_says_what_is_wrong_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["--server-name", "no spaces allowed", "--out-dir", "/tmp/unused"])
    assert status == 1
    assert capsys.readouterr().err == "error: 'no spaces allowed' is not a host name\n"
