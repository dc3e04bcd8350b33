"""Test videos made offline from photographs: slow camera moves (zoom and pan), hard
cuts between shots and an optional caption overlay, encoded with PyAV (libx264, VP9,
animated GIF). Used by the tests and by bench/video.py."""

from __future__ import annotations

import io
from collections.abc import Sequence
from fractions import Fraction

import av
import numpy as np
from PIL import Image, ImageDraw


def scene(seed: int, size: tuple[int, int] = (960, 540)) -> Image.Image:
    """A picture nobody else has: random shapes over a gradient (a stand-in for a
    game's rendered scene), textured enough for keypoints."""
    rng = np.random.default_rng(seed)
    width, height = size
    ramp = np.linspace(0, 1, height)[:, None, None]
    top, bottom = rng.integers(0, 255, 3), rng.integers(0, 255, 3)
    picture = Image.fromarray((top * (1 - ramp) + bottom * ramp).astype(np.uint8).repeat(width, 1))
    draw = ImageDraw.Draw(picture)
    for _ in range(60):
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        w, h = int(rng.integers(10, width // 5)), int(rng.integers(10, height // 5))
        colour = tuple(int(c) for c in rng.integers(0, 255, 3))
        if rng.random() < 0.5:
            draw.ellipse((x, y, x + w, y + h), fill=colour, outline=(0, 0, 0))
        else:
            draw.rectangle((x, y, x + w, y + h), fill=colour, outline=(255, 255, 255))
    return picture


def shot_frame(
    photo: Image.Image, progress: float, size: tuple[int, int], seed: int
) -> Image.Image:
    """The photo seen through a camera that zooms in 15 % and pans over the shot."""
    width, height = size
    zoom = 1.0 + 0.15 * progress
    aspect = width / height
    base_w = min(photo.width, photo.height * aspect)
    crop_w, crop_h = base_w / zoom, base_w / aspect / zoom
    direction = 1 if seed % 2 else -1
    cx = photo.width / 2 + direction * 0.05 * photo.width * (progress - 0.5)
    cx = min(max(cx, crop_w / 2), photo.width - crop_w / 2)
    cy = photo.height / 2
    box = (cx - crop_w / 2, cy - crop_h / 2, cx + crop_w / 2, cy + crop_h / 2)
    return photo.resize(size, Image.Resampling.BILINEAR, box=box)


def _moving_subject(picture: Image.Image, source: Image.Image, progress: float) -> None:
    """Something that moves through the shot (a vehicle, a person): a patch of another
    photo crossing the frame, as real footage changes from second to second."""
    side = picture.height // 3
    patch = source.resize((side, side), Image.Resampling.BILINEAR)
    x = round(-side + progress * (picture.width + side))
    y = picture.height // 2 - side // 4
    picture.paste(patch, (x, y))


def shot_times(n_shots: int, seconds: float) -> list[tuple[float, float]]:
    length = seconds / n_shots
    return [(k * length, (k + 1) * length) for k in range(n_shots)]


def frame_of(
    photos: Sequence[Image.Image],
    seconds: float,
    t: float,
    size: tuple[int, int],
    caption: str = "",
    moving: bool = False,
) -> Image.Image:
    """What the synthetic video shows at ``t`` (the same function the encoder uses, so a
    test knows the true frame at any time). ``moving``: a patch crosses every shot."""
    shots = shot_times(len(photos), seconds)
    k = min(int(t / (seconds / len(photos))), len(photos) - 1)
    start, end = shots[k]
    progress = (t - start) / (end - start)
    picture = shot_frame(photos[k], progress, size, k)
    if moving:
        _moving_subject(picture, photos[(k + 1) % len(photos)], progress)
    if caption:
        draw = ImageDraw.Draw(picture)
        band = size[1] // 8
        draw.rectangle((0, size[1] - band, size[0], size[1]), fill=(20, 20, 60))
        draw.text((band // 2, size[1] - band * 0.75), caption, fill="white")
    return picture


def make_video(
    photos: Sequence[Image.Image],
    *,
    seconds: float = 8.0,
    fps: int = 12,
    size: tuple[int, int] = (640, 360),
    codec: str = "libx264",
    caption: str = "",
) -> bytes:
    """An MP4 (libx264), WebM (libvpx-vp9) or animated GIF (gif) of the photos, one shot each."""
    container_format = {"libx264": "mp4", "libvpx-vp9": "webm", "gif": "gif"}[codec]
    out = io.BytesIO()
    with av.open(out, mode="w", format=container_format) as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = {"gif": "rgb8"}.get(codec, "yuv420p")
        if codec == "libx264":
            stream.options = {"preset": "ultrafast", "crf": "23"}
        elif codec == "libvpx-vp9":
            stream.options = {"deadline": "realtime", "cpu-used": "8", "crf": "35", "b": "0"}
        stream.time_base = Fraction(1, fps)
        for n in range(round(seconds * fps)):
            picture = frame_of(photos, seconds, n / fps, size, caption)
            frame = av.VideoFrame.from_ndarray(np.asarray(picture.convert("RGB")), format="rgb24")
            frame.pts = n
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()
