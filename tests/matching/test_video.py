"""Reference videos are cut into the frames a reader could screenshot, within caps."""

from __future__ import annotations

import io

import av
import numpy as np
import pytest
from PIL import Image

from server.matching.decode import ImageError
from server.matching.video import VideoLimits, is_video, key_frames, probe

from ..conftest import demo_image
from ..videos import make_video

PHOTOS = ["rocket", "coffee", "chelsea", "astronaut"]


@pytest.fixture(scope="module")
def mp4() -> bytes:
    return make_video([demo_image(n) for n in PHOTOS], seconds=8, fps=12)


def test_a_frame_is_kept_at_every_cut_and_every_few_seconds(mp4: bytes) -> None:
    info, frames = key_frames(mp4, VideoLimits(every=3.0))
    assert info.codec == "h264" and (info.width, info.height) == (640, 360)
    assert abs(info.duration - 8.0) < 0.2
    times = [f.time for f in frames]
    assert times[0] == 0.0
    for cut in (2.0, 4.0, 6.0):  # one shot per photo, 2 s each
        assert any(cut <= t < cut + 0.4 for t in times), (cut, times)
    assert len(frames) <= 8  # 2 s shots: no shot needs a second frame at every=3 s
    assert all(max(f.image.size) <= 1024 for f in frames)


@pytest.mark.parametrize("codec", ["libvpx-vp9", "gif"])
def test_webm_and_animated_gif_are_videos_too(codec: str) -> None:
    data = make_video([demo_image(n) for n in PHOTOS[:2]], seconds=4, fps=8, codec=codec)
    assert is_video(data)
    _, frames = key_frames(data, VideoLimits())
    assert len(frames) >= 2


def test_videos_are_told_from_images_by_content() -> None:
    still = io.BytesIO()
    demo_image("rocket").save(still, "GIF")
    assert not is_video(still.getvalue())
    assert not is_video(b"")
    assert not is_video(b"\x00\x00\x00\x18ftyp"[:6])


def _audio_only() -> bytes:
    out = io.BytesIO()
    with av.open(out, mode="w", format="mp4") as container:
        stream = container.add_stream("aac", rate=44100)
        samples = np.zeros((1, 1024), np.float32)
        for n in range(20):
            frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
            frame.sample_rate, frame.pts = 44100, n * 1024
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return out.getvalue()


@pytest.mark.parametrize(
    ("make", "limits", "code"),
    [
        (lambda v: b"", VideoLimits(), "video_unreadable"),
        (lambda v: b"\x00\x00\x00\x18ftypisom" + b"\x00" * 5000, VideoLimits(), "video_unreadable"),
        (lambda v: _audio_only(), VideoLimits(), "video_no_picture"),
        (lambda v: v, VideoLimits(max_seconds=5), "video_too_long"),
        (lambda v: v, VideoLimits(max_pixels=320 * 240), "video_too_large"),
        (lambda v: v, VideoLimits(decode_budget=0), "video_too_slow"),
    ],
)
def test_bad_videos_are_refused_with_a_reason(mp4, make, limits, code) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ImageError) as refused:
        key_frames(make(mp4), limits)
    assert refused.value.code == code
    assert 400 <= refused.value.status < 500


def test_a_truncated_video_keeps_the_frames_before_the_damage(mp4: bytes) -> None:
    try:
        _, frames = key_frames(mp4[: len(mp4) * 2 // 3], VideoLimits())
    except ImageError as refused:  # the index (moov) may be lost with the tail: refused
        assert refused.code == "video_unreadable"
    else:
        assert frames and all(f.time < 8 for f in frames)


def test_probe_reads_only_the_header(mp4: bytes) -> None:
    info = probe(mp4, VideoLimits())
    assert info.fps == 12.0 and info.width == 640


def test_many_streams_are_refused() -> None:
    out = io.BytesIO()
    with av.open(out, mode="w", format="matroska") as container:
        streams = [container.add_stream("libx264", rate=5) for _ in range(3)]
        for stream in streams:
            stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
        picture = Image.new("RGB", (64, 64), (200, 30, 30))
        for stream in streams:
            for n in range(3):
                frame = av.VideoFrame.from_image(picture)
                frame.pts = n
                for packet in stream.encode(frame):
                    container.mux(packet)
            for packet in stream.encode():
                container.mux(packet)
    with pytest.raises(ImageError) as refused:
        probe(out.getvalue(), VideoLimits(max_streams=2))
    assert refused.value.code == "video_unsupported"
