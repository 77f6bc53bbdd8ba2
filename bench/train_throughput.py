"""Training throughput (windows/s): our Keras 3 loop vs textgenrnn's own `train_from_file`.

Same corpus slice (tinyshakespeare, one text per line, as train_from_file reads it), same
architecture (textgenrnn's pretrained 2x128, fine-tuned), same batch size, no validation.
The first epoch includes tracing/compilation, so the table reports the best later epoch.
textgenrnn runs in its reference venv (bench/textgenrnn_ref/make_venv.sh) as a subprocess, with
its defaults; ours runs with the thread pools `manage.py train` uses (RAPLYRICS_TRAINING_*).

The last rows put both against this machine's float32 matmul peak, measured in the same run
(bench/_matmul_peak.py): the windows/s a training step would reach if every one of its
multiply-adds ran at that peak, with nothing else to do (no activations, no optimizer).

    .venv/bin/python bench/train_throughput.py                      # both, side by side
    KERAS_BACKEND=jax .venv/bin/python bench/train_throughput.py --ours-only --batch-size 1024
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
# RAPLYRICS_BENCH_CORPUS points elsewhere where ../shared does not travel (a GPU machine).
CORPUS = Path(
    os.environ.get(
        "RAPLYRICS_BENCH_CORPUS", REPO_ROOT.parent / "shared" / "data" / "tinyshakespeare.txt"
    )
)
REFERENCE_VENV = Path(os.environ.get("TEXTGENRNN_REF_VENV", REPO_ROOT / ".venv-textgenrnn"))


def corpus_lines(chars: int) -> list[str]:
    text = CORPUS.read_text(encoding="utf-8")[:chars]
    return [line for line in text.split("\n") if line]


def measure_ours(
    lines: list[str], *, batch_size: int, epochs: int, threads: tuple[int, int]
) -> dict[str, Any]:
    import keras

    from generator.ml.backend import configure_cpu_threads, unroll_for_training
    from generator.ml.dataset import build_dataset
    from generator.ml.fit import (
        TrainingConfig,
        fit,
        resolved_jit_compile,
        start_training,
    )
    from generator.ml.weights import load_pretrained

    threads_set = configure_cpu_threads(intra_op=threads[0], inter_op=threads[1])
    loaded = load_pretrained(unroll=unroll_for_training())
    dataset = build_dataset(
        lines, vocabulary=loaded.vocabulary, config=loaded.config, validation_split=0.0
    )
    training = TrainingConfig(
        epochs=epochs, batch_size=batch_size, validation_split=0.0, objective="last"
    )
    state = start_training(
        loaded.model, vocabulary=loaded.vocabulary, config=loaded.config, training=training
    )
    with tempfile.TemporaryDirectory() as checkpoints:
        result = fit(state, dataset, checkpoint_dir=Path(checkpoints))
    devices = [str(d) for d in keras.distribution.list_devices()]
    config = loaded.config
    return {
        "threads": {"intra_op": threads[0], "inter_op": threads[1], "applied": threads_set},
        "flops_per_window": training_flops_per_window(
            layers=config.rnn_layers,
            units=config.rnn_size,
            directions=2 if config.rnn_bidirectional else 1,
            window=config.max_length,
            embedding=config.dim_embeddings,
            classes=loaded.vocabulary.num_classes,
        ),
        "implementation": f"ours (Keras {keras.__version__}, {keras.backend.backend()}, "
        f"jit_compile={resolved_jit_compile(training)}, "
        f"threads {_threads_label(threads) if threads_set else 'as the backend sets'})",
        "devices": devices,
        "windows_per_epoch": result.metrics[0].windows,
        "epochs": [
            {"seconds": m.seconds, "windows_per_second": m.windows_per_second}
            for m in result.metrics
        ],
    }


def measure_textgenrnn(lines: list[str], *, batch_size: int, epochs: int) -> dict[str, Any]:
    python = REFERENCE_VENV / "bin" / "python"
    if not python.exists():
        raise SystemExit(
            f"no reference venv at {REFERENCE_VENV}: run bench/textgenrnn_ref/make_venv.sh "
            "(or pass --ours-only)"
        )
    script = REPO_ROOT / "bench" / "textgenrnn_ref" / "train_reference.py"
    with tempfile.TemporaryDirectory() as work:
        corpus = Path(work) / "corpus.txt"
        corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
        out = Path(work) / "result.json"
        subprocess.run(
            [str(python), str(script), str(corpus), "--batch-size", str(batch_size),
             "--epochs", str(epochs), "--json", str(out)],
            cwd=work, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        return json.loads(out.read_text())


def training_flops_per_window(
    *, layers: int, units: int, directions: int, window: int, embedding: int, classes: int
) -> int:
    """Multiply-adds x 2 of one training window: forward, then backward (twice the forward:
    the gradient of each matmul's input and of its weights). Elementwise work not counted."""
    forward = 0
    width = embedding
    for _ in range(layers):
        forward += directions * window * 2 * (width + units) * 4 * units  # gates
        width = directions * units
    concatenated = embedding + layers * directions * units
    forward += 2 * window * 2 * concatenated  # attention scores and weighted sum
    forward += 2 * concatenated * classes  # output layer
    return 3 * forward


def _threads_label(threads: tuple[int, int]) -> str:
    return "/".join(str(n) if n else "auto" for n in threads)


def matmul_peak() -> dict[str, Any]:
    script = REPO_ROOT / "bench" / "_matmul_peak.py"
    done = subprocess.run([sys.executable, str(script)], check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def best(result: dict[str, Any]) -> float:
    later = result["epochs"][1:] or result["epochs"]
    return max(e["windows_per_second"] for e in later)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chars", type=int, default=50000, help="corpus slice length")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--ours-only", action="store_true")
    parser.add_argument(
        "--intra-op-threads", type=int, default=1, help="ours; 0 = TensorFlow's default"
    )
    parser.add_argument(
        "--inter-op-threads", type=int, default=0, help="ours; 0 = TensorFlow's default"
    )
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()
    if not CORPUS.is_file():
        raise SystemExit(f"corpus {CORPUS} is absent")

    lines = corpus_lines(args.chars)
    results: dict[str, Any] = {
        "corpus": f"tinyshakespeare first {args.chars} chars, {len(lines)} lines",
        "batch_size": args.batch_size,
        "epochs": args.epochs,
        "host": platform.node(),
        "cpu_count": os.cpu_count(),
        "load_average_before": os.getloadavg(),
        "ours": measure_ours(
            lines,
            batch_size=args.batch_size,
            epochs=args.epochs,
            threads=(args.intra_op_threads, args.inter_op_threads),
        ),
    }
    if not args.ours_only:
        results["textgenrnn"] = measure_textgenrnn(
            lines, batch_size=args.batch_size, epochs=args.epochs
        )
    results["matmul_peak"] = matmul_peak()
    results["load_average_after"] = os.getloadavg()

    print(f"{results['corpus']}, batch {args.batch_size}, {args.epochs} epochs")
    print(f"{'implementation':<75} {'windows/s':>10}")
    for key in ("textgenrnn", "ours"):
        if key in results:
            print(f"{results[key]['implementation']:<75} {best(results[key]):>10,.0f}")
    if "textgenrnn" in results:
        ratio = best(results["ours"]) / best(results["textgenrnn"])
        results["ratio"] = ratio
        print(f"{'ratio ours / textgenrnn':<75} {ratio:>10.2f}x")
    peak = results["matmul_peak"]["gemm"]
    ceiling = peak * 1e9 / results["ours"]["flops_per_window"]
    results["matmul_ceiling_windows_per_second"] = ceiling
    flops = results["ours"]["flops_per_window"] / 1e6
    print(f"{f'float32 matmul ceiling ({flops:.1f} MFLOP/window at {peak:.0f} GFLOP/s)':<75} "
          f"{ceiling:>10,.0f}")  # fmt: skip
    for key in ("textgenrnn", "ours"):
        if key in results:
            print(f"{f'{key}: share of the ceiling':<75} {best(results[key]) / ceiling:>10.0%}")
    if "textgenrnn" in results:
        target = 2 * best(results["textgenrnn"])
        print(f"{'target, 2x textgenrnn: share of the ceiling':<75} {target / ceiling:>10.0%}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
