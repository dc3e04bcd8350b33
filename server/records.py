"""The shared record types: entries, images, checks, submissions (pydantic v2).

The bottom of the package: the store saves these, the check use-case and the API
answer with them, the web pages render them, import and export read and write them.
It imports nothing from the project, so every room can use it and none is pulled up.
Shapes that only the JSON API needs (request envelopes, errors) are in
``server/api/schemas.py``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    UrlConstraints,
    field_validator,
    model_validator,
)

#: schema.org ``MediaManipulationRatingEnumeration`` values an entry can carry.
CATEGORIES = (
    "DecontextualizedContent",
    "EditedOrCroppedContent",
    "TransformedContent",
    "StagedContent",
    "SatireOrParodyContent",
    "OriginalMediaContent",
)
STATUSES = ("published", "disabled", "retracted")
#: Where a volunteer's report is: open (pending, needs_info), then closed one way or another.
SUBMISSION_STATUSES = ("pending", "needs_info", "approved", "merged", "rejected")
ROLES = ("original", "misused", "variant")  # of an entry's images
USER_ROLES = ("volunteer", "moderator", "admin")
FEEDBACK_VERDICTS = ("helpful", "not_a_match", "wrong_verdict")


def N_(text: str) -> str:  # noqa: N802
    """Marks words for translation where they are defined (``pybabel extract -k N_``);
    the pages translate them in the reader's language (``web/i18n.py``)."""
    return text


MAX_ID = 2**31 - 1  # ids are 32-bit integer columns on PostgreSQL
#: A row id as clients send it; out of range is a validation error, not an overflow.
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
#: An http(s) URL that fits the store's 2,000-character URL columns.
Url = Annotated[AnyHttpUrl, UrlConstraints(max_length=2000)]


def _written_date(value: object) -> object:
    # pydantic reads a number as seconds since 1970 (0 became 1970-01-01): refused.
    if isinstance(value, int | float):
        raise ValueError("a date is written as YYYY-MM-DD")
    return value


#: A calendar date as people and feeds write it (YYYY-MM-DD), never a number.
Date = Annotated[dt.date, BeforeValidator(_written_date)]

Category = Literal[CATEGORIES]  # type: ignore[valid-type]
Status = Literal[STATUSES]  # type: ignore[valid-type]
Role = Literal[ROLES]  # type: ignore[valid-type]
Result = Literal["match", "possible_match", "no_match", "too_simple"]

CATEGORY_LABELS = {
    "DecontextualizedContent": N_("Real image, false context"),
    "EditedOrCroppedContent": N_("Edited or cropped"),
    "TransformedContent": N_("Transformed (manipulated)"),
    "StagedContent": N_("Staged"),
    "SatireOrParodyContent": N_("Satire or parody"),
    "OriginalMediaContent": N_("Original, unaltered"),
}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Origin(Strict):
    """What the image really is."""

    description: str = Field(min_length=1, max_length=5000)
    url: Url | None = None
    author: str | None = Field(default=None, max_length=300)
    date: Date | None = None


class Appearance(Strict):
    """Where the misused image was published with the false claim."""

    url: Url
    date: Date | None = None
    publisher: str | None = Field(default=None, max_length=300)
    language: str | None = Field(default=None, max_length=20)
    claim: str | None = Field(
        default=None,
        max_length=5000,
        description="What the post claimed there, in its words, when not the entry's claim.",
    )


class Source(Strict):
    """A debunk or other evidence of the true origin."""

    url: Url
    publisher: str | None = Field(default=None, max_length=300)
    date: Date | None = None
    title: str | None = Field(default=None, max_length=500)


class EntryFields(Strict):
    title: str = Field(min_length=1, max_length=300)
    category: Category
    claim: str = Field(min_length=1, max_length=5000, description="The false claim.")
    claim_date: Date | None = None
    rating: str | None = Field(default=None, max_length=80, examples=["Miscaptioned"])
    origin: Origin
    appearances: list[Appearance] = []
    sources: list[Source] = []
    status: Status = "published"
    demo: bool = False


class ImageRef(Strict):
    """An image to import: a file path (relative to the JSONL file) or a URL."""

    path: str | None = None
    url: Url | None = None
    role: Role = "misused"
    sha256: str | None = Field(
        default=None, pattern=r"^[0-9a-f]{64}$", description="Of the originally imported bytes."
    )

    @model_validator(mode="after")
    def _one_source(self) -> ImageRef:
        if not self.path and self.url is None and not self.sha256:
            raise ValueError("an image needs a path or a url")
        return self


class EntryImport(EntryFields):
    """One line of an import file (``flask --app server import``)."""

    images: list[ImageRef] = Field(min_length=1)


class Credentials(BaseModel):
    """Content Credentials (C2PA) of the checked file: signed statements, checked."""

    state: Literal["trusted", "valid", "invalid", "unreadable"] = Field(
        description="trusted: valid and the signer is on the trust list; valid: the "
        "signature holds but the signer is not on the trust list; invalid: tampered, "
        "edited after signing or a broken certificate; unreadable: too large, too slow "
        "or malformed."
    )
    summary: str = Field(description="The state in plain words.")
    signer: str | None = Field(default=None, description="Organisation of the signer.")
    signer_name: str | None = Field(default=None, description="Common name of the signer.")
    signed_at: str | None = Field(default=None, description="Time-stamped signing time.")
    generator: str | None = Field(default=None, description="The tool that signed.")
    actions: list[str] = Field(default_factory=list, description="e.g. created, cropped.")
    ingredients: list[str] = Field(default_factory=list, description="Files it was made from.")
    problems: list[str] = Field(default_factory=list, description="Why it is not valid.")


class SourceType(BaseModel):
    """IPTC digital source type: how the picture was made, as the file states it."""

    iri: str
    label: str
    ai: bool = Field(description="Made or edited by generative AI or an algorithm.")
    said_by: Literal["credentials", "metadata"] = Field(
        description="credentials: signed in valid Content Credentials; metadata: unsigned XMP."
    )


class FileClaims(BaseModel):
    """Unsigned EXIF/XMP fields: claims in the file, which anyone can write."""

    captured_at: str | None = None
    camera: str | None = None
    software: str | None = None


class Provenance(BaseModel):
    """What the file itself says about where it comes from (null when it says nothing)."""

    credentials: Credentials | None = None
    source_type: SourceType | None = None
    ai_markers: list[str] = Field(
        default_factory=list, description="Traces AI image generators leave in files."
    )
    file_claims: FileClaims | None = None


class ImageOut(BaseModel):
    id: int
    role: Role
    width: int
    height: int
    pdq: str
    thumbnail_url: str
    provenance: Provenance | None = Field(
        default=None,
        description="What the file said of its origin when it was stored (Content "
        "Credentials, metadata), as read then.",
    )


VIDEO_STATUSES = ("pending", "indexing", "done", "failed")


class VideoOut(BaseModel):
    """A reference video of an entry and how far its indexing has got."""

    id: int
    entry_id: int
    role: Role
    status: Literal[VIDEO_STATUSES] = Field(  # type: ignore[valid-type]
        description="pending/indexing: its frames are not searched yet; done: every kept "
        "frame is; failed: see error."
    )
    progress: float = Field(ge=0, le=1)
    error: str | None = None
    duration_s: float | None = None
    width: int | None = None
    height: int | None = None
    frames: int = Field(default=0, description="Frames kept and indexed.")
    poster_url: str | None = None
    source_url: str | None = None


class EntryOut(EntryFields):
    """The full annotation of a known fake, as readers see it."""

    model_config = ConfigDict(extra="ignore")

    id: int
    category_label: str
    url: str = Field(description="The entry's public page.")
    images: list[ImageOut] = Field(description="Still images (frames of videos are not listed).")
    videos: list[VideoOut] = Field(default_factory=list)
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int


class Hashes(BaseModel):
    pdq: str | None = None
    pdq_quality: int | None = None
    sha256: str | None = None
    trimmed: bool | None = Field(default=None, description="Flat bands were cut off.")


class Match(BaseModel):
    entry: EntryOut
    image_id: int
    method: Literal["pdq", "local-features"] = "pdq"
    distance: int | None = Field(
        description="PDQ Hamming distance, 0-256 (null for local features)."
    )
    inliers: int | None = Field(
        default=None, description="Local features: matching points one homography explains."
    )
    agreement: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Local features: share of the overlap whose pixels agree once aligned.",
    )
    similarity: float = Field(
        ge=0,
        le=1,
        description="PDQ: 1 - distance/256. Local features: the agreement.",
    )
    variant: str = Field(
        description="Which transform matched, e.g. 'mirrored/window-80-01'; for local "
        "features 'whole' or 'picture-N' (a picture found inside a screenshot)."
    )
    confirmed: bool = Field(
        default=True, description="False: the evidence is not enough to be sure ('may be')."
    )
    query_box: list[int] | None = Field(
        default=None,
        description="The region of your image that matched: [x0, y0, x1, y1] in its pixels.",
    )
    reference_box: list[int] | None = Field(
        default=None,
        description="The region of the known image it maps to: [x0, y0, x1, y1] in the "
        "known image's pixels (its width and height are in entry.images).",
    )
    coverage: float | None = Field(
        default=None, ge=0, le=1, description="Share of the known picture your image shows."
    )
    words: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="For a picture made of words: share of its words your image says too.",
    )
    explanation: str = Field(default="", description="How it matched, in plain words.")
    video_id: int | None = Field(
        default=None, description="The matched image is a frame of this reference video."
    )
    frame_time_s: float | None = Field(
        default=None, description="Where that frame is in the video, in seconds."
    )
    frame_range_s: list[float] | None = Field(
        default=None,
        min_length=2,
        max_length=2,
        description="[first, last] seconds of the video's frames that show the same picture "
        "as well (a still shot, a slow zoom): the moment lies in this range.",
    )
    frame_thumbnail_url: str | None = Field(
        default=None, description="A thumbnail of the matched frame."
    )
    origin_at_url: str | None = Field(
        default=None,
        description="The origin's address at that moment, where its site supports it "
        "(YouTube, Vimeo, a plain video file).",
    )
    clip_time_s: float | None = Field(
        default=None, description="When a clip was checked: where in it the match is."
    )


class SearchLink(BaseModel):
    engine: str
    url: str


class CheckResponse(BaseModel):
    result: Result
    matches: list[Match]
    hashes: Hashes
    search_links: list[SearchLink]
    took_ms: float
    cached: bool = False
    index_version: int
    image_size: list[int] | None = Field(
        default=None,
        description="[width, height] of the image checked, the frame of every query_box "
        "(null when only a hash was sent).",
    )
    provenance: Provenance | None = Field(
        default=None,
        description="Content Credentials and metadata of the file checked; null when the "
        "file says nothing about its origin, or only a hash was sent.",
    )


# --- volunteers and moderators ------------------------------------------------

Verdict = Literal[FEEDBACK_VERDICTS]  # type: ignore[valid-type]


class SubmissionIn(Strict):
    """A suspected known fake, as anyone may send it."""

    image_url: Url | None = None
    claim: str = Field(default="", max_length=5000)
    language: str | None = Field(
        default=None, max_length=20, description="Of the post the image was seen in (e.g. el)."
    )
    notify_email: str | None = Field(
        default=None,
        max_length=320,
        pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
        description="Where to tell the reporter of the decision (kept until then only).",
    )
    seen_url: Url | None = None
    seen_date: Date | None = None
    origin_url: Url | None = None
    origin_description: str = Field(default="", max_length=5000)
    origin_author: str | None = Field(default=None, max_length=300)
    origin_date: Date | None = None
    evidence_urls: list[Url] = Field(default=[], max_length=20)
    notes: str = Field(default="", max_length=5000)

    @field_validator("evidence_urls", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        # Forms send one text field; accept URLs separated by new lines, spaces or commas.
        if isinstance(value, str):
            return [part for part in re.split(r"[\s,]+", value) if part]
        return value

    @field_validator(
        "seen_url",
        "origin_url",
        "image_url",
        "seen_date",
        "origin_date",
        "language",
        "notify_email",
        mode="before",
    )
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if value == "" else value


class EntryPatch(Strict):
    """Entry fields a moderator may set when approving or editing (all optional).

    A field left out is kept. ``null`` clears the fields an entry may lack (the claim
    date, the rating); an entry cannot lose its title, verdict, claim, origin or lists,
    so ``null`` there is refused (it used to reach the database as a 500).
    """

    title: str = Field(default=None, min_length=1, max_length=300)  # type: ignore[assignment]
    category: Category = None  # type: ignore[assignment]
    claim: str = Field(default=None, min_length=1, max_length=5000)  # type: ignore[assignment]
    claim_date: Date | None = None
    rating: str | None = Field(default=None, max_length=80)
    origin: Origin = None  # type: ignore[assignment]
    appearances: list[Appearance] = None  # type: ignore[assignment]
    sources: list[Source] = None  # type: ignore[assignment]


class FeedbackIn(Strict):
    verdict: Verdict
    entry_id: Id
    #: Addresses a reader's tool may send: anything but http(s) is dropped, not refused
    #: (a page's own file: or about: address stays private); an http(s) one must be valid.
    page_url: str | None = None
    image_url: str | None = None

    @field_validator("page_url", "image_url", mode="before")
    @classmethod
    def _public_or_none(cls, value: object) -> object:
        if isinstance(value, str) and not value.startswith(("http://", "https://")):
            return None
        if isinstance(value, str):
            return str(_URL.validate_python(value))
        return value


_URL: TypeAdapter[Any] = TypeAdapter(Url)


class PageCheckRequest(Strict):
    url: Url


#: What an item of the negative bank is (``store.models.Negative``).
NEGATIVE_KINDS = ("lookalike", "overlay", "frame", "template")
NEGATIVE_LABELS = {
    "lookalike": N_("Lookalike: a picture that is not a fake (another shot, a neighbouring frame)"),
    "overlay": N_("Overlay: a logo, watermark, lower third or interface shown over pictures"),
    "frame": N_("Frame: a post's, page's or player's chrome around pictures"),
    "template": N_("Template: a meme's picture, shared by every meme made from it"),
}
NegativeKind = Literal[NEGATIVE_KINDS]  # type: ignore[valid-type]


class NegativeIn(Strict):
    """Material that is not evidence, as a moderator or an import line describes it."""

    kind: NegativeKind
    note: str = Field(default="", max_length=2000)
    source_url: Url | None = None


class NegativeImport(NegativeIn):
    """One line of a negative-bank import file (``flask --app server import-negatives``)."""

    path: str | None = None
    url: Url | None = None

    @model_validator(mode="after")
    def _one_source(self) -> NegativeImport:
        if not self.path and self.url is None:
            raise ValueError("an item needs a path or a url")
        return self


class NegativeOut(BaseModel):
    id: int
    kind: NegativeKind
    note: str
    status: Literal["active", "retracted"]
    source_url: str | None
    width: int
    height: int
    image_id: int | None  # a frame kept from this stored image
    created_by: str
    created_at: dt.datetime
