"""The web worker's engine: the exact engine (compiled by XLA by default, or NumPy), no TensorFlow,
bounded, and one error shape when full."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, override_settings

from generator import serving
from generator.ml.batching import StreamScheduler
from generator.ml.streams import SamplingControls, StreamRequest

REPO = Path(__file__).resolve().parents[2]
WORKER_MEMORY_LIMIT_MIB = 400

# Runs in a fresh interpreter: Django, the URLconf, the API view, the served model, a request.
_WORKER_SCRIPT = r"""
import json, os, sys
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
import raplyrics.wsgi
from django.test import Client
body = {"prefix": "Out the window", "lines": 2, "candidates": 4, "seed": 3}
response = Client().post("/api/generate", json.dumps(body), content_type="application/json")
heavy = sorted({m.split(".")[0] for m in sys.modules} & {"tensorflow", "keras", "torch"})
from generator import serving
print(json.dumps({
    "backend": serving.served_model().sampler.engine.backend,
    "lanes": serving.served_model().sampler.engine.lanes,
    "jax_loaded": "jax" in sys.modules,
    "status": response.status_code,
    "lines": response.json().get("lines"),
    "heavy_modules": heavy,
    # VmHWM: this process's peak RSS (getrusage's ru_maxrss would include the forking parent's).
    "max_rss_mib": [int(row.split()[1]) for row in open("/proc/self/status")
                    if row.startswith("VmHWM:")][0] / 1024,
}))
"""


def _run_worker(env: dict[str, str]) -> dict[str, object]:
    completed = subprocess.run(
        [sys.executable, "-c", _WORKER_SCRIPT],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    report: dict[str, object] = json.loads(completed.stdout.strip().splitlines()[-1])
    assert report["status"] == 200
    assert len(report["lines"]) == 2  # type: ignore[arg-type]
    assert report["heavy_modules"] == []
    return report


def _worker_env(tmp_path: Path, engine: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "raplyrics.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "RAPLYRICS_DATA_DIR": str(tmp_path),
        "ARTIFACTS_DIR": str(tmp_path / "artifacts"),
    }
    env.pop("RAPLYRICS_XLA_CACHE_DIR", None)
    if engine == "default":
        env.pop("RAPLYRICS_SERVING_ENGINE", None)
    else:
        env["RAPLYRICS_SERVING_ENGINE"] = engine
    return env


def test_a_numpy_worker_generates_without_tensorflow_or_jax_in_little_memory(
    tmp_path: Path,
) -> None:
    report = _run_worker(_worker_env(tmp_path, "numpy"))
    assert report["backend"] == "numpy"
    assert report["jax_loaded"] is False
    assert report["max_rss_mib"] < WORKER_MEMORY_LIMIT_MIB  # type: ignore[operator]


def test_the_default_worker_compiles_with_jax_without_tensorflow_in_little_memory(
    tmp_path: Path,
) -> None:
    env = _worker_env(tmp_path, "default")
    # The first worker after an install compiles the engine's programs into the data dir's
    # cache (its peak includes the compiler's, about 80 MiB: see docs/benchmarks.md); every
    # worker after it loads them, and that is the worker a site runs.
    first = _run_worker(env)
    assert first["backend"] == "xla"
    assert first["lanes"] == 2  # StreamBatch's lanes: one steps while the other draws
    assert first["jax_loaded"] is True
    assert any((tmp_path / "xla-cache").iterdir())
    later = _run_worker(env)
    assert later["max_rss_mib"] < WORKER_MEMORY_LIMIT_MIB  # type: ignore[operator]


@override_settings(ENGINE_LANES=1)
def test_the_lanes_setting_reaches_the_compiled_engine() -> None:
    from generator.ml.weight_files import pretrained_files

    scheduler = serving.sampler_for(pretrained_files())
    assert isinstance(scheduler, StreamScheduler)
    assert (scheduler.engine.backend, scheduler.engine.lanes) == ("xla", 1)
    scheduler.close()


def test_a_compilation_cache_folder_that_cannot_be_made_costs_only_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from generator.ml.weight_files import pretrained_files

    blocked = tmp_path / "a-file" / "xla-cache"
    blocked.parent.write_text("not a folder")
    with override_settings(XLA_CACHE_DIR=blocked, ENGINE_LANES=1):
        scheduler = serving.sampler_for(pretrained_files())
    try:
        assert isinstance(scheduler, StreamScheduler)
        assert scheduler.engine.backend == "xla"
    finally:
        scheduler.close()
    assert f"no XLA compilation cache: {blocked} cannot be created (Not a directory)" in (
        caplog.text
    )


@pytest.mark.django_db
# A generous time limit: on a loaded machine the /apiUS request after the busy one may be slow,
# and only the 503 for a full worker is under test here.
# The limit leaves room for the default request's candidates once the busy streams are gone.
@override_settings(ENGINE_MAX_STREAMS=10, ENGINE_RETRY_AFTER_S=4, GENERATION_TIME_LIMIT_S=120)
def test_a_busy_worker_answers_503_with_retry_after_in_the_one_error_shape(
    client: Client,
) -> None:
    scheduler = serving.served_model().sampler
    assert isinstance(scheduler, StreamScheduler)
    # Another request's streams fill the worker: greedy from this prefix never draws `<s>`.
    context = scheduler.context_for(tuple(scheduler.vocabulary.encode("Never stop")))
    controls = SamplingControls(temperature=(0.0,), max_chars=2048)
    busy = scheduler.submit(
        [StreamRequest(context_ids=context, seed=i, controls=controls) for i in range(8)]
    )
    try:
        response = client.post(
            "/api/generate",
            {"prefix": "Wait", "lines": 1, "candidates": 4},
            content_type="application/json",
        )
    finally:
        busy.cancel()
    assert response.status_code == 503
    assert response["Retry-After"] == "4"
    body = response.json()
    assert set(body) == {"error", "retry_after"}
    assert body["retry_after"] == 4
    assert "limit is 10" in body["error"]
    assert busy.wait_done(timeout=30), "the cancelled streams did not stop"
    legacy = client.post("/apiUS", {"input": "Wait"})
    assert legacy.status_code == 200, legacy.content
