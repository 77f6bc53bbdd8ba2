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

# Co-writing (generator/api/cowrite_views.py): answers the demo model gave.
_PERSON_LINE = {"text": "We keep it moving through the night", "locked": True, "by_person": True}
_MODEL_LINE = {"text": "The city lights are burning bright"}
COWRITE_REWRITE_REQUEST = OpenApiExample(
    "rewrite the unlocked lines",
    value={"lines": [_PERSON_LINE, _MODEL_LINE], "seed": 5, "candidates": 3},
    request_only=True,
)
COWRITE_LINE_REQUEST = OpenApiExample(
    "rewrite line 1 in 7 to 9 syllables",
    value={
        "lines": [_PERSON_LINE, _MODEL_LINE],
        "index": 1,
        "syllables": {"min": 7, "max": 9},
        "seed": 3,
    },
    request_only=True,
)
COWRITE_CONTINUE_REQUEST = OpenApiExample(
    "add one line",
    value={"lines": [_PERSON_LINE, _MODEL_LINE], "count": 1, "seed": 8, "candidates": 3},
    request_only=True,
)
_WRITTEN_TAKES = [
    "But steam that the studio wester the place",
    "The snucks and the politics on the rooftop",
    "Mass starts a blank a salary and the morning are the game in the tops",
]
_LYRICS = "\n".join([_PERSON_LINE["text"], _MODEL_LINE["text"], _WRITTEN_TAKES[0]])
COWRITE_ANSWER = OpenApiExample(
    "the verse, the written line with its takes",
    value={
        "lines": [
            {**_PERSON_LINE, "syllables": 8, "written": False, "takes": []},
            {
                **_MODEL_LINE,
                "syllables": 8,
                "locked": False,
                "by_person": False,
                "written": False,
                "takes": [],
            },
            {
                "text": _WRITTEN_TAKES[0],
                "syllables": 11,
                "locked": False,
                "by_person": False,
                "written": True,
                "takes": [
                    {"text": text, "syllables": syllables}
                    for text, syllables in zip(_WRITTEN_TAKES, [11, 11, 18], strict=True)
                ],
            },
        ],
        "lyrics": _LYRICS,
        "model": {"id": 1, "name": "demo"},
        "seed": 8,
        "notes": [],
        "elapsed_ms": 390,
    },
    response_only=True,
    status_codes=["200"],
)
_SAVED_LINES = [
    {"text": _PERSON_LINE["text"], "by_person": True, "takes": [], "picked": None},
    {"text": _MODEL_LINE["text"], "by_person": False, "takes": [], "picked": None},
    {"text": _WRITTEN_TAKES[0], "by_person": False, "takes": _WRITTEN_TAKES, "picked": 0},
]
DRAFT_REQUEST = OpenApiExample(
    "save a co-written verse",
    value={
        "lines": _SAVED_LINES,
        "model": 1,
        "seed": 8,
        "rhyme_scheme": "AABB",
        "candidates": 3,
        "temperature": 0.6,
    },
    request_only=True,
)
DRAFT_ANSWER_VALUE = {
    "id": "oacuGNGPAI9cMxO_",
    "url": "/drafts/oacuGNGPAI9cMxO_",
    "lines": [
        {**line, "syllables": syllables}
        for line, syllables in zip(_SAVED_LINES, [8, 8, 11], strict=True)
    ],
    "lyrics": _LYRICS,
    "model": {"id": 1, "name": "demo"},
    "model_active": True,
    "seed": 8,
    "settings": {"rhyme_scheme": "AABB", "syllables": None, "temperature": 0.6, "candidates": 3},
    "created_at": "2026-12-04T17:23:31.022961Z",
    "expires_at": "2027-01-03T17:23:31.022023Z",
}
DRAFT_SAVED = OpenApiExample(
    "the saved draft and its permalink",
    value=DRAFT_ANSWER_VALUE,
    response_only=True,
    status_codes=["201"],
)
DRAFT_FETCHED = OpenApiExample(
    "a saved draft", value=DRAFT_ANSWER_VALUE, response_only=True, status_codes=["200"]
)
