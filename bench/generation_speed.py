"""Characters per second: textgenrnn, the Keras window re-run and the exact engine, one run.

Four engines, same pretrained weights, same machine, same run:
- textgenrnn 2.0.0 itself in the reference venv (bench/textgenrnn_ref/, made by make_venv.sh,
  imported through its shim) in a subprocess; when that venv is missing, textgenrnn's algorithm
  re-run here (one `model.predict` per character on our Keras 3 model, textgenrnn's numpy
  sampling), and the table says so;
- the Keras sampler (generator.ml.sampling: one compiled loop re-running the 40-token window per
  character) on the backend KERAS_BACKEND names (TensorFlow by default);
- the exact engine (generator.ml.engine: one LSTM step per character) on its two backends:
  NumPy, on `--blas-threads` BLAS threads (1 by default: a gunicorn worker's setting), and XLA
  (generator.ml.engine_xla: each step one compiled JAX call), on one XLA thread (the worker's
  setting, common.cpu_threads).

All generate from the prefix at temperature 0.5, stopping at `<s>` or the length limit;
characters are generated characters (prefix excluded). "8 streams" is textgenrnn's
`generate(n=8)` (sequential) against one batch of 8 streams of ours. Each figure is also given as
a share of the exact-sampling ceiling, and per CPU-second of the process (all its threads; the
fair figure on a shared machine, where a 2-thread process gets twice a 1-thread one's share of
the cores). The ceiling: the float32 matmul peak of this machine
(bench/_matmul_peak.py, every core) divided by the multiply-adds one exact character costs (40
window steps of every LSTM layer: 9.9M for the pretrained 2 x 128 model).

    python bench/generation_speed.py [--texts N] [--max-chars N] [--blas-threads N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import astuple, dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def _blas_threads_from_argv() -> str:
    # Read before NumPy is imported: OpenBLAS sizes its pool once, at load.
    if "--blas-threads" in sys.argv:
        return sys.argv[sys.argv.index("--blas-threads") + 1]
    return "1"


os.environ.setdefault("OPENBLAS_NUM_THREADS", _blas_threads_from_argv())
from common.cpu_threads import use_compute_threads  # noqa: E402  (sets XLA's threads)

use_compute_threads(os.environ)
REFERENCE_DIR = REPO / "bench" / "textgenrnn_ref"
PREFIX = "I came up from the bottom"
TEMPERATURE = 0.5

# Runs inside the reference venv: textgenrnn's own generate, timed per text.
_REFERENCE_SCRIPT = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
import shim  # noqa: F401  (makes textgenrnn importable on current TF)
import numpy as np
import tf_keras
tf_keras.utils.disable_interactive_logging()  # no per-predict progress bar: not textgenrnn's cost
from textgenrnn import textgenrnn
prefix, temperature = sys.argv[2], float(sys.argv[3])
texts, max_chars, batch_chars = (int(value) for value in sys.argv[4:7])
np.random.seed(0)
model = textgenrnn()
def generate(n, limit):
    return model.generate(n, return_as_list=True, prefix=prefix, temperature=temperature,
                          max_gen_length=len(prefix) + 1 + limit, progress=False)
generate(1, 5)
def run(n, limit):
    start, cpu = time.perf_counter(), time.process_time()
    out = generate(n, limit)
    chars = sum(len(t) - len(prefix) for t in out)
    return chars, time.perf_counter() - start, time.process_time() - cpu
single = [run(1, max_chars) for _ in range(texts)]
batch = run(8, batch_chars)
print(json.dumps({"single": single, "batch": batch}))
"""


@dataclass(frozen=True)
class Measure:
    chars: int
    seconds: float
    cpu_seconds: float  # the process's CPU time (all its threads): fair on a shared machine

    @property
    def cpu_rate(self) -> float:
        return self.chars / self.cpu_seconds if self.cpu_seconds else 0.0

    @property
    def rate(self) -> float:
        return self.chars / self.seconds if self.seconds else 0.0


def reference_python() -> Path | None:
    venv = Path(
        os.environ.get("TEXTGENRNN_REF_VENV", REFERENCE_DIR.parents[1] / ".venv-textgenrnn")
    )
    python = venv / "bin" / "python"
    return python if python.is_file() and (REFERENCE_DIR / "shim.py").is_file() else None


def measure_textgenrnn(
    python: Path, *, texts: int, max_chars: int, batch_chars: int
) -> tuple[Measure, Measure]:
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "TF_CPP_MIN_LOG_LEVEL": "3"}
    args = [str(REFERENCE_DIR), PREFIX, str(TEMPERATURE), str(texts), str(max_chars)]
    completed = subprocess.run(
        [str(python), "-c", _REFERENCE_SCRIPT, *args, str(batch_chars)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if completed.returncode != 0:
        raise SystemExit(f"textgenrnn reference failed: {completed.stderr.strip()[-400:]}")
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    single = Measure(*(sum(values) for values in zip(*result["single"], strict=True)))
    return single, Measure(*result["batch"])


def measure_textgenrnn_algorithm_in_process(
    *, texts: int, max_chars: int, batch_chars: int
) -> tuple[Measure, Measure]:
    """textgenrnn_generate's loop (predict per character) on our Keras 3 model."""
    import numpy as np

    from generator.ml.weights import load_pretrained

    loaded = load_pretrained()
    vocabulary, length = loaded.vocabulary, loaded.config.max_length
    rng = np.random.default_rng(0)

    def one_text(limit: int) -> int:
        tokens = [vocabulary.end_id, *vocabulary.encode(PREFIX)]
        for produced in range(limit):
            window = np.zeros((1, length), dtype=np.int32)
            tail = tokens[-length:]
            window[0, length - len(tail) :] = tail
            probs = loaded.model.predict(window, batch_size=1, verbose=0)[0].astype("float64")
            scaled = np.exp(np.log(probs + 1e-7) / TEMPERATURE)
            index = int(np.argmax(rng.multinomial(1, scaled / scaled.sum(), 1)))
            if index == 0:
                index = int(np.argsort(scaled)[-2])
            if index == vocabulary.end_id:
                return produced
            tokens.append(index)
        return limit

    one_text(5)
    start, cpu = time.perf_counter(), time.process_time()
    chars = sum(one_text(max_chars) for _ in range(texts))
    single = Measure(chars, time.perf_counter() - start, time.process_time() - cpu)
    start, cpu = time.perf_counter(), time.process_time()
    chars = sum(one_text(batch_chars) for _ in range(8))
    return single, Measure(chars, time.perf_counter() - start, time.process_time() - cpu)


@dataclass(frozen=True)
class EngineRun:
    single: Measure
    batch: Measure
    warm_up_s: float
    writer_p50_s: tuple[float, float]  # wall, CPU


def measure_keras(*, texts: int, max_chars: int) -> EngineRun:
    from generator.ml.sampling import Sampler
    from generator.ml.weights import load_pretrained

    loaded = load_pretrained()
    sampler = Sampler(model=loaded.model, vocabulary=loaded.vocabulary, config=loaded.config)
    return measure_engine(sampler, texts=texts, max_chars=max_chars)


def measure_exact(*, backend: str, texts: int, max_chars: int) -> EngineRun:
    from generator.ml.engine import Engine

    engine = Engine.pretrained(backend="xla" if backend == "xla" else "numpy")
    return measure_engine(engine, texts=texts, max_chars=max_chars)


def measure_engine(sampler: Any, *, texts: int, max_chars: int) -> EngineRun:
    from generator.ml.streams import SamplingControls

    controls = SamplingControls.of(temperature=TEMPERATURE, max_chars=max_chars)
    start = time.perf_counter()
    sampler.generate(prefix=PREFIX, seeds=[0], controls=controls)
    sampler.generate(prefix=PREFIX, seeds=list(range(8)), controls=controls)
    warm_up_s = time.perf_counter() - start

    def run(seeds: list[int]) -> Measure:
        begin, cpu = time.perf_counter(), time.process_time()
        result = sampler.generate(prefix=PREFIX, seeds=seeds, controls=controls)
        return Measure(
            sum(len(s.token_ids) for s in result.streams),
            time.perf_counter() - begin,
            time.process_time() - cpu,
        )

    singles = [run([100 + i]) for i in range(texts)]
    single = _total(singles)
    batches = [run(list(range(200 + 8 * i, 208 + 8 * i))) for i in range(3)]
    batch = _total(batches)
    return EngineRun(single, batch, warm_up_s, writer_latency(sampler))


def exact_ceiling() -> tuple[float, float]:
    """(GFLOP/s float32 matmul peak on every core, characters/s it allows for exact sampling)."""
    from generator.ml.config import ModelConfig

    config = ModelConfig()  # the pretrained 2 x 128 network
    inputs = [config.dim_embeddings] + [config.rnn_size] * (config.rnn_layers - 1)
    macs_per_char = config.max_length * sum(
        4 * config.rnn_size * (width + config.rnn_size) for width in inputs
    )
    completed = subprocess.run(
        [sys.executable, str(REPO / "bench" / "_matmul_peak.py")],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"},
        check=True,
    )
    gflops = float(json.loads(completed.stdout.strip().splitlines()[-1])["gemm"])
    return gflops, gflops * 1e9 / (2 * macs_per_char)


def _total(measures: list[Measure]) -> Measure:
    return Measure(*(sum(values) for values in zip(*(astuple(m) for m in measures), strict=True)))


def writer_latency(sampler: object) -> tuple[float, float]:
    """p50 wall and CPU seconds of the default 5-line "better lyrics" request (4 candidates)."""
    from generator.ml.lyrics_writer import write_lyrics

    write_lyrics(sampler=sampler, prefix=PREFIX, seed=0)  # type: ignore[arg-type]
    times, cpu_times = [], []
    for seed in range(1, 6):
        start, cpu = time.perf_counter(), time.process_time()
        write_lyrics(sampler=sampler, prefix=PREFIX, seed=seed)  # type: ignore[arg-type]
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu)
    return statistics.median(times), statistics.median(cpu_times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=5, help="texts per stream measurement")
    parser.add_argument("--max-chars", type=int, default=300, help="length limit of a text")
    parser.add_argument(
        "--reference-chars", type=int, default=100, help="length limit of textgenrnn's texts"
    )
    parser.add_argument("--blas-threads", type=int, default=1, help="NumPy engine BLAS threads")
    args = parser.parse_args()

    python = reference_python()
    if python is not None:
        baseline = "textgenrnn 2.0.0 generate (reference venv, TF 2.21 + tf_keras)"
        ref_single, ref_batch = measure_textgenrnn(
            python, texts=2, max_chars=args.reference_chars, batch_chars=args.reference_chars // 4
        )
    else:
        baseline = "textgenrnn's algorithm in-process (predict per char; reference venv missing)"
        ref_single, ref_batch = measure_textgenrnn_algorithm_in_process(
            texts=1, max_chars=args.reference_chars, batch_chars=args.reference_chars // 4
        )
    keras_run = measure_keras(texts=args.texts, max_chars=args.max_chars)
    numpy_run = measure_exact(backend="numpy", texts=args.texts, max_chars=args.max_chars)
    xla_run = measure_exact(backend="xla", texts=args.texts, max_chars=args.max_chars)
    gflops, ceiling = exact_ceiling()

    import keras

    print(f"baseline: {baseline}")
    print(
        f"keras: generator.ml.sampling.Sampler (window re-run, compiled), Keras "
        f"{keras.__version__} backend {keras.backend.backend()}"
    )
    print(f"numpy: generator.ml.engine.Engine (one step per char), {args.blas_threads} BLAS thread")
    print("xla: the same engine, each step one compiled JAX call (engine_xla), 1 XLA thread")
    print(
        f"exact-sampling ceiling: {gflops:.0f} GFLOP/s float32 matmul peak (all "
        f"{os.cpu_count()} CPUs) -> {ceiling:,.0f} chars/s"
    )
    print(f"machine load average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    header = (
        f"{'engine':<11} {'streams':>7} {'chars':>6} {'seconds':>8} {'chars/s':>9} "
        f"{'vs tgr':>8} {'vs keras':>8} {'ceiling':>8} {'chars/cpu-s':>12} {'vs keras':>8}"
    )
    print(header)
    print("-" * len(header))
    for streams, ref, old, new, compiled in (
        ("1", ref_single, keras_run.single, numpy_run.single, xla_run.single),
        ("8", ref_batch, keras_run.batch, numpy_run.batch, xla_run.batch),
    ):
        engines = (("textgenrnn", ref), ("keras", old), ("numpy", new), ("xla", compiled))
        for name, measure in engines:
            print(
                f"{name:<11} {streams:>7} {measure.chars:>6} {measure.seconds:>8.2f} "
                f"{measure.rate:>9.1f} {_ratio(measure, ref):>8} {_ratio(measure, old):>8} "
                f"{measure.rate / ceiling:>7.1%} {measure.cpu_rate:>12.1f} "
                f"{_cpu_ratio(measure, old):>8}"
            )
    print(
        "xla / numpy, chars/s (per CPU-s): "
        f"1 stream {_ratio(xla_run.single, numpy_run.single)} "
        f"({_cpu_ratio(xla_run.single, numpy_run.single)}), "
        f"8 streams {_ratio(xla_run.batch, numpy_run.batch)} "
        f"({_cpu_ratio(xla_run.batch, numpy_run.batch)})"
    )
    print(
        f"warm-up (first 1- and 8-stream calls): keras {keras_run.warm_up_s:.1f} s (compiles), "
        f"numpy {numpy_run.warm_up_s:.2f} s, xla {xla_run.warm_up_s:.2f} s (compiles 2 buckets)"
    )
    walls = {
        name: tuple(1000 * s for s in run.writer_p50_s)
        for name, run in (("keras", keras_run), ("numpy", numpy_run), ("xla", xla_run))
    }
    print(
        "default 5-line better-lyrics request (4 candidates/line), p50 wall / CPU: "
        + ", ".join(f"{name} {wall:.0f} / {cpu:.0f} ms" for name, (wall, cpu) in walls.items())
    )
    return 0


def _ratio(measure: Measure, baseline: Measure) -> str:
    return f"{measure.rate / baseline.rate:.1f}x" if baseline.rate else "-"


def _cpu_ratio(measure: Measure, baseline: Measure) -> str:
    return f"{measure.cpu_rate / baseline.cpu_rate:.1f}x" if baseline.cpu_rate else "-"


if __name__ == "__main__":
    sys.exit(main())
