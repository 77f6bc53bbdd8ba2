#!/bin/sh
# manage.py as production runs it: as the raplyrics user, with the services' environment file.
#   /srv/raplyrics/app/deploy/manage.sh migrate      (as root)
# RAPLYRICS_ENV_FILE and RAPLYRICS_USER change which file is read and who runs the command.
set -eu
env_file=${RAPLYRICS_ENV_FILE:-/etc/raplyrics/raplyrics.env}
run_as=${RAPLYRICS_USER:-raplyrics}
app_dir=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -r "$env_file" ]; then
    echo "manage.sh: cannot read $env_file (run it as root; see docs/deploy.md)" >&2
    exit 1
fi
# Nothing of the caller's environment, only the file's KEY=value lines, as systemd does. The
# values are plain words (the env file says so), so splitting them is safe.
# shellcheck disable=SC2046
set -- env -i PATH=/usr/bin:/bin LANG=C.UTF-8 \
    $(grep -E '^[A-Z_][A-Z0-9_]*=' "$env_file") \
    "$app_dir/.venv/bin/python" "$app_dir/manage.py" "$@"
if [ "$(id -un)" = "$run_as" ]; then
    exec "$@"
fi
# runuser (util-linux) is on every Debian/Ubuntu; sudo may not be.
exec runuser -u "$run_as" -- "$@"
