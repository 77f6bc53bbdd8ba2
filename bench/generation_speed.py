"""Characters per second: our compiled sampler vs textgenrnn's `generate`, same pretrained weights.

One run, same machine: textgenrnn 2.0.0 itself runs in the reference venv (bench/textgenrnn_ref/,
made by make_venv.sh, imported through its shim) in a subprocess; ours runs in this process on the
backend KERAS_BACKEND names (TensorFlow by default). When the reference venv is missing, the
baseline is textgenrnn's algorithm re-run here (one `model.predict` per character on our Keras 3
model with the same weights, textgenrnn's numpy sampling), and the table says so.

Both sides generate from the prefix at temperature 0.5, stopping at `<s>` or the length limit;
characters are generated characters (prefix excluded). "8 streams" is textgenrnn's
`generate(n=8)` (sequential) against one batch of 8 streams of ours. The compile time of our
loop is reported separately (once per process and shape bucket).

    python bench/generation_speed.py [--texts N] [--max-chars N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
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
    start = time.perf_counter()
    out = generate(n, limit)
    return sum(len(t) - len(prefix) for t in out), time.perf_counter() - start
single = [run(1, max_chars) for _ in range(texts)]
batch = run(8, batch_chars)
print(json.dumps({"single": single, "batch": batch}))
"""


@dataclass(frozen=True)
class Measure:
    chars: int
    seconds: float

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
    single = Measure(sum(c for c, _ in result["single"]), sum(s for _, s in result["single"]))
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
    start = time.perf_counter()
    chars = sum(one_text(max_chars) for _ in range(texts))
    single = Measure(chars, time.perf_counter() - start)
    start = time.perf_counter()
    chars = sum(one_text(batch_chars) for _ in range(8))
    return single, Measure(chars, time.perf_counter() - start)


def measure_ours(*, texts: int, max_chars: int) -> tuple[Measure, Measure, float, float]:
    from generator.ml.sampling import Sampler, SamplingControls
    from generator.ml.weights import load_pretrained

    loaded = load_pretrained()
    sampler = Sampler(model=loaded.model, vocabulary=loaded.vocabulary, config=loaded.config)
    controls = SamplingControls.of(temperature=TEMPERATURE, max_chars=max_chars)
    start = time.perf_counter()
    sampler.generate(prefix=PREFIX, seeds=[0], controls=controls)
    sampler.generate(prefix=PREFIX, seeds=list(range(8)), controls=controls)
    compile_s = time.perf_counter() - start

    def run(seeds: list[int]) -> Measure:
        begin = time.perf_counter()
        result = sampler.generate(prefix=PREFIX, seeds=seeds, controls=controls)
        return Measure(sum(len(s.token_ids) for s in result.streams), time.perf_counter() - begin)

    singles = [run([100 + i]) for i in range(texts)]
    single = Measure(sum(m.chars for m in singles), sum(m.seconds for m in singles))
    batches = [run(list(range(200 + 8 * i, 208 + 8 * i))) for i in range(3)]
    batch = Measure(sum(m.chars for m in batches), sum(m.seconds for m in batches))
    return single, batch, compile_s, writer_latency(sampler)


def writer_latency(sampler: object) -> float:
    """p50 seconds of the default 5-line "better lyrics" request (4 candidates a line)."""
    from generator.ml.lyrics_writer import write_lyrics

    write_lyrics(sampler=sampler, prefix=PREFIX, seed=0)  # type: ignore[arg-type]
    times = []
    for seed in range(1, 6):
        start = time.perf_counter()
        write_lyrics(sampler=sampler, prefix=PREFIX, seed=seed)  # type: ignore[arg-type]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=5, help="texts per stream measurement")
    parser.add_argument("--max-chars", type=int, default=300, help="length limit of a text")
    parser.add_argument(
        "--batch-chars", type=int, default=60, help="length limit of textgenrnn's 8 texts"
    )
    args = parser.parse_args()

    python = reference_python()
    if python is not None:
        baseline = "textgenrnn 2.0.0 generate (reference venv, TF 2.21 + tf_keras)"
        ref_single, ref_batch = measure_textgenrnn(
            python, texts=args.texts, max_chars=args.max_chars, batch_chars=args.batch_chars
        )
    else:
        baseline = "textgenrnn's algorithm in-process (predict per char; reference venv missing)"
        ref_single, ref_batch = measure_textgenrnn_algorithm_in_process(
            texts=args.texts, max_chars=args.max_chars, batch_chars=args.batch_chars
        )
    ours_single, ours_batch, compile_s, writer_p50 = measure_ours(
        texts=args.texts, max_chars=args.max_chars
    )

    import keras

    print(f"baseline: {baseline}")
    print(
        f"ours: generator.ml.sampling.Sampler, Keras {keras.__version__} "
        f"backend {keras.backend.backend()}, pretrained textgenrnn weights"
    )
    print(f"machine load average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    header = (
        f"{'engine':<12} {'streams':>7} {'chars':>7} {'seconds':>8} {'chars/s':>9} {'ratio':>8}"
    )
    print(header)
    print("-" * len(header))
    for streams, ref, ours in (("1", ref_single, ours_single), ("8", ref_batch, ours_batch)):
        print(
            f"{'textgenrnn':<12} {streams:>7} {ref.chars:>7} {ref.seconds:>8.2f} "
            f"{ref.rate:>9.1f} {'1.0x':>8}"
        )
        ratio = ours.rate / ref.rate if ref.rate else float("inf")
        print(
            f"{'ours':<12} {streams:>7} {ours.chars:>7} {ours.seconds:>8.2f} "
            f"{ours.rate:>9.1f} {ratio:>7.1f}x"
        )
    print(f"our one-time compile (buckets of 1 and 8 streams): {compile_s:.1f} s")
    print(f"our default 5-line better-lyrics request (4 candidates/line), p50: {writer_p50:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
