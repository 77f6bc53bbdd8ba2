"""Request and response shapes of the co-writing API (generator.cowriting) and of saved drafts
(generator.drafts). Bounds come from generator.limits (the model core's constants)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from generator import limits
from generator.api.serializers import (
    StrictBooleanField,
    StrictFloatField,
    StrictIntegerField,
    StrictObject,
    SyllablesInput,
)
from generator.cowriting import CowriteMove
from generator.drafts import SavedLine
from generator.ml.cowrite import DraftLine, Move, ShapeControls

# A line's takes: the candidates, their rhyme-aimed endings and syllable-fitted cuts.
TAKES_MAX = limits.CANDIDATES_MAX * 3


SYLLABLES_HELP = (
    "Syllables each line should have, both ends included (CMU dictionary counts, a spelling "
    "estimate for other words); null or absent: no target."
)


class LineInput(StrictObject):
    text = serializers.CharField(
        allow_blank=True,
        trim_whitespace=False,
        max_length=limits.VERSE_LINE_MAX_CHARS,
        error_messages={
            "max_length": f"is too long; the limit is {limits.VERSE_LINE_MAX_CHARS} characters"
        },
    )
    locked = StrictBooleanField(required=False, default=False, help_text="Kept by every move.")
    by_person = StrictBooleanField(required=False, default=False, help_text="A person wrote it.")


class ShapeInput(StrictObject):
    """A verse's shape settings, the same for a co-writing move and a saved draft."""

    rhyme_scheme = serializers.ChoiceField(
        choices=limits.RHYME_SCHEMES,
        required=False,
        default=limits.RHYME_SCHEME_DEFAULT,
        error_messages={
            "invalid_choice": (
                f"{{input}} is not a rhyme scheme; choose one of {', '.join(limits.RHYME_SCHEMES)}"
            )
        },
    )
    syllables = SyllablesInput(required=False, allow_null=True, help_text=SYLLABLES_HELP)
    temperature = StrictFloatField(
        required=False,
        default=limits.COWRITE_TEMPERATURE,
        min_value=limits.TEMPERATURE_MIN,
        max_value=limits.TEMPERATURE_MAX,
        help_text=f"From {limits.TEMPERATURE_MIN} (safe) to {limits.TEMPERATURE_MAX} (wild).",
    )
    candidates = StrictIntegerField(
        required=False,
        default=limits.CANDIDATES_DEFAULT,
        min_value=limits.CANDIDATES_MIN,
        max_value=limits.CANDIDATES_MAX,
        help_text="Takes drawn per line; the best is written, the others offered.",
    )


class CowriteInput(ShapeInput):
    """A verse and a move's shape. `lines` are the verse as it stands."""

    lines = LineInput(many=True, max_length=limits.LINES_MAX)
    seed = StrictIntegerField(required=False, min_value=0, max_value=limits.SEED_MAX)
    model = StrictIntegerField(required=False, min_value=1)

    move: Move = "rewrite"

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        for number, line in enumerate(attrs["lines"], start=1):
            if "\n" in line["text"] or "\r" in line["text"]:
                raise serializers.ValidationError(
                    {"lines": [f"line {number} holds a line break; send one line per entry"]}
                )
            if line["locked"] and not line["text"].strip():
                raise serializers.ValidationError(
                    {"lines": [f"line {number} is locked but empty; write it or unlock it"]}
                )
        return attrs

    def to_move(self) -> CowriteMove:
        values = self.validated_data
        return CowriteMove(
            kind=self.move,
            lines=tuple(DraftLine(**line) for line in values["lines"]),
            controls=ShapeControls(
                rhyme_scheme=values["rhyme_scheme"],
                syllables=values.get("syllables"),
                temperature=values["temperature"],
                candidates=values["candidates"],
            ),
            index=values.get("index", 0),
            count=values.get("count", 1),
            seed=values.get("seed"),
        )


class RewriteInput(CowriteInput):
    """Rewrite every unlocked line; locked lines stay verbatim."""

    move = "rewrite"

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if not attrs["lines"]:
            raise serializers.ValidationError({"lines": ["the verse has no lines to rewrite"]})
        return attrs


class RewriteLineInput(CowriteInput):
    """Rewrite line `index` (0-based) given all the others."""

    move = "line"
    index = StrictIntegerField(min_value=0, help_text="The line to rewrite, 0-based.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        index, count = attrs["index"], len(attrs["lines"])
        if index >= count:
            last = f"0 to {count - 1}" if count else "none: the verse is empty"
            raise serializers.ValidationError(
                {"index": [f"{index} is out of range; the verse's lines are {last}"]}
            )
        if attrs["lines"][index]["locked"]:
            raise serializers.ValidationError(
                {"index": [f"line {index + 1} is locked; unlock it to rewrite it"]}
            )
        return attrs


class ContinueInput(CowriteInput):
    """Add `count` lines at the end of the verse."""

    move = "continue"
    count = StrictIntegerField(required=False, default=1, min_value=1, max_value=limits.LINES_MAX)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if len(attrs["lines"]) + attrs["count"] > limits.LINES_MAX:
            raise serializers.ValidationError(
                {
                    "count": [
                        f"a verse has at most {limits.LINES_MAX} lines; "
                        f"{len(attrs['lines'])} + {attrs['count']} is more"
                    ]
                }
            )
        return attrs


class TakeOutput(serializers.Serializer):
    text = serializers.CharField()
    syllables = serializers.IntegerField()


class LineOutput(serializers.Serializer):
    text = serializers.CharField()
    syllables = serializers.IntegerField()
    locked = serializers.BooleanField()
    by_person = serializers.BooleanField()
    written = serializers.BooleanField(help_text="Written by this move.")
    takes = TakeOutput(
        many=True, help_text="Lines this move wrote: the acceptable takes, best first (0 = kept)."
    )


class ModelRefOutput(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()


class CowriteOutput(serializers.Serializer):
    lines = LineOutput(many=True)
    lyrics = serializers.CharField()
    model = ModelRefOutput()
    seed = serializers.IntegerField()
    notes = serializers.ListField(child=serializers.CharField())
    elapsed_ms = serializers.IntegerField()


# -- drafts --------------------------------------------------------------------------------------


class SavedLineInput(StrictObject):
    text = serializers.CharField(
        trim_whitespace=False,
        max_length=limits.VERSE_LINE_MAX_CHARS,
        error_messages={
            "max_length": f"is too long; the limit is {limits.VERSE_LINE_MAX_CHARS} characters",
            "blank": "is empty; remove the line or write it",
        },
    )
    by_person = StrictBooleanField(required=False, default=False)
    takes = serializers.ListField(
        child=serializers.CharField(max_length=limits.VERSE_LINE_MAX_CHARS, trim_whitespace=False),
        required=False,
        default=list,
        max_length=TAKES_MAX,
        help_text="The takes offered for the line, best first.",
    )
    picked = StrictIntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=0,
        help_text="The take kept (0: the model's own pick); null for a person's line.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        picked, takes = attrs["picked"], attrs["takes"]
        if picked is not None and picked >= len(takes):
            raise serializers.ValidationError(
                f"picked take {picked} is out of range; the line has {len(takes)} takes"
            )
        return attrs


class DraftInput(ShapeInput):
    lines = SavedLineInput(many=True, min_length=1, max_length=limits.LINES_MAX)
    model = StrictIntegerField(
        required=False, allow_null=True, min_value=1, help_text="null: the pretrained model."
    )
    seed = StrictIntegerField(
        required=False, allow_null=True, min_value=0, max_value=limits.SEED_MAX
    )

    def saved_lines(self) -> list[SavedLine]:
        return [
            SavedLine(
                text=line["text"],
                by_person=line["by_person"],
                takes=tuple(line["takes"]),
                picked=line["picked"],
            )
            for line in self.validated_data["lines"]
        ]

    def shape(self) -> dict[str, Any]:
        values = self.validated_data
        syllables = values.get("syllables")
        return {
            "rhyme_scheme": values["rhyme_scheme"],
            "syllables": syllables.as_dict() if syllables is not None else None,
            "temperature": values["temperature"],
            "candidates": values["candidates"],
        }


class SavedLineOutput(serializers.Serializer):
    text = serializers.CharField()
    syllables = serializers.IntegerField()
    by_person = serializers.BooleanField()
    picked = serializers.IntegerField(allow_null=True)
    takes = serializers.ListField(child=serializers.CharField())


class DraftOutput(serializers.Serializer):
    id = serializers.CharField(help_text="The draft's key, as in its permalink.")
    url = serializers.CharField(help_text="The permalink page.")
    lines = SavedLineOutput(many=True)
    lyrics = serializers.CharField()
    model = ModelRefOutput()
    model_active = serializers.BooleanField(
        help_text="Whether the model that wrote it is still served."
    )
    seed = serializers.IntegerField(allow_null=True)
    settings = serializers.DictField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True, help_text="null: kept.")
