"""Request envelopes and answers that only the JSON API has (pydantic v2).

The records they carry (entries, matches, submissions) are ``server/records.py``;
the OpenAPI document is generated from both.
"""

from __future__ import annotations

from typing import Any, Literal, TypeVar

from pydantic import BaseModel, Field, ValidationError

from ..errors import ApiError
from ..records import EntryOut, EntryPatch, Id, NegativeOut, Strict, Url, VideoOut

M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], body: dict[str, Any]) -> M:
    """``body`` as ``model``, or a 400 naming every field that is wrong."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'body'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ApiError("invalid_request", problems) from None


class EntryList(BaseModel):
    items: list[EntryOut]
    next: str | None = Field(description="URL of the next page, or null on the last one.")


class FingerprintImage(BaseModel):
    id: int
    codes: str = Field(description="The image's PDQ hashes, 32 bytes each, in base64.")
    frame_time_s: float | None = Field(None, description="A frame of a video: where in it.")


class FingerprintEntry(BaseModel):
    id: int
    images: list[FingerprintImage]


class Thresholds(BaseModel):
    match: int = Field(description="Most PDQ bits apart for a match.")
    possible: int = Field(description="Most PDQ bits apart for a possible match.")
    min_quality: int = Field(description="Pictures of lower PDQ quality are too flat to match.")


class FingerprintPage(BaseModel):
    version: int = Field(description="Pass it as `since` next time, to get only what changed.")
    reset: bool = Field(description="Drop the copy you hold before applying this page.")
    entries: list[FingerprintEntry] = Field(description="Published entries, new or changed.")
    deleted: list[int] = Field(description="Entries no longer published: drop them.")
    next: str | None = Field(description="URL of the next page, or null on the last one.")
    thresholds: Thresholds


class CheckRequestUrl(Strict):
    url: Url


class HashQuery(Strict):
    pdq: str = Field(pattern=r"^[0-9a-fA-F]{64}$")


class CheckRequestHashes(Strict):
    hashes: HashQuery


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    entries: int
    images: int
    index_size: int = Field(description="PDQ hashes in this worker's index.")
    feature_images: int = Field(description="Images with local features (stage 2).")
    index_version: int
    store: str
    redis: str


class VideoStatusBody(VideoOut):
    status_url: str = Field(description="Poll this until status is done or failed.")


class VideoStatus(BaseModel):
    """The answer about a reference video (``POST .../videos``, ``GET /videos/<id>``)."""

    video: VideoStatusBody


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorBody


class EntryEdit(EntryPatch):
    version: int = Field(description="The version the edit was based on (409 if it moved).")


class RejectRequest(Strict):
    reason: str = Field(min_length=1, max_length=2000)


class MergeRequest(Strict):
    entry_id: Id


class EntryStatusChange(Strict):
    status: Literal["published", "disabled", "retracted"]
    reason: str | None = Field(
        default=None, max_length=2000, description="Why it is taken down: its notice shows it."
    )


class InfoRequest(Strict):
    message: str = Field(min_length=1, max_length=2000)


# --- responses of the volunteers' and moderators' operations (documented in openapi) ---


class SubmissionAccepted(BaseModel):
    id: int
    status: str
    status_url: str = Field(description="Where the reporter reads the status (holds a token).")


class SubmissionStatus(BaseModel):
    id: int
    status: str
    reason: str | None = Field(description="The moderator's note, if any.")
    entry_id: int | None = Field(description="The entry it became or joined, once approved.")


class LineResult(BaseModel):
    line: int
    id: int | None = None
    status: str | None = None
    error: ErrorBody | None = None


class BulkResult(BaseModel):
    items: list[LineResult]


class SubmissionList(BaseModel):
    items: list[dict[str, Any]] = Field(description="Reports, with what each looks like.")
    next: str | None


class EntryEnvelope(BaseModel):
    entry: EntryOut


class VersionConflictResponse(ErrorResponse):
    current: dict[str, Any] = Field(description="The entry as it is saved now.")


class ReviewStatus(BaseModel):
    id: int
    status: str


class StatusChange(Strict):
    status: str = Field(description="The new status.")


class NegativeItem(NegativeOut):
    thumbnail_url: str


class NegativeEnvelope(BaseModel):
    negative: NegativeItem


class NegativeList(BaseModel):
    items: list[NegativeItem]
    next: str | None


class ItemList(BaseModel):
    items: list[dict[str, Any]]


class PageCheckReport(BaseModel):
    url: str
    images: list[dict[str, Any]] = Field(description="One row per image, errors included.")


class Recorded(BaseModel):
    status: str
