"""The process-level model cache: each gunicorn worker loads a model once and shares it.

Loaded lazily after the fork (first request, or gunicorn's post_worker_init hook calling `warm`),
never in AppConfig.ready() and never with --preload (each worker owns its stepping thread). A
request costs one indexed query to learn the active version's id; when staff activate another
version, the next request loads it and later requests reuse it, without a restart. With no
version active, textgenrnn's pretrained model serves, so a fresh install answers at once.

A model is served by the exact engine (generator.ml.engine: weights read with h5py, no
TensorFlow in the worker; its step compiled by XLA or run in NumPy, settings.SERVING_ENGINE)
behind the worker's `StreamScheduler`, which batches the streams of
concurrent requests and bounds them (`RAPLYRICS_ENGINE_MAX_STREAMS`). Only a bidirectional
model, which cannot be stepped, falls back to the Keras sampler (and so imports TensorFlow).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings

from generator.models import ModelVersion

if TYPE_CHECKING:
    from generator.ml.engine import Engine
    from generator.ml.lyrics_writer import LineShape
    from generator.ml.originality import CorpusLineIndex
    from generator.ml.streams import StreamSampler
    from generator.ml.weight_files import TextgenrnnFiles

logger = logging.getLogger(__name__)

PRETRAINED_NAME = "textgenrnn pretrained"
# The active model and one other (a request may name a version explicitly).
CACHED_MODELS = 2
# The ModelVersion.metrics key holding the training corpus's words per line.
LINE_SHAPE_METRIC = "line_words"


class ModelUnavailable(Exception):
    """The asked-for model cannot be served; the message says why in one line."""


class UnknownModelVersion(ModelUnavailable):
    """No model version has the asked-for id."""


@dataclass(frozen=True)
class ServedModel:
    version_id: int | None
    name: str
    sampler: StreamSampler
    line_index: CorpusLineIndex
    line_shape: LineShape | None = None  # None: the writer's fallback (no corpus measured)


_lock = threading.Lock()
_cache: OrderedDict[int | None, ServedModel] = OrderedDict()


def active_version_id() -> int | None:
    return ModelVersion.objects.filter(is_active=True).values_list("pk", flat=True).first()


def served_model(*, version_id: int | None = None) -> ServedModel:
    """The given version, else the active one, else the pretrained model; loaded at most once."""
    wanted = version_id if version_id is not None else active_version_id()
    found = _cache.get(wanted)
    if found is not None:
        return found
    with _lock:
        found = _cache.get(wanted)
        if found is None:
            found = _load(wanted)
            _cache[wanted] = found
            while len(_cache) > CACHED_MODELS:
                _close(_cache.popitem(last=False)[1])
        else:
            _cache.move_to_end(wanted)
        return found


def warm() -> ServedModel:
    """Load the active model and run the default request's shapes once (gunicorn's
    post_worker_init calls this, so the first visitor does not pay for first-call costs): one
    stream, and the default request's candidates in every generation slot at once (the compiled
    engine compiles its batch buckets up to that; larger ones compile on first use)."""
    from generator import limits

    served = served_model()
    together = limits.CANDIDATES_DEFAULT * int(settings.GENERATION_SLOTS)
    served.sampler.warm_up(streams=(1, together), max_chars=limits.LINE_MAX_CHARS)
    return served


def clear_cache() -> None:
    with _lock:
        for served in _cache.values():
            _close(served)
        _cache.clear()


def _close(served: ServedModel) -> None:
    """A scheduler left behind finishes its jobs, then its thread ends."""
    close = getattr(served.sampler, "close", None)
    if close is not None:
        close()


def _load(version_id: int | None) -> ServedModel:
    from generator.ml.originality import CorpusLineIndex
    from generator.ml.weight_files import pretrained_files

    if version_id is None:
        logger.info("serving %s", PRETRAINED_NAME)
        return ServedModel(
            version_id=None,
            name=PRETRAINED_NAME,
            sampler=sampler_for(pretrained_files()),
            line_index=CorpusLineIndex.from_texts([]),
        )
    try:
        version = ModelVersion.objects.get(pk=version_id)
    except ModelVersion.DoesNotExist:
        raise UnknownModelVersion(f"there is no model version {version_id}") from None
    files, index_path = fetch_model_files(version)
    sampler = sampler_for(files)
    line_index = CorpusLineIndex.load(index_path) if index_path else CorpusLineIndex.from_texts([])
    logger.info("serving model version %s (%s)", version.pk, version.name)
    return ServedModel(
        version_id=version.pk,
        name=version.name,
        sampler=sampler,
        line_index=line_index,
        line_shape=line_shape_of(version),
    )


def line_shape_of(version: ModelVersion) -> LineShape | None:
    """The words per line of the version's training corpus, stored at registration
    (`metrics["line_words"]`); None for imported and older versions."""
    from generator.ml.lyrics_writer import LineShape

    return LineShape.from_dict((version.metrics or {}).get(LINE_SHAPE_METRIC))


def engine_for(files: TextgenrnnFiles) -> Engine:
    """The exact engine settings.SERVING_ENGINE names for a model (its step compiled by XLA, or
    NumPy); EngineError where the Keras sampler serves instead (a bidirectional model, which
    cannot be stepped, or SERVING_ENGINE "keras"). The evaluation writes with it too, so it
    measures what the API serves."""
    from generator.ml.engine import Engine, EngineError

    choice = settings.SERVING_ENGINE
    if choice == "keras":
        raise EngineError("RAPLYRICS_SERVING_ENGINE=keras")
    if choice == "numpy":
        return Engine.from_files(files, backend="numpy")
    _cache_compiled_programs(Path(settings.XLA_CACHE_DIR))
    return Engine.from_files(files, backend="xla", lanes=int(settings.ENGINE_LANES))


def sampler_for(files: TextgenrnnFiles) -> StreamSampler:
    """The worker's batching exact engine for a model (`engine_for`); the Keras sampler for a
    bidirectional model or when SERVING_ENGINE says "keras"."""
    from generator.ml.batching import StreamScheduler
    from generator.ml.engine import EngineError

    try:
        engine = engine_for(files)
    except EngineError as error:
        from generator.ml.sampling import Sampler
        from generator.ml.weights import load_textgenrnn

        logger.info("%s: using the Keras sampler", error)
        loaded = load_textgenrnn(files)
        return Sampler(model=loaded.model, vocabulary=loaded.vocabulary, config=loaded.config)
    return StreamScheduler(
        engine,
        max_streams=int(settings.ENGINE_MAX_STREAMS),
        retry_after_s=int(settings.ENGINE_RETRY_AFTER_S),
    )


def _cache_compiled_programs(directory: Path) -> None:
    """JAX's persistent compilation cache in `directory`; a folder that cannot be made costs
    only start-up time (each worker compiles its own programs), so it is logged, not raised."""
    from generator.ml.engine_xla import use_compilation_cache

    try:
        use_compilation_cache(directory)
    except OSError as error:
        logger.warning(
            "no XLA compilation cache: %s cannot be created (%s); each worker compiles the "
            "engine's programs itself (check RAPLYRICS_XLA_CACHE_DIR)",
            directory,
            error.strerror or error,
        )


def model_cache_dir(version: ModelVersion) -> Path:
    """Keyed by id *and* weights checksum: an id reused after a database reset never picks up
    another model's cached vocabulary or config."""
    return Path(settings.DATA_DIR) / "model-cache" / f"{version.pk}-{version.weights_sha256[:16]}"


def fetch_model_files(version: ModelVersion) -> tuple[TextgenrnnFiles, Path | None]:
    """The version's files in the local model cache, fetched from artifact storage if missing.

    Downloads are atomic, so a file present in the cache is whole; the weights are checked once
    against the recorded sha256, and a damaged copy is removed (the next load fetches it again)
    rather than served.
    """
    from common.files import digest_file
    from generator.artifacts import ArtifactStoreError, store_from_settings
    from generator.ml.weight_files import TextgenrnnFiles

    folder = model_cache_dir(version)
    store = store_from_settings(settings)
    keys = {"weights": version.weights_key, "vocab": version.vocab_key}
    keys["config"] = version.config_key
    if version.line_index_key:
        keys["index"] = version.line_index_key
    paths = {role: folder / key.rsplit("/", 1)[-1] for role, key in keys.items()}
    try:
        for role, key in keys.items():
            if not paths[role].exists():
                store.get_file(key, paths[role])
    except ArtifactStoreError as error:
        raise ModelUnavailable(f"model version {version.pk} cannot be fetched: {error}") from None
    if digest_file(paths["weights"]).sha256_hex != version.weights_sha256:
        paths["weights"].unlink(missing_ok=True)
        raise ModelUnavailable(
            f"model version {version.pk}'s weights do not match their recorded checksum"
        )
    files = TextgenrnnFiles(weights=paths["weights"], vocab=paths["vocab"], config=paths["config"])
    return files, paths.get("index")
