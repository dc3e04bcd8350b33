"""Videos as origins: untrusted video bytes in, the frames worth fingerprinting out.

Debunked "evidence" is often a frame of a video (a game trailer, an older strike), and
the next screenshot of the same video is two seconds later. So a reference video is
reduced to the frames a reader could screenshot: one at every scene change and at
least one every ``every`` seconds, minus near-identical ones, each fingerprinted like a
still. Decoding is PyAV (FFmpeg inside its wheel). Everything here is bounded: the
container is probed before decoding (streams, declared size, duration, codec), frames
are scaled down as they are decoded, and the whole decode has a deadline.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
from PIL import Image

from .decode import ImageError

#: Longest side of a kept frame (what ``references.prepare`` receives as a JPEG).
FRAME_SIDE = 1024
#: Side of the grey miniature that scene changes are measured on.
_PROBE = 32
#: Mean grey-level change of the miniature that counts as a cut.
SCENE_CHANGE = 18.0
#: A candidate frame this close (mean grey change) to the last kept one adds nothing.
NEAR_IDENTICAL = 5.0
#: Miniatures measured per second (decoding is the cost; this only bounds the compare).
PROBES_PER_SECOND = 6

#: Containers (magic bytes) accepted as video; animated GIF and WebP are told apart by
#: their frame count (``is_video``).
_VIDEO_MAGIC = (
    (4, b"ftyp"),  # MP4, MOV, M4V (ISO base media)
    (0, b"\x1a\x45\xdf\xa3"),  # WebM, Matroska
)


@dataclass(frozen=True)
class VideoLimits:
    """Caps applied before and while decoding (configurable: ``VIDEO_*``)."""

    max_seconds: float = 3600.0
    max_pixels: int = 3840 * 2160
    max_frames: int = 2000  # frames kept, at most
    max_streams: int = 16
    decode_budget: float = 600.0  # seconds of decoding, at most
    every: float = 3.0  # seconds between kept frames when nothing changes


@dataclass(frozen=True)
class VideoInfo:
    duration: float
    width: int
    height: int
    codec: str
    fps: float


@dataclass(frozen=True)
class Frame:
    """A kept frame: its time in the video and the picture (longest side FRAME_SIDE)."""

    time: float
    image: Image.Image


def is_video(data: bytes) -> bool:
    """Whether bytes are a video (by content, never by name): an MP4/MOV/WebM container,
    or a GIF or WebP with more than one frame."""
    if any(data[at : at + len(magic)] == magic for at, magic in _VIDEO_MAGIC):
        return True
    animated = data.startswith((b"GIF87a", b"GIF89a")) or (
        data[:4] == b"RIFF" and data[8:12] == b"WEBP" and b"ANIM" in data[12:64]
    )
    if not animated:
        return False
    try:
        with Image.open(io.BytesIO(data)) as image:
            return bool(getattr(image, "is_animated", False))  # reads up to frame 2, not all
    except Exception:  # noqa: BLE001 - unreadable: the image path refuses it clearly
        return False


def _open(data: bytes):  # type: ignore[no-untyped-def]
    import av

    try:
        return av.open(io.BytesIO(data), mode="r", metadata_errors="ignore")
    except (av.FFmpegError, ValueError, OSError) as exc:
        raise ImageError("video_unreadable", f"This video could not be read: {exc}") from None


def probe(data: bytes, limits: VideoLimits) -> VideoInfo:
    """What the container declares, refused early when it is over a cap."""
    with _open(data) as container:
        return _checked(container, limits)


def _checked(container, limits: VideoLimits) -> VideoInfo:  # type: ignore[no-untyped-def]
    streams = container.streams
    if len(streams) > limits.max_streams:
        raise ImageError("video_unsupported", f"The file has {len(streams)} streams.", 422)
    if not streams.video:
        raise ImageError("video_no_picture", "The file has no video stream (audio only?).", 422)
    stream = streams.video[0]
    context = stream.codec_context
    width, height = int(context.width or 0), int(context.height or 0)
    if width <= 0 or height <= 0:
        raise ImageError("video_unreadable", "The video declares no picture size.", 422)
    if width * height > limits.max_pixels:
        raise ImageError(
            "video_too_large",
            f"Frames of {width}x{height} are over the {limits.max_pixels:,}-pixel limit.",
            413,
        )
    duration = _duration(container, stream)
    if duration > limits.max_seconds:
        raise ImageError(
            "video_too_long",
            f"The video lasts {duration:,.0f} s; at most {limits.max_seconds:,.0f} s are accepted.",
            413,
        )
    rate = stream.average_rate or stream.guessed_rate
    return VideoInfo(
        duration=duration,
        width=width,
        height=height,
        codec=context.name or "unknown",
        fps=float(rate) if rate else 0.0,
    )


def _duration(container, stream) -> float:  # type: ignore[no-untyped-def]
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / 1_000_000
    return 0.0  # unknown (some WebM, GIF): the decode budget and frame cap still hold


def key_frames(
    data: bytes,
    limits: VideoLimits,
    *,
    progress: Callable[[float], None] | None = None,
) -> tuple[VideoInfo, list[Frame]]:
    """``iter_key_frames``, all at once (clips: a minute at most)."""
    return probe(data, limits), list(iter_key_frames(data, limits, progress=progress))


def iter_key_frames(
    data: bytes,
    limits: VideoLimits,
    *,
    progress: Callable[[float], None] | None = None,
) -> Iterator[Frame]:
    """The frames a reader could screenshot, as they are decoded: at each cut, and every
    ``limits.every`` s when nothing cuts, minus near-identical ones. One at a time, so
    indexing an hour holds one decoded frame, not two thousand. ``progress`` gets the
    share of the video done."""
    import av

    started = time.monotonic()
    kept = 0
    with _open(data) as container:
        info = _checked(container, limits)
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        last_probe: np.ndarray | None = None
        last_kept_probe: np.ndarray | None = None
        last_kept_time = -1e9
        next_probe = 0.0
        reported = 0.0
        try:
            for frame in _frames(container, stream):
                if time.monotonic() - started > limits.decode_budget:
                    raise ImageError(
                        "video_too_slow",
                        f"Decoding took over {limits.decode_budget:.0f} s; not indexed.",
                        422,
                    )
                t = float(frame.time or 0.0)
                if t < next_probe and kept:
                    continue
                next_probe = t + 1.0 / PROBES_PER_SECOND
                mini = frame.to_ndarray(width=_PROBE, height=_PROBE, format="gray").astype(
                    np.float32
                )
                cut = last_probe is not None and _change(mini, last_probe) >= SCENE_CHANGE
                due = t - last_kept_time >= limits.every
                last_probe = mini
                if not (cut or due or not kept):
                    continue
                if last_kept_probe is not None and _change(mini, last_kept_probe) < NEAR_IDENTICAL:
                    last_kept_time = t  # the same picture, later: nothing new to keep
                    continue
                yield Frame(t, _picture(frame, info))
                kept += 1
                last_kept_probe, last_kept_time = mini, t
                if kept >= limits.max_frames:
                    break
                if progress and info.duration and t / info.duration - reported >= 0.02:
                    reported = t / info.duration
                    progress(min(reported, 1.0))
        except av.FFmpegError as exc:
            if not kept:
                raise ImageError(
                    "video_unreadable", f"This video could not be decoded: {exc}"
                ) from None
            # A truncated file: the frames before the damage are still the video's.
    if not kept:
        raise ImageError("video_unreadable", "No frame of this video could be decoded.", 422)


def _frames(container, stream) -> Iterator:  # type: ignore[no-untyped-def]
    for packet in container.demux(stream):
        yield from packet.decode()


def _change(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).mean())


def _picture(frame, info: VideoInfo) -> Image.Image:  # type: ignore[no-untyped-def]
    scale = min(1.0, FRAME_SIDE / max(info.width, info.height))
    width = max(2, round(info.width * scale))
    height = max(2, round(info.height * scale))
    return frame.to_image(width=width, height=height)
