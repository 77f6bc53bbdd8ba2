"""`make deploy-check`: the production path, end to end, on this machine.

Builds a loopback copy of production (deploy.stack: Apache with TLS in front of gunicorn, a fresh
PostgreSQL database), runs every HTTP check (deploy.checks) against it, prints one line per check
and stops everything it started. Exit status 0 when every check passed, 1 otherwise — including
when something it needs (apache2, openssl, PostgreSQL) is missing, which it names.
"""

from __future__ import annotations

import argparse
import sys
import time

from deploy.checks import CHECKS, log_tails, run_checks
from deploy.stack import StackFailed, StackUnavailable, find_prerequisites, running_stack


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.check", description=__doc__)
    parser.add_argument(
        "--only",
        action="append",
        choices=list(CHECKS),
        metavar="CHECK",
        help="run only this check (repeatable); the names are those the report prints",
    )
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        prerequisites = find_prerequisites()
    except StackUnavailable as reason:
        print(f"deploy check: cannot run: {reason}", file=sys.stderr)
        return 1
    print(
        f"deploy check: starting {prerequisites.apache_binary} and gunicorn on loopback "
        "(loading the model takes a while)",
        flush=True,
    )
    try:
        with running_stack(prerequisites=prerequisites) as stack:
            print(f"deploy check: up in {time.monotonic() - started:.0f} s", flush=True)
            outcomes = run_checks(stack=stack, only=args.only)
            for outcome in outcomes:
                mark = "PASS" if outcome.passed else "FAIL"
                print(f"{mark}  {outcome.name}: {outcome.detail}", flush=True)
            failed = [outcome for outcome in outcomes if not outcome.passed]
            if failed:
                for name, tail in log_tails(stack=stack).items():
                    print(f"--- {name} (last lines)\n{tail}", file=sys.stderr)
    except StackFailed as failure:
        print(f"deploy check: the stack did not start: {failure}", file=sys.stderr)
        return 1
    elapsed = time.monotonic() - started
    print(f"deploy check: {len(outcomes) - len(failed)}/{len(outcomes)} passed in {elapsed:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
