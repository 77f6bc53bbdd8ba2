"""Makes the textgenrnn 2.0.0 library importable on TensorFlow 2.21 + tf_keras (Keras 2).

Used only by the reference scripts in this folder, inside the reference venv built by
make_venv.sh; the product never imports textgenrnn. Import this module before textgenrnn.
What textgenrnn 2.0.0 needs that current TensorFlow lacks:
- `tensorflow.keras.utils.multi_gpu_model` (removed in TF 2.4): a stub that refuses to run;
- `keras.backend.tensorflow_backend.set_session` (TF1-era Keras): a module whose
  set_session does nothing (only called with allow_growth, which we never pass);
- `Adam(lr=...)` as a default argument: tf_keras' Adam takes `learning_rate`.
"""

from __future__ import annotations

import importlib
import os
import sys
import types

os.environ["TF_USE_LEGACY_KERAS"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tf_keras


def _multi_gpu_model(*args: object, **kwargs: object) -> None:
    raise RuntimeError("multi_gpu_model is not available in the textgenrnn reference shim")


# `from tensorflow.keras.utils import ...` loads tf_keras' public API file a second time under
# the name tensorflow.keras.utils: patch that module object itself.
for _utils in (importlib.import_module("tensorflow.keras.utils"), tf_keras.utils):
    _utils.multi_gpu_model = _multi_gpu_model

_tensorflow_backend = types.ModuleType("keras.backend.tensorflow_backend")
_tensorflow_backend.set_session = lambda session: None
sys.modules["keras.backend.tensorflow_backend"] = _tensorflow_backend

_Adam = tf_keras.optimizers.Adam


class _AdamAcceptingLr(_Adam):
    def __init__(self, *args: object, lr: float | None = None, **kwargs: object) -> None:
        if lr is not None:
            kwargs["learning_rate"] = lr
        super().__init__(*args, **kwargs)


for _optimizers in (importlib.import_module("tensorflow.keras.optimizers"), tf_keras.optimizers):
    _optimizers.Adam = _AdamAcceptingLr


def patch_numpy2(textgenrnn_module: types.ModuleType) -> None:
    """textgenrnn passes np.meshgrid's result to np.block; numpy 2 returns a tuple there,
    which np.block refuses. Give the textgenrnn module a numpy whose meshgrid returns a list."""
    import numpy

    class _Numpy(types.ModuleType):
        def __getattr__(self, name: str) -> object:
            return getattr(numpy, name)

    patched = _Numpy("numpy")
    patched.meshgrid = lambda *args, **kwargs: list(numpy.meshgrid(*args, **kwargs))
    textgenrnn_module.np = patched


def train_from_file_with(
    model: object, path: str, *, epochs: int, batch_size: int, callback: object
) -> int:
    """textgenrnn's own `train_from_file` (its defaults, no sample generation or saving), with
    `callback` added to the Keras callbacks its `fit` receives; returns the windows of an epoch.

    textgenrnn builds its `fit` call itself, so the callback rides in by wrapping the model's
    `fit` for this one call."""
    keras_model = model.model  # type: ignore[attr-defined]
    original_fit = keras_model.fit
    seen: dict[str, int] = {}

    def fit_with_callback(*fit_args: object, **fit_kwargs: object) -> object:
        seen["steps_per_epoch"] = int(fit_kwargs["steps_per_epoch"])  # type: ignore[arg-type]
        callbacks = list(fit_kwargs.pop("callbacks", []))  # type: ignore[call-overload]
        return original_fit(*fit_args, callbacks=[*callbacks, callback], **fit_kwargs)

    keras_model.fit = fit_with_callback
    try:
        model.train_from_file(  # type: ignore[attr-defined]
            path,
            header=False,
            num_epochs=epochs,
            batch_size=batch_size,
            gen_epochs=0,
            save_epochs=0,
            verbose=0,
        )
    finally:
        keras_model.fit = original_fit
    return seen["steps_per_epoch"] * batch_size
