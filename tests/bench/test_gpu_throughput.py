"""The GPU script's python entry runs the ML core on JAX without Django (a tiny CPU run)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


@pytest.mark.skipif(
    importlib.util.find_spec("jax") is None, reason="jax is not installed in this venv"
)
def test_the_entry_prints_training_and_sampling_rates_on_jax(tmp_path: Path) -> None:
    out = tmp_path / "gpu.json"
    # Only the repository on the path and no Django settings: as on the GPU machine.
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env |= {"KERAS_BACKEND": "jax", "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run(
        [sys.executable, "bench/_gpu_throughput.py", "--tiny", "--batch-sizes", "8",
         "--batches", "2", "--streams", "3", "--chars", "6", "--json", str(out)],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr[-2000:]
    assert "backend jax" in done.stdout
    assert "django" not in done.stdout.lower()
    results = json.loads(out.read_text())
    rows = [(r["objective"], r["stride"], r["batch_size"]) for r in results["training"]]
    assert rows == [("last", None, 8), ("all-positions", 2, 8), ("all-positions", 10, 8)]
    last, every_second, every_position = results["training"]
    assert last["characters_per_second"] == pytest.approx(last["windows_per_second"])
    # An all-positions window teaches up to `stride` characters.
    for row in (every_second, every_position):
        ratio = row["characters_per_second"] / row["windows_per_second"]
        assert 1 < ratio <= row["stride"]
    assert [s["streams"] for s in results["sampling"]] == [1, 3]
    for sampled in results["sampling"]:
        assert sampled["characters_per_second"] == pytest.approx(
            sampled["characters_per_second_per_stream"] * sampled["streams"]
        )
        assert sampled["characters_per_second"] > 0
    assert "train all-positions, stride 10, batch 8" in done.stdout


def test_the_gpu_script_is_valid_bash_and_calls_the_entry() -> None:
    script = REPO_ROOT / "bench" / "gpu.sh"
    assert subprocess.run(["bash", "-n", str(script)]).returncode == 0
    text = script.read_text()
    assert "--target /tmp/site .whl/*.whl" in text
    assert "KERAS_BACKEND=jax" in text and "bench/_gpu_throughput.py" in text
