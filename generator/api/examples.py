"""Real requests and answers the API docs (/api/docs/) show, instead of generated placeholders
such as `additionalProp1`. Each is an answer the API gave (names and numbers of the demo model)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample

GENERATE_REQUEST = OpenApiExample(
    "four lines, couplets",
    value={"prefix": "Late night on the corner", "lines": 4, "seed": 7, "rhyme_scheme": "AABB"},
    request_only=True,
)
GENERATE_ANSWER_VALUE = {
    "lyrics": "Late night on the corner where the streetlights hum\n"
    "I count the blocks between me and where I'm from\n"
    "The bus pulls off and leaves me with the rain\n"
    "I write another verse to carry off the pain",
    "lines": [
        "Late night on the corner where the streetlights hum",
        "I count the blocks between me and where I'm from",
        "The bus pulls off and leaves me with the rain",
        "I write another verse to carry off the pain",
    ],
    "model": {"id": 3, "name": "demo"},
    "seed": 7,
    "elapsed_ms": 812,
    "prefix_notes": [],
}
GENERATE_ANSWER = OpenApiExample(
    "four lines written", value=GENERATE_ANSWER_VALUE, response_only=True, status_codes=["200"]
)
GENERATE_STREAM_ANSWER = OpenApiExample(
    "lines as they are chosen, then the whole answer",
    value='{"lines": ["Late night on the corner where the streetlights hum"]}\n'
    '{"lines": ["Late night on the corner where the streetlights hum", '
    '"I count the blocks between me and where I\'m from"]}\n'
    '{"done": {"lyrics": "...", "lines": ["..."], "model": {"id": 3, "name": "demo"}, '
    '"seed": 7, "elapsed_ms": 812, "prefix_notes": []}}\n',
    media_type="application/x-ndjson",
    response_only=True,
    status_codes=["200"],
)
LEGACY_REQUEST = OpenApiExample(
    "a prefix, as the original project sent it", value={"input": "Hey"}, request_only=True
)
LEGACY_ANSWER = OpenApiExample(
    "the lyrics",
    value={"output": "Hey, the city never sleeps tonight\nI keep my notebook open to the light"},
    response_only=True,
    status_codes=["200"],
)
MODELS_ANSWER = OpenApiExample(
    "the demo version served, and the pretrained fallback",
    value={
        "active": 3,
        "models": [
            {
                "id": 3,
                "name": "demo",
                "active": True,
                "source": "trained",
                "created_at": "2026-12-01T09:30:00Z",
                "corpus": {
                    "id": 1,
                    "verses": 480,
                    "distinct_verses": 240,
                    "characters": 98304,
                    "lines": 1920,
                    "augmented": True,
                    "artists": ["North Example"],
                    "sha256": "9f2c…",
                },
                "metrics": {"val_loss": 1.384, "epochs": 6, "objective": "all-positions"},
                "evaluation": {
                    "id": 5,
                    "created_at": "2026-12-01T09:40:00Z",
                    "verses": 24,
                    "first_seed": 1000,
                    "model": {
                        "bits_per_char": 2.012,
                        "rhyme_density": 0.41,
                        "copied_line_share": 0.0,
                        "words_per_line": 9.1,
                    },
                    "corpus": {
                        "bits_per_char": None,
                        "rhyme_density": 0.45,
                        "copied_line_share": 0.0,
                        "words_per_line": 9.4,
                    },
                },
            },
            {
                "id": None,
                "name": "textgenrnn pretrained",
                "active": False,
                "source": "pretrained",
                "created_at": None,
                "corpus": None,
                "metrics": {},
                "evaluation": None,
            },
        ],
    },
    response_only=True,
    status_codes=["200"],
)
