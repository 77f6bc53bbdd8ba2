"""Exact textgenrnn sampling in plain NumPy, one LSTM step per token (no Keras, no TensorFlow).

textgenrnn reads each next token from a fresh zero-state pass over the last `max_length` (S)
tokens, left-padded with 0 (padding goes through the embedding, the LSTMs and the attention like
any token). The same numbers come from one step per token: a stream keeps S window states, the
windows starting at each of its last S positions, and every new token advances all of them by one
step. Each window's attention average is kept as running max-shifted sums (numerator vector,
denominator, running max), so reading it costs one division. The window that has just consumed S
tokens gives the distribution; it is then restarted (zero state) at the newest position. Same
multiply-adds as the re-run, S times fewer sequential steps, and every window of every stream is
one row of one matrix per layer: B streams step as (S*B) x H GEMMs.

A stream starts from its context as textgenrnn's first window: the last S context tokens,
left-padded with 0. Window j (j = 0..S-1) starts at that window's position j, so the prefill runs
S steps in which only windows 0..i are fed (the others are still zero); window 0 is then full.

Layout, per stream batch of B: row s*B + b holds stream b's window s. `hidden` holds per row
[embedding of the token just fed, h_1, .., h_N] (the attention's input, textgenrnn's rnn_concat),
`cells` the LSTM cells, `att_num` / `att_den` / `att_max` the attention sums. `phase[b]` is the
window of stream b that is full. The sigmoid gates use sigmoid(x) = (tanh(x/2) + 1) / 2 with the
kernels' sigmoid columns pre-scaled by 1/2 (exact in float), so one tanh covers all four gates.

Sampling (`draw_tokens`) is `generator.ml.sampling.next_tokens` in NumPy: same temperature
(log(p + 1e-7) / T, 0 = greedy), top_k, top_p, padding never drawn, inverse CDF in class order
with the stream's uniforms (`streams.stream_uniforms`), so a seed draws the same tokens from
either engine as long as the probabilities agree (they do to ~1e-7; see tests/engine).
Bidirectional models cannot be stepped (their backward pass starts at the window's end): the
engine refuses them and the Keras `Sampler` serves them.

Two backends step the windows (`Engine(..., backend=)`): "numpy", the `Stepper` below, and "xla",
`generator.ml.engine_xla.XlaStepper`, the same arithmetic as one compiled JAX call per step
(faster on CPU where NumPy's per-call overhead bounds a small batch; bench/generation_speed.py).
Both give the scheduler and the writer the same interface (`Steps`, `StepStates`).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np

from generator.ml.config import MLError, ModelConfig
from generator.ml.streams import (
    LOG_EPSILON,
    MASKED_LOGIT,
    MAX_STREAMS,
    GenerationResult,
    SamplingControls,
    SamplingError,
    StopReason,
    StreamOutput,
    StreamRequest,
    check_seed,
    prepare_prefix,
    stream_uniforms,
)
from generator.ml.vocab import Vocabulary
from generator.ml.weight_files import (
    TextgenrnnFiles,
    WeightsError,
    pretrained_files,
    read_config,
    read_layer_weights,
    standard_lstm_weights,
)

# Keras 2's K.epsilon() in textgenrnn's attention normaliser.
_ATTENTION_EPSILON = np.float32(1e-7)
_GATES = 4
# Finished streams whose states are kept for a next line (about 155 KB each for the pretrained).
REMEMBERED_STREAMS = 32

EngineBackend = Literal["numpy", "xla"]
ENGINE_BACKENDS: tuple[EngineBackend, ...] = ("numpy", "xla")
# How many lanes a stream batch deals its streams into (StreamBatch), by backend.
LANES: dict[EngineBackend, int] = {"numpy": 1, "xla": 2}


class EngineError(MLError):
    """The model cannot be run by the NumPy engine (e.g. a bidirectional model)."""


# -- the network as arrays -----------------------------------------------------------------------


@dataclass(frozen=True)
class NetworkArrays:
    """textgenrnn's weights laid out for stepping (see the module docstring)."""

    embedding: np.ndarray  # (classes, E)
    input_kernel: np.ndarray  # layer 1: (E, 4H), gate columns i, f, o, g
    recurrent_kernel: np.ndarray  # layer 1: (H, 4H)
    first_bias: np.ndarray  # layer 1: (4H,)
    stacked_kernels: tuple[np.ndarray, ...]  # layers 2..N: [W; U] (2H, 4H)
    stacked_biases: tuple[np.ndarray, ...]
    attention: np.ndarray  # (D,), D = E + N * H
    output_kernel: np.ndarray  # (D, classes)
    output_bias: np.ndarray  # (classes,)
    window: int

    @property
    def units(self) -> int:
        return int(self.recurrent_kernel.shape[0])

    @property
    def layers(self) -> int:
        return 1 + len(self.stacked_kernels)

    @property
    def embedding_dim(self) -> int:
        return int(self.embedding.shape[1])

    @property
    def num_classes(self) -> int:
        return int(self.embedding.shape[0])

    @classmethod
    def from_layers(cls, layers: dict[str, list[np.ndarray]], config: ModelConfig) -> NetworkArrays:
        """From a textgenrnn weights file's arrays (`weight_files.read_layer_weights`)."""
        if config.rnn_bidirectional:
            raise EngineError(
                "a bidirectional model cannot be stepped one token at a time; "
                "the Keras sampler serves it"
            )
        try:
            embedding = layers["embedding"][0]
            lstm = [
                standard_lstm_weights(*layers[f"rnn_{n}"][:3])
                for n in range(1, config.rnn_layers + 1)
            ]
            attention = layers["attention"][0][:, 0]
            output_kernel, output_bias = layers["output"][:2]
        except (KeyError, IndexError, ValueError) as error:
            raise WeightsError(f"the weights lack a layer the config names: {error}") from None
        units = config.rnn_size
        expected_d = config.dim_embeddings + config.rnn_layers * units
        if embedding.shape[1] != config.dim_embeddings or attention.shape != (expected_d,):
            raise WeightsError(
                f"the weights do not fit the config ({config.rnn_layers} x {units} LSTM, "
                f"{config.dim_embeddings}-dim embedding)"
            )
        prepared = [[_gate_layout(kernel, units) for kernel in arrays] for arrays in lstm]
        return cls(
            embedding=_f32(embedding),
            input_kernel=prepared[0][0],
            recurrent_kernel=prepared[0][1],
            first_bias=prepared[0][2],
            stacked_kernels=tuple(np.vstack([k, u]) for k, u, _ in prepared[1:]),
            stacked_biases=tuple(b for _, _, b in prepared[1:]),
            attention=_f32(attention),
            output_kernel=_f32(output_kernel),
            output_bias=_f32(output_bias),
            window=config.max_length,
        )


def _f32(array: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(array, dtype=np.float32)


def _gate_layout(array: np.ndarray, units: int) -> np.ndarray:
    """Keras' gate order i, f, c, o -> i, f, o, c, the sigmoid gates' columns halved."""
    i, f, c, o = np.split(np.asarray(array, dtype=np.float32), _GATES, axis=-1)
    return _f32(np.concatenate([i * 0.5, f * 0.5, o * 0.5, c], axis=-1))


# -- window states ---------------------------------------------------------------------------------


class WindowStates:
    """The S window states of B streams (rows s*B + b), and which window of each is full."""

    def __init__(
        self,
        *,
        hidden: np.ndarray,
        cells: np.ndarray,
        att_num: np.ndarray,
        att_den: np.ndarray,
        att_max: np.ndarray,
        phase: np.ndarray,
        window: int,
    ) -> None:
        self.hidden, self.cells = hidden, cells
        self.att_num, self.att_den, self.att_max = att_num, att_den, att_max
        self.phase = phase
        self.window = window

    @property
    def batch(self) -> int:
        return int(self.phase.shape[0])

    @classmethod
    def zeros(cls, network: NetworkArrays, batch: int) -> WindowStates:
        rows = network.window * batch
        width = network.embedding_dim + network.layers * network.units
        return cls(
            hidden=np.zeros((rows, width), dtype=np.float32),
            cells=np.zeros((rows, network.layers * network.units), dtype=np.float32),
            att_num=np.zeros((rows, width), dtype=np.float32),
            att_den=np.zeros((rows,), dtype=np.float32),
            att_max=np.full((rows,), -np.inf, dtype=np.float32),
            phase=np.zeros((batch,), dtype=np.int64),
            window=network.window,
        )

    def full_rows(self) -> np.ndarray:
        return self.phase * self.batch + np.arange(self.batch)

    def restart(self, rows: np.ndarray) -> None:
        self.hidden[rows] = 0.0
        self.cells[rows] = 0.0
        self.att_num[rows] = 0.0
        self.att_den[rows] = 0.0
        self.att_max[rows] = -np.inf

    def _per_stream(self, array: np.ndarray) -> np.ndarray:
        return array.reshape(self.window, self.batch, *array.shape[1:])

    def take(self, streams: Sequence[int] | np.ndarray) -> WindowStates:
        """A new state holding only these streams (in this order; repeats copy a stream)."""
        index = np.asarray(streams, dtype=np.int64)

        def pick(array: np.ndarray) -> np.ndarray:
            picked = self._per_stream(array)[:, index]
            return np.ascontiguousarray(picked.reshape(-1, *array.shape[1:]))

        return WindowStates(
            hidden=pick(self.hidden),
            cells=pick(self.cells),
            att_num=pick(self.att_num),
            att_den=pick(self.att_den),
            att_max=pick(self.att_max),
            phase=self.phase[index].copy(),
            window=self.window,
        )

    @classmethod
    def concat(cls, parts: Sequence[WindowStates]) -> WindowStates:
        if len(parts) == 1:
            return parts[0]
        window = parts[0].window

        def join(name: str) -> np.ndarray:
            arrays = [part._per_stream(getattr(part, name)) for part in parts]
            joined = np.concatenate(arrays, axis=1)
            return joined.reshape(-1, *joined.shape[2:])

        return cls(
            hidden=join("hidden"),
            cells=join("cells"),
            att_num=join("att_num"),
            att_den=join("att_den"),
            att_max=join("att_max"),
            phase=np.concatenate([part.phase for part in parts]),
            window=window,
        )


# -- the step -------------------------------------------------------------------------------------


class StepStates(Protocol):
    """What the batch and the writer use of a backend's window states."""

    phase: np.ndarray

    @property
    def batch(self) -> int: ...

    def take(self, streams: Sequence[int] | np.ndarray) -> StepStates: ...


class Steps(Protocol):
    """A backend's stepper: `Stepper` (NumPy) or `engine_xla.XlaStepper` (compiled)."""

    network: NetworkArrays

    def start(self, contexts: Sequence[Sequence[int]]) -> StepStates: ...

    def advance(self, states: Any, tokens: np.ndarray) -> None: ...

    def probabilities(self, states: Any) -> np.ndarray: ...

    def concat(self, parts: Sequence[Any]) -> StepStates: ...


def make_stepper(network: NetworkArrays, backend: EngineBackend) -> Steps:
    """The stepper of a backend; "xla" imports JAX (not TensorFlow) on first use."""
    if backend == "xla":
        from generator.ml.engine_xla import XlaStepper

        return XlaStepper(network)
    if backend == "numpy":
        return Stepper(network)
    raise EngineError(
        f"unknown engine backend {backend!r}; use one of {', '.join(ENGINE_BACKENDS)}"
    )


class Stepper:
    """Advances window states by one token; reads the full windows' distributions."""

    def __init__(self, network: NetworkArrays) -> None:
        self.network = network

    def concat(self, parts: Sequence[WindowStates]) -> WindowStates:
        return WindowStates.concat(parts)

    def start(self, contexts: Sequence[Sequence[int]]) -> WindowStates:
        """States for streams continuing these contexts (token ids), textgenrnn's first window."""
        net = self.network
        window = net.window
        padded = np.zeros((len(contexts), window), dtype=np.int64)
        for row, context in enumerate(contexts):
            tail = list(context)[-window:]
            if tail:
                padded[row, window - len(tail) :] = tail
        states = WindowStates.zeros(net, len(contexts))
        for position in range(window):
            self._feed(states, padded[:, position], windows=position + 1)
        return states

    def advance(self, states: WindowStates, tokens: np.ndarray) -> None:
        """Restart each stream's full window, then feed every window the stream's new token."""
        states.restart(states.full_rows())
        self._feed(states, tokens, windows=states.window)
        states.phase = (states.phase + 1) % states.window

    def probabilities(self, states: WindowStates) -> np.ndarray:
        """(B, classes): each stream's next-token distribution, from its full window."""
        net = self.network
        rows = states.full_rows()
        averaged = states.att_num[rows] / (states.att_den[rows] + _ATTENTION_EPSILON)[:, None]
        logits: np.ndarray = averaged @ net.output_kernel
        logits += net.output_bias
        logits -= logits.max(axis=-1, keepdims=True)
        np.exp(logits, out=logits)
        logits /= logits.sum(axis=-1, keepdims=True)
        return logits

    def _feed(self, states: WindowStates, tokens: np.ndarray, *, windows: int) -> None:
        """Feed one token per stream to the first `windows` windows of every stream."""
        net = self.network
        batch = states.batch
        rows = windows * batch
        emb_dim, units = net.embedding_dim, net.units
        hidden = states.hidden[:rows]
        cells = states.cells[:rows]
        embedded = net.embedding[tokens]  # (B, E)
        hidden.reshape(windows, batch, -1)[:, :, :emb_dim] = embedded

        # Layer 1: the input projection is the same for all windows of a stream.
        projected = embedded @ net.input_kernel
        projected += net.first_bias
        gates = hidden[:, emb_dim : emb_dim + units] @ net.recurrent_kernel
        gates.reshape(windows, batch, -1)[...] += projected
        _lstm_cell(gates, cells[:, :units], hidden[:, emb_dim : emb_dim + units], units)
        for layer, (kernel, bias) in enumerate(
            zip(net.stacked_kernels, net.stacked_biases, strict=True), start=2
        ):
            below = emb_dim + (layer - 2) * units
            gates = hidden[:, below : below + 2 * units] @ kernel
            gates += bias
            own = slice(emb_dim + (layer - 1) * units, emb_dim + layer * units)
            cell = cells[:, (layer - 1) * units : layer * units]
            _lstm_cell(gates, cell, hidden[:, own], units)

        # Attention: running max-shifted sums of exp(logit) * input and exp(logit).
        logits = hidden @ net.attention
        att_max = states.att_max[:rows]
        new_max = np.maximum(att_max, logits)
        rescale = np.exp(att_max - new_max)
        weight = np.exp(logits - new_max)
        att_den = states.att_den[:rows]
        att_den *= rescale
        att_den += weight
        att_num = states.att_num[:rows]
        att_num *= rescale[:, None]
        att_num += hidden * weight[:, None]
        att_max[...] = new_max


def _lstm_cell(gates: np.ndarray, cell: np.ndarray, out: np.ndarray, units: int) -> None:
    """Keras' LSTM cell on pre-activations laid out i, f, o (halved), c; writes h into `out`."""
    np.tanh(gates, out=gates)
    sigmoid = gates[:, : 3 * units]
    sigmoid *= 0.5
    sigmoid += 0.5
    input_gate = gates[:, :units]
    forget_gate = gates[:, units : 2 * units]
    output_gate = gates[:, 2 * units : 3 * units]
    candidate = gates[:, 3 * units :]
    cell *= forget_gate
    candidate *= input_gate
    cell += candidate
    np.tanh(cell, out=candidate)
    np.multiply(output_gate, candidate, out=out)


# -- drawing ------------------------------------------------------------------------------------


def draw_tokens(
    probabilities: np.ndarray,
    uniforms: np.ndarray,
    *,
    temperature: np.ndarray,
    top_k: np.ndarray,
    top_p: np.ndarray,
) -> np.ndarray:
    """`sampling.next_tokens` in NumPy: one class per row, by inverse CDF (see its docstring)."""
    num_classes = probabilities.shape[-1]
    temperature = temperature.astype(np.float32)
    greedy = temperature <= 0.0
    safe_temperature = np.where(greedy, np.float32(1.0), temperature)
    logits = np.log(probabilities.astype(np.float32) + np.float32(LOG_EPSILON))
    logits /= safe_temperature[:, None]
    logits[:, 0] = MASKED_LOGIT
    weights = np.exp(logits - logits.max(axis=-1, keepdims=True))
    last_kept = np.full(len(logits), num_classes - 1)
    for row in np.flatnonzero(greedy | (top_k > 0) | (top_p < 1.0)):
        sorted_logits = -np.sort(-logits[row])
        shifted = np.exp(sorted_logits - sorted_logits[0])
        sorted_probs = shifted / shifted.sum()
        mass_before = np.cumsum(sorted_probs) - sorted_probs
        keep_sorted = mass_before < np.float32(top_p[row])
        if top_k[row] > 0:
            keep_sorted[top_k[row] :] = False
        if greedy[row]:
            keep_sorted[:] = False
        keep_sorted[0] = True
        threshold = sorted_logits[int(keep_sorted.sum()) - 1]
        keep = logits[row] >= threshold
        weights[row, ~keep] = 0.0
        last_kept[row] = np.flatnonzero(keep)[-1]
    cdf = np.cumsum(weights, axis=-1, dtype=np.float32)
    target = uniforms.astype(np.float32) * cdf[:, -1]
    position = (cdf <= target[:, None]).sum(axis=-1)
    chosen: np.ndarray = np.minimum(position, last_kept).astype(np.int64)
    return chosen


# -- streams --------------------------------------------------------------------------------------


@dataclass
class _Stream:
    """One running stream's bookkeeping."""

    request: StreamRequest
    uniforms: np.ndarray
    tokens: list[int]
    line: int = 0
    log_probs: list[float] = field(default_factory=list)


class _Lane:
    """Streams that step as one call: their states, keys and bookkeeping, in row order."""

    def __init__(self) -> None:
        self.states: Any = None  # the engine backend's states (StepStates)
        self.keys: list[object] = []
        self.streams: list[_Stream] = []


class StreamBatch:
    """Streams stepping together; streams may join between steps (their own context and phase).

    `step()` draws one token for every stream, advances the ones that go on, and returns the
    streams that finished as (key, StreamOutput). `on_token(key, token_id)` hears every kept
    token as it is drawn. `drop(keys)` removes streams whose caller has gone away.

    Lanes: the streams are dealt into `engine.lanes` groups that step as separate calls, one
    after another. With the compiled backend a call returns before its arithmetic is done (JAX
    dispatches it to XLA's thread), so while one lane's step runs, this thread draws the other
    lane's tokens and keeps its books: on two cores a request's host work (drawing, stopping,
    remembering, about a third of a lone request's time) hides behind the arithmetic instead of
    adding to it. Every stream draws from its own uniforms, so the lanes change no token.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.lanes = [_Lane() for _ in range(engine.lanes)]

    def __len__(self) -> int:
        return sum(len(lane.streams) for lane in self.lanes)

    @property
    def keys(self) -> list[object]:
        return [key for lane in self.lanes for key in lane.keys]

    def probabilities(self) -> np.ndarray:
        """(streams, classes): every stream's next distribution, in `keys` order."""
        stepper = self.engine.stepper
        parts = [stepper.probabilities(lane.states) for lane in self.lanes if lane.streams]
        if not parts:
            return np.zeros((0, self.engine.network.num_classes), dtype=np.float32)
        return np.concatenate(parts)

    def add(self, keyed: Sequence[tuple[object, StreamRequest]]) -> None:
        if not keyed:
            return
        for _, request in keyed:
            check_seed(request.seed)
        # Streams continuing the same context share one start (a request's candidates do).
        unique: dict[tuple[int, ...], int] = {}
        for _, request in keyed:
            unique.setdefault(tuple(request.context_ids), len(unique))
        started = self.engine.start_states(list(unique))
        # Deal each stream to the lane with the fewest, so the lanes' calls stay alike.
        dealt: list[list[int]] = [[] for _ in self.lanes]
        sizes = [len(lane.streams) for lane in self.lanes]
        for position in range(len(keyed)):
            lane_index = sizes.index(min(sizes))
            dealt[lane_index].append(position)
            sizes[lane_index] += 1
        stepper = self.engine.stepper
        for lane, positions in zip(self.lanes, dealt, strict=True):
            if not positions:
                continue
            states = started.take(
                [unique[tuple(keyed[position][1].context_ids)] for position in positions]
            )
            lane.states = states if lane.states is None else stepper.concat([lane.states, states])
            for position in positions:
                key, request = keyed[position]
                lane.keys.append(key)
                lane.streams.append(
                    _Stream(
                        request=request,
                        uniforms=stream_uniforms(request.seed, request.controls.max_chars),
                        tokens=[],
                    )
                )

    def drop(self, keys: set[object]) -> None:
        for lane in self.lanes:
            self._keep(lane, [i for i, key in enumerate(lane.keys) if key not in keys])

    @staticmethod
    def _keep(lane: _Lane, kept: list[int]) -> None:
        if len(kept) == len(lane.keys):
            return
        lane.keys = [lane.keys[i] for i in kept]
        lane.streams = [lane.streams[i] for i in kept]
        lane.states = lane.states.take(kept) if kept and lane.states is not None else None

    def step(
        self, on_token: Callable[[object, int], None] | None = None
    ) -> list[tuple[object, StreamOutput]]:
        finished: list[tuple[object, StreamOutput]] = []
        for lane in self.lanes:
            if lane.states is not None and lane.streams:
                finished.extend(self._step_lane(lane, on_token))
        return finished

    def _step_lane(
        self, lane: _Lane, on_token: Callable[[object, int], None] | None
    ) -> list[tuple[object, StreamOutput]]:
        engine = self.engine
        probabilities = engine.stepper.probabilities(lane.states)
        count = len(lane.streams)
        uniforms = np.empty(count, dtype=np.float32)
        temperature = np.empty(count, dtype=np.float32)
        top_k = np.zeros(count, dtype=np.int64)
        top_p = np.ones(count, dtype=np.float32)
        for row, stream in enumerate(lane.streams):
            controls = stream.request.controls
            uniforms[row] = stream.uniforms[len(stream.tokens)]
            temperature[row] = controls.temperature[stream.line % len(controls.temperature)]
            top_k[row] = controls.top_k or 0
            top_p[row] = 1.0 if controls.top_p is None else controls.top_p
        drawn = draw_tokens(
            probabilities, uniforms, temperature=temperature, top_k=top_k, top_p=top_p
        )
        # The model's own probability of each drawn token (fluency, for the lyrics writer).
        drawn_log_probs = np.log(probabilities[np.arange(count), drawn] + LOG_EPSILON)
        finished: list[tuple[object, StreamOutput]] = []
        going: list[int] = []
        for row, (key, stream) in enumerate(zip(lane.keys, lane.streams, strict=True)):
            token = int(drawn[row])
            stream.log_probs.append(float(drawn_log_probs[row]))
            controls = stream.request.controls
            reason: StopReason | None = None
            if token == engine.end_id:
                reason = "end"
            elif token == engine.newline_id and controls.stop_at == "newline":
                reason = "newline"
            else:
                stream.tokens.append(token)
                if on_token is not None:
                    on_token(key, token)
                if token == engine.newline_id:
                    stream.line += 1
                if len(stream.tokens) >= controls.max_chars:
                    reason = "max_chars"
            if reason is None:
                going.append(row)
            else:
                finished.append(
                    (key, engine.output(stream.request, stream.tokens, reason, stream.log_probs))
                )
                if reason != "max_chars" and lane.states is not None:
                    # Its windows hold context + tokens: the next line's context minus its
                    # separator, should this candidate be chosen.
                    context = (*stream.request.context_ids, *stream.tokens)
                    engine.remember(context, lane.states.take([row]))
        if finished:
            self._keep(lane, going)
            drawn = drawn[going]
        if lane.states is not None:
            engine.stepper.advance(lane.states, drawn)
        return finished


# -- the engine -------------------------------------------------------------------------------


class Engine:
    """A sampler over one model; the same interface as `sampling.Sampler` (vocabulary, config,
    end_id, `generate`, `generate_streams`), but NumPy only. Each call runs in the caller's
    thread on its own states, so one Engine may serve several threads at once."""

    def __init__(
        self,
        *,
        network: NetworkArrays,
        vocabulary: Vocabulary,
        config: ModelConfig,
        backend: EngineBackend = "numpy",
        lanes: int | None = None,
    ) -> None:
        if lanes is not None and lanes < 1:
            raise EngineError(f"a stream batch needs at least one lane, got {lanes}")
        if network.num_classes != vocabulary.num_classes:
            raise SamplingError(
                f"the model has {network.num_classes} classes but the vocabulary "
                f"{vocabulary.num_classes}"
            )
        self.network = network
        self.backend = backend
        # StreamBatch's lanes: the compiled step runs while this thread draws the other lane's
        # tokens; NumPy steps in this thread, where a second lane would only add calls.
        self.lanes = lanes if lanes is not None else LANES[backend]
        self.stepper = make_stepper(network, backend)
        self.vocabulary = vocabulary
        self.config = config
        self.window_length = config.max_length
        self.end_id = vocabulary.end_id
        self.newline_id = vocabulary.token_to_id.get("\n", -1)
        self._remembered: OrderedDict[tuple[int, ...], StepStates] = OrderedDict()
        self._remembered_lock = threading.Lock()
        self.continued_starts = 0  # streams started from a remembered stream (one step)

    def remember(self, context: tuple[int, ...], states: StepStates) -> None:
        """Keep the states of a stream that has consumed exactly `context` (a finished line)."""
        with self._remembered_lock:
            self._remembered[context] = states
            self._remembered.move_to_end(context)
            while len(self._remembered) > REMEMBERED_STREAMS:
                self._remembered.popitem(last=False)

    def start_states(self, contexts: Sequence[tuple[int, ...]]) -> StepStates:
        """States for streams continuing these contexts: a remembered stream that consumed all
        but the last token takes one step (a verse's next line after its chosen candidate);
        the others start from textgenrnn's first window (S steps)."""
        found: dict[int, StepStates] = {}
        with self._remembered_lock:
            for index, context in enumerate(contexts):
                remembered = self._remembered.get(context[:-1]) if context else None
                if remembered is not None:
                    found[index] = remembered.take([0])  # a copy: stepping changes it
                    self.continued_starts += 1
        fresh = [index for index in range(len(contexts)) if index not in found]
        parts: list[StepStates] = []
        if fresh:
            parts.append(self.stepper.start([contexts[index] for index in fresh]))
        if found:
            continued = self.stepper.concat(list(found.values()))
            self.stepper.advance(continued, np.array([contexts[i][-1] for i in found]))
            parts.append(continued)
        order = fresh + list(found)
        joined = self.stepper.concat(parts)
        return joined.take([order.index(i) for i in range(len(contexts))])

    @classmethod
    def from_files(
        cls, files: TextgenrnnFiles, *, backend: EngineBackend = "numpy", lanes: int | None = None
    ) -> Engine:
        """Load a textgenrnn trio (config optional: the pretrained's defaults) with h5py."""
        config = read_config(files.config) if files.config is not None else ModelConfig()
        vocabulary = Vocabulary.load(files.vocab, word_level=config.word_level)
        network = NetworkArrays.from_layers(read_layer_weights(Path(files.weights)), config)
        if network.num_classes != vocabulary.num_classes:
            raise WeightsError(
                f"vocabulary {Path(files.vocab).name} has {vocabulary.size} tokens but the "
                f"weights are for {network.num_classes - 1}"
            )
        return cls(
            network=network, vocabulary=vocabulary, config=config, backend=backend, lanes=lanes
        )

    @classmethod
    def pretrained(cls, *, backend: EngineBackend = "numpy", lanes: int | None = None) -> Engine:
        return cls.from_files(pretrained_files(), backend=backend, lanes=lanes)

    @property
    def compilations(self) -> int:
        """Programs compiled so far (the xla backend's buckets; NumPy compiles nothing)."""
        return len(getattr(self.stepper, "compiled", ()))

    def warm_up(self, *, streams: Sequence[int] = (1,), max_chars: int = 120) -> int:
        """Touch every code path once (first-call costs of NumPy/BLAS; the xla backend compiles
        every batch bucket up to max(streams)); returns the programs compiled."""
        before = self.compilations
        prepare = getattr(self.stepper, "warm_up", None)
        if prepare is not None:
            prepare(max_streams=max(streams), lanes=self.lanes)
        controls = SamplingControls(max_chars=min(max_chars, 8))
        for count in streams:
            self.generate_streams(
                [
                    StreamRequest(context_ids=(self.end_id,), seed=i, controls=controls)
                    for i in range(count)
                ]
            )
        return self.compilations - before

    def context_for(self, prefix_ids: tuple[int, ...]) -> tuple[int, ...]:
        """textgenrnn's starting context: `<s>` then the prefix (no `<s>` for single_text)."""
        head: tuple[int, ...] = () if self.config.single_text else (self.end_id,)
        return head + prefix_ids

    def next_probabilities(self, contexts: Sequence[Sequence[int]]) -> np.ndarray:
        """(B, classes): the next-token distribution after each context (textgenrnn's window)."""
        return self.stepper.probabilities(self.stepper.start(contexts))

    def output(
        self,
        request: StreamRequest,
        tokens: Sequence[int],
        reason: StopReason,
        log_probs: Sequence[float] = (),
    ) -> StreamOutput:
        ids = tuple(tokens)
        return StreamOutput(
            seed=int(request.seed),
            text=self.vocabulary.decode(ids),
            token_ids=ids,
            stop_reason=reason,
            log_probs=tuple(log_probs),
        )

    def generate(
        self, *, prefix: str = "", seeds: Sequence[int], controls: SamplingControls
    ) -> GenerationResult:
        started = time.perf_counter()
        prepared = prepare_prefix(prefix, self.vocabulary)
        context = self.context_for(prepared.token_ids)
        streams = self.generate_streams(
            [StreamRequest(context_ids=context, seed=seed, controls=controls) for seed in seeds]
        )
        return GenerationResult(
            prefix=prepared, streams=tuple(streams), elapsed_s=time.perf_counter() - started
        )

    def generate_streams(
        self,
        requests: Sequence[StreamRequest],
        *,
        on_token: Callable[[object, int], None] | None = None,
    ) -> list[StreamOutput]:
        """Run these streams as one batch in this thread; outputs in request order."""
        if not 1 <= len(requests) <= MAX_STREAMS:
            raise SamplingError(f"give 1 to {MAX_STREAMS} streams, got {len(requests)}")
        batch = StreamBatch(self)
        batch.add(list(enumerate(requests)))
        outputs: dict[object, StreamOutput] = {}
        while len(batch):
            outputs.update(batch.step(on_token))
        return [outputs[index] for index in range(len(requests))]
