"""`make bench`: run every benchmark script in bench/ in turn; each prints its own table.

A benchmark is a `bench/<name>.py` script that measures ours against the baseline its issue names,
in the same run, and prints a table with the ratio. Results are recorded in docs/benchmarks.md.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent


def main() -> int:
    scripts = sorted(p for p in BENCH_DIR.glob("*.py") if not p.name.startswith("_"))
    if not scripts:
        print("No benchmarks yet: bench/ holds no benchmark scripts.")
        return 0
    failed = []
    for script in scripts:
        print(f"\n== {script.stem} ==", flush=True)
        result = subprocess.run([sys.executable, str(script)], cwd=BENCH_DIR.parent)
        if result.returncode != 0:
            failed.append(script.stem)
    if failed:
        print(f"\nbenchmarks that failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
