"""The request and answer bodies of the model server, as pydantic models: they make the
OpenAPI schema (``/openapi.json``) and the interactive docs (``/docs``).

The request body is read by :func:`core.serve.checks.read_texts`, not validated from
:class:`PredictRequest`, so a bad body is told in the server's own sentences; the model
documents it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class PredictRequest(BaseModel):
    """The texts to classify."""

    texts: list[str] = Field(
        min_length=1,
        description="The texts, at most --max-texts of them, each at most --max-chars long.",
        examples=[["a good film", "terrible"]],
    )
    text_pairs: list[str] | None = Field(
        default=None,
        description="A text-pair model only (health's task is pair): the second text of each "
        "pair, one for each of the texts, in their order.",
        examples=[None],
    )


class Prediction(BaseModel):
    """The predicted label of one text and the probability of each label."""

    label: str = Field(description="The most probable label.")
    score: float = Field(description="The probability of that label.")
    probabilities: dict[str, float] = Field(description="The probability of every label.")


class Entity(BaseModel):
    """One entity of a tagged sentence: a run of words of one type."""

    type: str = Field(description="The entity type (PER, LOC, ...).")
    start: int = Field(description="Index of its first word.")
    end: int = Field(description="Index of its last word (inclusive).")
    text: str = Field(description="Its words, joined by spaces.")


class TaggedPrediction(BaseModel):
    """A tagging model's answer (health's task is tagging): the text's words (split at
    spaces), one tag per word and the entities they make."""

    words: list[str] = Field(description="The words of the text, split at spaces.")
    tags: list[str] = Field(description="The predicted tag of each word (IOB).")
    entities: list[Entity] = Field(description="The entities the tags make, in order.")


class LabelsPrediction(Prediction):
    """A multi-label model's answer (health's task is multi_label): every label at or above its
    threshold; ``label`` joins them with ", ", ``score`` is the highest probability and each
    probability is the label's own (a sigmoid)."""

    labels: list[str] = Field(description="Every label at or above its threshold.")
    thresholds: dict[str, float] = Field(
        description="Each label's threshold (chosen on validation)."
    )


class ScorePrediction(BaseModel):
    """A score model's answer (health's task is regression): the predicted number."""

    score: float = Field(description="The predicted score.")
    label: str = Field(description="The score written with three decimals.")


class PredictResponse(BaseModel):
    """One prediction per text, in the order of the texts."""

    predictions: list[LabelsPrediction | Prediction | ScorePrediction | TaggedPrediction]


class Health(BaseModel):
    """The served adapter and this server's caps; a text-pair model also tells
    ``"task": "pair"`` (its requests send ``"text_pairs"`` beside the texts), a multi-label
    model ``"task": "multi_label"`` and its ``"thresholds"``."""

    model_config = ConfigDict(extra="allow")

    status: str = Field(description='"ok" while the server answers.')
    method: str = Field(description="The fine-tuning method of the adapter.")
    base_model: str = Field(description="The base model the adapter was trained on.")
    labels: list[str] = Field(description="The labels the model predicts.")
    max_texts: int = Field(description="Texts one request may hold.")
    max_chars: int = Field(description="Characters one text may hold.")


class Refusal(BaseModel):
    """Why a request was refused."""

    error: str = Field(description="A sentence saying what is wrong and what to do.")


def request_body(max_texts: int, max_chars: int) -> dict[str, Any]:
    """The OpenAPI ``requestBody`` of ``POST /predict``, with this server's caps."""
    schema = PredictRequest.model_json_schema()
    texts = schema["properties"]["texts"]
    texts["maxItems"] = max_texts
    texts["items"]["maxLength"] = max_chars
    return {"required": True, "content": {"application/json": {"schema": schema}}}
