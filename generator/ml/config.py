"""The model's hyperparameters (textgenrnn's config) and the ML core's base error."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

# Training objectives (generator/ml/fit.py); here, free of Keras, so the admin's form and
# the command's flags can name them in a web worker that never imports TensorFlow.
Objective = Literal["last", "all-positions"]
OBJECTIVES: tuple[Objective, ...] = ("last", "all-positions")
# What a new run trains with when no objective is asked for (see README: time to quality).
DEFAULT_OBJECTIVE: Objective = "all-positions"
# How to train when nothing else is asked for, the one place it lives (TrainingConfig's fields,
# and the options of a run whichever door starts it): textgenrnn's settings but the epochs.
# The learning rate decays linearly to 0 over the planned epochs (textgenrnn's schedule), so the
# plan shapes every epoch, not only the last. Planned over 6 rather than the 25 this project
# used (textgenrnn's train_from_file plans 50), all-positions verse models reached a lower
# held-out loss on the demo corpus with three training seeds (-0.005 to -0.021) and on 300,000
# characters of tinyshakespeare (1.353 at epoch 6 against 1.370 at epoch 9 of 25, in half the
# time), and wrote longer lines with fewer stubs and non-words on the tuning seeds
# (docs/quality.md, *Six planned epochs*).
DEFAULT_EPOCHS = 6
DEFAULT_LEARNING_RATE = 4e-3
# The learning rates a new run accepts, whichever door asks (the admin's form had this range
# first): only the absurd is refused. Fine-tuning the pretrained network on the demo corpus, one
# epoch took the held-out loss from about 1.5 to 29,521 at 4 (a typo for 4e-3), 2,425 at 1,
# 12.7 at 0.1, 2.10 at 0.05 and 1.45 at 0.01; under 1e-6 a run barely moves.
LEARNING_RATE_RANGE = (1e-6, 1.0)
DEFAULT_DROPOUT = 0.0
DEFAULT_VALIDATION_SPLIT = 0.1
DEFAULT_SEED = 0
# Windows per batch when none is asked for: textgenrnn's 128 for "last"; for "all-positions",
# 48 windows of up to `stride` targets each: on three tuning corpora 48 finished its second
# epoch 14-22% sooner than 32, 0.011-0.013 lower on two and 0.010 higher on one; 64 missed a
# target 48 reached (docs/benchmarks.md, *Centred windows, batch 48*).
DEFAULT_BATCH_SIZES: dict[str, int] = {"last": 128, "all-positions": 48}
# A new run (RunOptions, whichever door starts it) stops once its held-out loss has not improved
# for this many epochs, where a validation split is held out. textgenrnn trains every epoch (and
# TrainingConfig's own default is to), but on the demo corpus, with 25 epochs planned, a verse
# model's held-out loss was lowest at epoch 2 and never that low again: the 23 epochs after it,
# about 87 of the run's 101 seconds, changed nothing registered (the best epoch is kept).
DEFAULT_PATIENCE = 3
# A run's result is a moving average of the weights it trains (generator/ml/averaging.py),
# averaging over about 1 / (1 - this) batches once warmed up; None turns it off.
DEFAULT_WEIGHT_AVERAGE: float | None = 0.99


def is_weight_average(value: Any) -> bool:
    """A weight average's momentum (TrainingConfig's): a real number, not a bool, strictly
    between 0 and 1."""
    return _is_real(value) and 0.0 < value < 1.0


def is_weight_average_choice(value: Any) -> bool:
    """What a run's request (and a bench) may ask for: a momentum, or 0 for no average."""
    return is_weight_average(value) or (_is_real(value) and value == 0)


def _is_real(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# What a training text is (generator/ml/verses.py): a whole verse, lines joined by a newline
# token (a verse model), or one line (textgenrnn's way; a line model). Imported models and the
# pretrained network are line models.
TextKind = Literal["lines", "verses"]
TEXT_KINDS: tuple[TextKind, ...] = ("lines", "verses")
DEFAULT_TEXTS: TextKind = "verses"


class MLError(Exception):
    """Base of every error the ML core raises for bad input; its message is one readable line."""


class ModelConfigError(MLError):
    """A hyperparameter is out of range or a config file is malformed."""


# textgenrnn's `*_config.json` keys, in the order textgenrnn writes them.
TEXTGENRNN_CONFIG_KEYS: tuple[str, ...] = (
    "rnn_layers",
    "rnn_size",
    "rnn_bidirectional",
    "max_length",
    "max_words",
    "dim_embeddings",
    "word_level",
    "single_text",
)


@dataclass(frozen=True)
class ModelConfig:
    """textgenrnn's hyperparameters; the defaults are those of its pretrained network."""

    rnn_layers: int = 2
    rnn_size: int = 128
    rnn_bidirectional: bool = False
    max_length: int = 40
    max_words: int = 10000
    dim_embeddings: int = 100
    word_level: bool = False
    single_text: bool = False
    name: str = "textgenrnn"

    def __post_init__(self) -> None:
        for field_name in ("rnn_layers", "rnn_size", "max_length", "max_words", "dim_embeddings"):
            value = getattr(self, field_name)
            # bool is an int subclass; True as a layer count is a caller's mistake.
            if not isinstance(value, int) or isinstance(value, bool):
                raise ModelConfigError(
                    f"{field_name} must be an integer, got {type(value).__name__} {value!r}"
                )
            if value < 1:
                raise ModelConfigError(f"{field_name} must be at least 1, got {value}")
        for field_name in ("rnn_bidirectional", "word_level", "single_text"):
            value = getattr(self, field_name)
            if not isinstance(value, bool):
                raise ModelConfigError(f"{field_name} must be true or false, got {value!r}")
        if not isinstance(self.name, str) or not self.name:
            raise ModelConfigError("name must be a non-empty string")

    @property
    def concat_width(self) -> int:
        """Width of `rnn_concat`: the embedding plus every LSTM's output (both directions)."""
        directions = 2 if self.rnn_bidirectional else 1
        return self.dim_embeddings + self.rnn_layers * self.rnn_size * directions

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> ModelConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ModelConfigError(f"unknown hyperparameter(s): {', '.join(unknown)}")
        return cls(**values)

    @classmethod
    def from_textgenrnn_json(cls, values: dict[str, Any]) -> ModelConfig:
        """Build from the dict in a textgenrnn `*_config.json`; missing keys take the defaults.

        textgenrnn copies its class-level config, so old files may lack newer keys
        (`single_text`); extra keys it never reads are ignored the way textgenrnn ignores them.
        """
        if not isinstance(values, dict):
            raise ModelConfigError("a textgenrnn config must be a JSON object")
        chosen = {key: values[key] for key in TEXTGENRNN_CONFIG_KEYS if key in values}
        if "name" in values and isinstance(values["name"], str) and values["name"]:
            chosen["name"] = values["name"]
        return cls(**chosen)

    def to_textgenrnn_json(self) -> dict[str, Any]:
        """The dict textgenrnn writes to `*_config.json` (its keys plus `name`)."""
        out: dict[str, Any] = {key: getattr(self, key) for key in TEXTGENRNN_CONFIG_KEYS}
        out["name"] = self.name
        return out
