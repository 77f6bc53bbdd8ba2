"""Request and response shapes of the generation API."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from generator import limits
from generator.ml.lyrics_writer import LyricsRequest
from generator.ml.syllables import SyllableRange


@extend_schema_field(
    {
        "oneOf": [
            {
                "type": "number",
                "minimum": limits.TEMPERATURE_MIN,
                "maximum": limits.TEMPERATURE_MAX,
            },
            {
                "type": "array",
                "items": {"type": "number"},
                "minItems": 1,
                "maxItems": limits.TEMPERATURES_MAX_COUNT,
            },
        ]
    }
)
class TemperatureField(serializers.Field):
    """One temperature, or a list of them cycled per line (the original used 0.5, 0.6, 0.7)."""

    default_error_messages = {
        "invalid": "give a number or a list of 1 to {count} numbers",
        "range": "each temperature must be between {low} and {high}; got {value}",
    }

    def to_internal_value(self, data: Any) -> tuple[float, ...]:
        values = data if isinstance(data, list) else [data]
        if not 1 <= len(values) <= limits.TEMPERATURES_MAX_COUNT:
            self.fail("invalid", count=limits.TEMPERATURES_MAX_COUNT)
        out = []
        for value in values:
            if isinstance(value, bool) or not isinstance(value, int | float):
                self.fail("invalid", count=limits.TEMPERATURES_MAX_COUNT)
            if not limits.TEMPERATURE_MIN <= value <= limits.TEMPERATURE_MAX:
                self.fail(
                    "range", low=limits.TEMPERATURE_MIN, high=limits.TEMPERATURE_MAX, value=value
                )
            out.append(float(value))
        return tuple(out)

    def to_representation(self, value: tuple[float, ...]) -> list[float]:
        return list(value)


class StrictIntegerField(serializers.IntegerField):
    """An integer that refuses strings and booleans instead of coercing them."""

    default_error_messages = {"strict": "must be a whole number, not {kind}"}

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("strict", kind=type(data).__name__)
        return super().to_internal_value(data)


class StrictFloatField(serializers.FloatField):
    default_error_messages = {"strict": "must be a number, not {kind}"}

    def to_internal_value(self, data: Any) -> float:
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("strict", kind=type(data).__name__)
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    default_error_messages = {"strict": "must be true or false"}

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("strict")
        return data


class StrictObject(serializers.Serializer):
    """Refuses what is not an object and fields it does not know, naming them."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": ["send a JSON object"]})
        unknown = sorted(set(data) - set(self.fields))
        if unknown:
            raise serializers.ValidationError(
                {unknown[0]: [f"is not a known field; known fields: {', '.join(self.fields)}"]}
            )
        return super().to_internal_value(data)


class SyllablesInput(StrictObject):
    min = StrictIntegerField(min_value=limits.SYLLABLES_MIN, max_value=limits.SYLLABLES_MAX)
    max = StrictIntegerField(min_value=limits.SYLLABLES_MIN, max_value=limits.SYLLABLES_MAX)

    def validate(self, attrs: dict[str, int]) -> SyllableRange:
        if attrs["min"] > attrs["max"]:
            raise serializers.ValidationError(
                f"min ({attrs['min']}) is more than max ({attrs['max']}); swap them"
            )
        return SyllableRange(attrs["min"], attrs["max"])


class GenerateInput(StrictObject):
    prefix = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        max_length=limits.PREFIX_MAX_CHARS,
        default="",
        error_messages={
            "max_length": f"is too long; the limit is {limits.PREFIX_MAX_CHARS} characters"
        },
    )
    lines = StrictIntegerField(
        required=False,
        default=limits.LINES_DEFAULT,
        min_value=limits.LINES_MIN,
        max_value=limits.LINES_MAX,
    )
    temperature = TemperatureField(required=False, default=limits.TEMPERATURE_DEFAULT)
    top_k = StrictIntegerField(required=False, default=0, min_value=0, max_value=10_000)
    top_p = StrictFloatField(required=False, default=1.0, min_value=0.01, max_value=1.0)
    candidates = StrictIntegerField(
        required=False,
        default=limits.CANDIDATES_DEFAULT,
        min_value=limits.CANDIDATES_MIN,
        max_value=limits.CANDIDATES_MAX,
    )
    rhyme_scheme = serializers.ChoiceField(
        choices=limits.RHYME_SCHEMES,
        required=False,
        default=limits.RHYME_SCHEME_DEFAULT,
        help_text=(
            "Which lines rhyme: AABB (each line 2, 4, ... with the line before), ABAB (lines 3 "
            "and 4 of each four with lines 1 and 2), free (none aimed at)."
        ),
        error_messages={
            "invalid_choice": (
                f"{{input}} is not a rhyme scheme; choose one of {', '.join(limits.RHYME_SCHEMES)}"
            )
        },
    )
    seed = StrictIntegerField(required=False, min_value=0, max_value=limits.SEED_MAX)
    model = StrictIntegerField(required=False, min_value=1)
    debug = StrictBooleanField(required=False, default=False)
    syllables = SyllablesInput(
        required=False,
        allow_null=True,
        help_text='Syllables each line should have: {"min": 8, "max": 10}; null: no target.',
    )

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict) and "prefix" in data and not isinstance(data["prefix"], str):
            raise serializers.ValidationError({"prefix": ["must be a string"]})
        return super().to_internal_value(data)

    def to_request(self) -> LyricsRequest:
        """The model core's one typed request (validated here, once, for the API)."""
        values = self.validated_data
        return LyricsRequest(
            prefix=values["prefix"],
            lines=values["lines"],
            temperature=values["temperature"],
            top_k=values["top_k"] or None,
            top_p=values["top_p"] if values["top_p"] < 1.0 else None,
            candidates=values["candidates"],
            rhyme_scheme=values["rhyme_scheme"],
            syllables=values.get("syllables"),
            seed=values.get("seed"),
            max_line_chars=limits.LINE_MAX_CHARS,
        )


class ModelRef(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()


class GenerateOutput(serializers.Serializer):
    lyrics = serializers.CharField()
    lines = serializers.ListField(child=serializers.CharField())
    model = ModelRef()
    seed = serializers.IntegerField()
    elapsed_ms = serializers.IntegerField()
    prefix_notes = serializers.ListField(child=serializers.CharField())
    candidates = serializers.ListField(
        child=serializers.DictField(), required=False, help_text="Only with debug=true."
    )
    syllables = serializers.ListField(
        child=serializers.IntegerField(), help_text="Each line's syllables."
    )
    takes = serializers.ListField(
        child=serializers.ListField(child=serializers.DictField()),
        help_text="Each line's takes, best first ({text, syllables}; the first is the line); "
        "empty for the prefix's own lines.",
    )


class LegacyInput(serializers.Serializer):
    input = serializers.CharField(
        allow_blank=True,
        trim_whitespace=False,
        max_length=limits.PREFIX_MAX_CHARS,
        error_messages={
            "max_length": f"is too long; the limit is {limits.PREFIX_MAX_CHARS} characters"
        },
    )


class LegacyOutput(serializers.Serializer):
    output = serializers.CharField()


class QualitySummary(serializers.Serializer):
    bits_per_char = serializers.FloatField(
        allow_null=True, help_text="Held-out loss in bits per character (lower is better)."
    )
    rhyme_density = serializers.FloatField(
        allow_null=True, help_text="Mean rhyme length in vowels (Malmi et al.)."
    )
    copied_line_share = serializers.FloatField(
        allow_null=True, help_text="Share of lines that are lines of the training corpus."
    )
    words_per_line = serializers.FloatField(allow_null=True)


class EvaluationSummaryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    verses = serializers.IntegerField(allow_null=True, help_text="Verses written and measured.")
    first_seed = serializers.IntegerField(allow_null=True)
    model = QualitySummary(help_text="The version's generated verses.")
    corpus = QualitySummary(help_text="The verses its training run held out, measured alike.")


class WritersKeptOutput(serializers.Serializer):
    drafts = serializers.IntegerField(help_text="Co-written drafts saved.")
    model_lines = serializers.IntegerField(help_text="Lines it wrote, in those drafts.")
    alternative_picks = serializers.IntegerField(
        help_text="Of those, lines where the writer picked another take than its first."
    )
    first_take_share = serializers.FloatField(
        allow_null=True, help_text="Share of its saved lines where its own first take was kept."
    )
    person_lines = serializers.IntegerField(help_text="Lines a person wrote in those drafts.")
    good = serializers.IntegerField(help_text="Drafts staff marked good.")
    bad = serializers.IntegerField(help_text="Drafts staff marked bad.")


class ModelVersionOutput(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()
    active = serializers.BooleanField()
    source = serializers.CharField()
    created_at = serializers.DateTimeField(allow_null=True)
    corpus = serializers.DictField(allow_null=True)
    metrics = serializers.DictField()
    evaluation = EvaluationSummaryOutput(
        allow_null=True, help_text="The latest evaluation (manage.py evaluate); null if none."
    )
    writers = WritersKeptOutput(
        allow_null=True,
        help_text="What writers kept of its co-written verses (saved drafts); null for the "
        "pretrained model.",
    )


class ModelListOutput(serializers.Serializer):
    active = serializers.IntegerField(allow_null=True)
    models = ModelVersionOutput(many=True)
