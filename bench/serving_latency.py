"""End-to-end serving: the default request through a real gunicorn (the project's config).

Measures, for each serving engine in the same run (RAPLYRICS_SERVING_ENGINE: `keras`, the
compiled window re-run that served before issue 15, as the baseline; `numpy`, the exact
one-step engine in NumPy; `xla`, the same engine with its step compiled by JAX):
latency p50/p95 of the default 5-line request (one client, sequential), requests/s and p95 with
8 concurrent clients, the time to the first streamed line (/api/generate/stream, one client),
memory per worker (resident, and proportional: shared library pages split among the workers)
and the workers' start time (gunicorn start until every worker has warmed its model; for xla
twice: with JAX's compilation cache empty, then filled, as after a restart). Targets (issue
15): p50 <= 150 ms, >= 2.5x the baseline's requests/s with p95 <= 1 s, first line <= 150 ms,
<= 400 MiB per worker. The overload row (issue 14): 32 clients at once, each sending the
heaviest request (16 lines x 16 candidates) with a 65 s client time-out, against the last engine:
no time-outs, every refused request a 503 with Retry-After, p95 of the served ones against the
same request alone.
The served model is the active version of the data dir given (`make run` prepares the demo
model in var/), else textgenrnn's pretrained model.

    .venv/bin/python -m bench.serving_latency [--data-dir var] [--requests 20] [--json out.json]
        [--engines keras,numpy,xla,xla:2,xla:1:1] [--no-overload]
        # xla:2: two XLA threads a worker; xla:1:1: one thread, one lane (the default: 1, 2)
    .venv/bin/python -m bench.serving_latency --overload-only    # just the overload row
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import requests

from common.processes import (
    ServerFailed,
    free_port,
    migrate,
    start_gunicorn,
    stop_process,
    wait_for_gunicorn_workers,
    worker_pids,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
PREFIXES = ["Late night on the avenue", "I came up from the bottom", "", "Money talk", "Yeah"]


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _pss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _start(
    data_dir: Path, log_path: Path, workers: int, engine: str, xla_cache: Path
) -> tuple[subprocess.Popen[bytes], str, float]:
    """gunicorn serving with this engine; (process, base URL, seconds until workers warmed)."""
    port = free_port()
    # "xla:2": the xla engine on two XLA threads; "xla:1:1": one thread, one lane.
    name, _, tuning = engine.partition(":")
    threads, _, lanes = tuning.partition(":")
    env = {
        **os.environ,
        **({"RAPLYRICS_COMPUTE_THREADS": threads} if threads else {}),
        **({"RAPLYRICS_ENGINE_LANES": lanes} if lanes else {}),
        "RAPLYRICS_SERVING_ENGINE": name,
        "DJANGO_DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{data_dir / 'db.sqlite3'}",
        "RAPLYRICS_DATA_DIR": str(data_dir),
        "ARTIFACTS_DIR": str(data_dir / "artifacts"),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": str(workers),
        "GUNICORN_ACCESS_LOG": "/dev/null",
        "RAPLYRICS_GENERATE_RATE": "100000/min",  # the bench measures speed, not the throttle
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "RAPLYRICS_XLA_CACHE_DIR": str(xla_cache),
    }
    migrate(env=env)
    started = time.perf_counter()
    server = start_gunicorn(env=env, log_file=log_path)
    try:
        wait_for_gunicorn_workers(server, log_file=log_path, workers=workers, timeout_s=300)
    except ServerFailed as failure:
        stop_process(server, name="gunicorn")
        raise SystemExit(f"gunicorn did not start: {failure}") from None
    return server, f"http://127.0.0.1:{port}", time.perf_counter() - started


def _generate(session: requests.Session, base: str, index: int) -> float:
    started = time.perf_counter()
    response = session.post(
        f"{base}/api/generate", json={"prefix": PREFIXES[index % len(PREFIXES)]}, timeout=120
    )
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    return elapsed


def _first_line(session: requests.Session, base: str, index: int) -> float:
    """Seconds until the first line of the streamed verse arrives."""
    started = time.perf_counter()
    with session.post(
        f"{base}/api/generate/stream",
        json={"prefix": PREFIXES[index % len(PREFIXES)]},
        timeout=120,
        stream=True,
    ) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            if line:
                return time.perf_counter() - started
    raise SystemExit("the stream ended without a line")


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes (all their threads), from /proc."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / os.sysconf("SC_CLK_TCK")


def measure(
    base: str, *, sequential: int, concurrent_clients: int, workers: list[int]
) -> dict[str, Any]:
    session = requests.Session()
    _generate(session, base, 0)  # one request so each shape has been seen once
    latencies = sorted(_generate(session, base, i) for i in range(sequential))
    first_lines = [_first_line(session, base, i) for i in range(max(3, sequential // 2))]

    done: list[float] = []
    lock = threading.Lock()

    def client(number: int) -> None:
        own = requests.Session()
        for i in range(max(2, sequential // concurrent_clients)):
            elapsed = _generate(own, base, number + i)
            with lock:
                done.append(elapsed)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(concurrent_clients)]
    cpu_before = _cpu_seconds(workers)
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    cpu = _cpu_seconds(workers) - cpu_before
    return {
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": _p95(latencies) * 1000,
        "first_line_p50_ms": statistics.median(first_lines) * 1000,
        "sequential_requests": len(latencies),
        "concurrent_clients": concurrent_clients,
        "concurrent_requests": len(done),
        "requests_per_second": len(done) / wall,
        # Fair on a shared machine: requests per CPU-second the workers spent.
        "requests_per_cpu_second": len(done) / cpu if cpu else float("nan"),
        "concurrent_p50_ms": statistics.median(done) * 1000,
        "concurrent_p95_ms": _p95(done) * 1000,
    }


HEAVIEST = {"prefix": "Late night on the avenue", "lines": 16, "candidates": 16}
CLIENT_TIMEOUT_S = 65


def _heavy(base: str) -> tuple[str, float, requests.Response | None]:
    started = time.perf_counter()
    try:
        response = requests.post(f"{base}/api/generate", json=HEAVIEST, timeout=CLIENT_TIMEOUT_S)
    except requests.Timeout:
        return "timeout", time.perf_counter() - started, None
    return str(response.status_code), time.perf_counter() - started, response


def measure_overload(base: str, *, clients: int = 32) -> dict[str, Any]:
    """The heaviest request alone (the baseline), then `clients` of it at once."""
    alone = []
    for _ in range(2):
        outcome, elapsed, _response = _heavy(base)
        if outcome == "200":
            alone.append(elapsed)
    outcomes: list[tuple[str, float, bool]] = []
    lock = threading.Lock()
    start = threading.Barrier(clients)

    def client() -> None:
        start.wait()
        outcome, elapsed, response = _heavy(base)
        retry_after = response is not None and bool(response.headers.get("Retry-After"))
        with lock:
            outcomes.append((outcome, elapsed, retry_after))

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    served = sorted(elapsed for outcome, elapsed, _ in outcomes if outcome == "200")
    refused = [(elapsed, retry) for outcome, elapsed, retry in outcomes if outcome == "503"]
    p95 = served[min(len(served) - 1, round(0.95 * (len(served) - 1)))] if served else None
    alone_s = statistics.median(alone) if alone else None
    return {
        "clients": clients,
        "alone_ms": alone_s * 1000 if alone_s else None,
        "served": len(served),
        "refused_503": len(refused),
        "refused_with_retry_after": sum(1 for _, retry in refused if retry),
        "refused_p95_ms": sorted(e for e, _ in refused)[-1] * 1000 if refused else None,
        "timeouts": sum(1 for outcome, _, _ in outcomes if outcome == "timeout"),
        "other": sorted(outcome for outcome, _, _ in outcomes if outcome not in ("200", "503")),
        "served_p95_ms": p95 * 1000 if p95 is not None else None,
        "served_p95_vs_alone": p95 / alone_s if p95 is not None and alone_s else None,
    }


def _print_overload(row: dict[str, Any]) -> None:
    print(f"overload: {row['clients']} clients at once, 16 lines x 16 candidates each")
    print(f"{'the same request alone (baseline)':<40} {row['alone_ms'] or float('nan'):>10.0f} ms")
    print(f"{'served':<40} {row['served']:>12}")
    print(
        f"{'refused 503 (with Retry-After)':<40} "
        f"{row['refused_503']:>6} ({row['refused_with_retry_after']})"
    )
    print(f"{'slowest refusal':<40} {row['refused_p95_ms'] or float('nan'):>10.0f} ms")
    print(f"{'client time-outs (65 s)':<40} {row['timeouts']:>12}")
    print(f"{'other answers':<40} {', '.join(row['other']) or 'none':>12}")
    print(f"{'served p95':<40} {row['served_p95_ms'] or float('nan'):>10.0f} ms")
    ratio = row["served_p95_vs_alone"]
    print(f"{'served p95 / alone':<40} {ratio if ratio else float('nan'):>11.2f}x")


def serve_and_measure(
    args: argparse.Namespace, engine: str, *, overload: bool = False
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as scratch:
        data_dir = args.data_dir if (args.data_dir / "db.sqlite3").exists() else Path(scratch)
        log, cache = Path(scratch) / "gunicorn.log", Path(scratch) / "xla-cache"
        cold_start_s = None
        if engine.startswith("xla"):  # once with an empty compilation cache, then with it filled
            cold_log = Path(scratch) / "gunicorn-cold.log"  # readiness is read from the log
            server, base, cold_start_s = _start(data_dir, cold_log, args.workers, engine, cache)
            stop_process(server, name="gunicorn", grace_s=60)
        server, base, start_s = _start(data_dir, log, args.workers, engine, cache)
        try:
            model = requests.get(f"{base}/api/models", timeout=30).json()
            active = next(m["name"] for m in model["models"] if m["active"])
            if overload:
                results_overload = measure_overload(base, clients=args.overload_clients)
                if args.overload_only:
                    return {"engine": engine, "model": active, "overload": results_overload}
            results = measure(
                base,
                sequential=args.requests,
                concurrent_clients=args.clients,
                workers=worker_pids(server.pid),
            )
            results["worker_rss_mib"] = [round(_rss_mib(pid), 1) for pid in worker_pids(server.pid)]
            results["worker_pss_mib"] = [round(_pss_mib(pid), 1) for pid in worker_pids(server.pid)]
            results["start_s"] = start_s
            results["cold_start_s"] = cold_start_s
            results["model"] = active
            results["engine"] = engine
            if overload:
                results["overload"] = results_overload
            results["workers"] = args.workers
            results["load_average"] = os.getloadavg()
        finally:
            stop_process(server, name="gunicorn", grace_s=60)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=REPO_ROOT / "var")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--engines",
        default="keras,numpy,xla",
        help="baseline first; ENGINE:N runs it with N XLA threads a worker (default: "
        "gunicorn.conf.py's, 1), e.g. xla:2; ENGINE:N:L also with L lanes (default 2), "
        "e.g. xla:1:1",
    )
    parser.add_argument("--no-overload", action="store_true", help="skip the overload row")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--overload-clients", type=int, default=32)
    parser.add_argument("--overload-only", action="store_true")
    args = parser.parse_args()

    engines = args.engines.split(",")
    if args.overload_only:
        row = serve_and_measure(args, engines[-1], overload=True)
        _print_overload(row["overload"])
        if args.json:
            args.json.write_text(json.dumps(row, indent=2))
        return
    runs = [
        serve_and_measure(args, engine, overload=engine == engines[-1] and not args.no_overload)
        for engine in engines
    ]
    base = runs[0]
    print(
        f"default request (5 lines, the API's default candidates) through gunicorn "
        f"({args.workers} workers), "
        f"model: {base['model']}; load average at the end {os.getloadavg()[0]:.2f} "
        f"on {os.cpu_count()} CPUs"
    )
    # Latencies: a ratio below 1 is better; requests/s: above 1.
    rows = [
        ("latency p50, 1 client (ms)", "p50_ms", "{:.0f}"),
        ("latency p95, 1 client (ms)", "p95_ms", "{:.0f}"),
        ("first streamed line p50 (ms)", "first_line_p50_ms", "{:.0f}"),
        (f"requests/s, {args.clients} clients", "requests_per_second", "{:.2f}"),
        (f"latency p95, {args.clients} clients (ms)", "concurrent_p95_ms", "{:.0f}"),
        (f"requests per worker CPU-s, {args.clients} cl.", "requests_per_cpu_second", "{:.2f}"),
    ]
    # Ratios: every engine against the baseline, and the last against the one before it.
    pairs = [(run, base) for run in runs[1:]]
    if len(runs) > 2:
        pairs.append((runs[-1], runs[-2]))
    # Every column starts with a space, so long engine names (xla:1:2) stay apart.
    labels = "".join(f" {a['engine'] + '/' + b['engine']:>12}" for a, b in pairs)
    print(f"{'measure':<34}" + "".join(f" {run['engine']:>11}" for run in runs) + labels)
    for label, key, form in rows:
        values = "".join(f" {form.format(run[key]):>11}" for run in runs)
        ratios = "".join(
            f" {(a[key] / b[key] if b[key] else float('nan')):>11.2f}x" for a, b in pairs
        )
        print(f"{label:<34}{values}{ratios}")
    for label, key in (("RSS", "worker_rss_mib"), ("PSS", "worker_pss_mib")):
        memory = "".join(f"{max(run[key] or [0]):>12.0f}" for run in runs)
        print(f"{f'{label} per worker, largest (MiB)':<34}{memory}")
    starts = "".join(f"{run['start_s']:>12.1f}" for run in runs)
    print(f"{'workers started and warm (s)':<34}{starts}")
    for run in runs:
        if run.get("cold_start_s") is not None:
            print(f"{run['engine']}: with an empty compilation cache {run['cold_start_s']:.1f} s")
    if "overload" in runs[-1]:
        print()
        print(f"engine: {runs[-1]['engine']}")
        _print_overload(runs[-1]["overload"])
    if args.json:
        args.json.write_text(json.dumps(runs, indent=2))


if __name__ == "__main__":
    main()
