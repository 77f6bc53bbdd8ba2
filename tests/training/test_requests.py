"""Bad training requests are refused in one line and write nothing."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from generator.ml.config import ModelConfig
from generator.ml.network import build_model
from generator.ml.vocab import Vocabulary
from generator.ml.weights import pretrained_files, save_textgenrnn
from generator.models import ModelVersion, TrainingRun
from generator.training import RunOptions, TrainingRequestError, create_training_run
from lyrics.models import Corpus
from tests.training.conftest import TINY_FLAGS, corpus_row, write_corpus

pytestmark = pytest.mark.django_db


def _refused(*args: str) -> str:
    with pytest.raises(CommandError) as refusal:
        call_command("train", *args, stdout=StringIO(), stderr=StringIO())
    message = str(refusal.value)
    assert "\n" not in message
    assert not TrainingRun.objects.exists()
    return message


def test_it_refuses_an_unknown_corpus(work_dirs: Path) -> None:
    assert _refused("--corpus", "999", *TINY_FLAGS) == "corpus #999 does not exist"


def test_it_refuses_an_empty_corpus(work_dirs: Path, tmp_path: Path) -> None:
    corpus = corpus_row(write_corpus(tmp_path / "empty.txt", []))
    assert "is empty" in _refused("--corpus", str(corpus.pk), *TINY_FLAGS)


def test_it_refuses_a_missing_corpus_file(work_dirs: Path, tmp_path: Path) -> None:
    assert "does not exist" in _refused("--corpus-file", str(tmp_path / "nope.txt"))


def test_it_refuses_max_length_zero(work_dirs: Path, corpus_file: Path) -> None:
    message = _refused("--corpus-file", str(corpus_file), "--max-length", "0")
    assert message == "max_length must be at least 1, got 0"


@pytest.mark.parametrize("rate", ["0", "4", "1e-7", "nan", "inf"])
def test_it_refuses_a_learning_rate_out_of_range_before_training(
    work_dirs: Path, corpus_file: Path, rate: str
) -> None:
    # "4" for 4e-3: it would train for minutes to a held-out loss in the tens of thousands.
    message = _refused("--corpus-file", str(corpus_file), "--learning-rate", rate)
    assert message == (
        f"learning rate must be from 1e-06 to 1 (textgenrnn's is 0.004), got {float(rate)!r}"
    )


def test_it_refuses_to_reshape_the_pretrained_network(work_dirs: Path, corpus_file: Path) -> None:
    message = _refused("--corpus-file", str(corpus_file), "--rnn-size", "16")
    assert "--rnn-size" in message and "--new" in message


def test_it_refuses_a_bidirectional_model_for_the_all_positions_objective(
    work_dirs: Path, corpus_file: Path
) -> None:
    # Its backward LSTM would read the very tokens each position is asked to predict.
    message = _refused("--corpus-file", str(corpus_file), "--new", "--rnn-bidirectional")
    assert "--rnn-bidirectional needs --objective last" in message
    message = _refused(
        "--corpus-file",
        str(corpus_file),
        "--new",
        "--rnn-bidirectional",
        "--objective",
        "last",
        "--backprop-steps",
        "20",
    )
    assert message == "--backprop-steps needs a unidirectional model: drop --rnn-bidirectional"


def test_it_refuses_backprop_steps_under_one(work_dirs: Path, corpus_file: Path) -> None:
    message = _refused("--corpus-file", str(corpus_file), "--backprop-steps", "0")
    assert message == "backprop steps must be at least 1, got 0"


@pytest.mark.parametrize("momentum", ["1", "1.5", "-0.1", "nan"])
def test_it_refuses_a_weight_average_that_is_not_a_momentum_below_1(
    work_dirs: Path, corpus_file: Path, momentum: str
) -> None:
    message = _refused("--corpus-file", str(corpus_file), "--weight-average", momentum)
    assert message == (
        f"weight average must be 0 (keep the trained weights) or a momentum below 1, "
        f"got {float(momentum)!r}"
    )


def test_it_refuses_a_second_active_run_on_a_corpus(work_dirs: Path, corpus: Corpus) -> None:
    first = create_training_run(corpus_id=corpus.pk, options=RunOptions(epochs=1))
    with pytest.raises(TrainingRequestError, match=rf"already has run #{first.pk} queued"):
        create_training_run(corpus_id=corpus.pk, options=RunOptions(epochs=1))
    assert TrainingRun.objects.count() == 1
    # Once the first is over, the corpus can be trained on again.
    TrainingRun.objects.filter(pk=first.pk).update(status=TrainingRun.Status.DONE)
    assert create_training_run(corpus_id=corpus.pk, options=RunOptions(epochs=1)).pk != first.pk


def test_import_refuses_a_vocabulary_that_does_not_fit_the_weights(
    work_dirs: Path, tmp_path: Path
) -> None:
    vocabulary = Vocabulary.build(["abc de"])
    config = ModelConfig(rnn_layers=1, rnn_size=8, max_length=5, dim_embeddings=4, name="tiny")
    model = build_model(config, vocabulary.num_classes)
    files = save_textgenrnn(
        model, vocabulary=vocabulary, config=config, directory=tmp_path, name="tiny"
    )
    assert files.config is not None
    with pytest.raises(CommandError) as refusal:
        call_command(
            "import_textgenrnn",
            "--weights", str(files.weights),
            "--vocab", str(pretrained_files().vocab),
            "--config", str(files.config),
            "--name", "mismatched",
            stdout=StringIO(),
        )  # fmt: skip
    assert "\n" not in str(refusal.value)
    assert "tokens" in str(refusal.value)
    assert not ModelVersion.objects.exists()

    out = StringIO()
    call_command(
        "import_textgenrnn",
        "--weights", str(files.weights),
        "--vocab", str(files.vocab),
        "--config", str(files.config),
        "--name", "tiny-import",
        "--activate",
        stdout=out,
    )  # fmt: skip
    version = ModelVersion.objects.get()
    assert version.name == "tiny-import" and version.is_active
    assert version.source == ModelVersion.Source.IMPORTED
