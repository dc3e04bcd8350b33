"""Reference videos: accepted at once, indexed in the background, matched frame by frame.

A moderator (or an import) adds a video to an entry: the file is probed in the request
(a clear 4xx for a file that is not a usable video), stored, and a job indexes it
(``index_video``): its key frames (``matching.video.key_frames``) are prepared exactly
like stills (``references.prepare``: hashes, keypoints, the words of a text frame) and
join the entry all at once. Progress is kept on the video's row for pages and the API.
"""

from __future__ import annotations

import hashlib
import logging

from flask import current_app

from .checks import video_limits
from .jobs import enqueue, sweeper, task
from .matching.decode import ImageError
from .matching.pdq import hamming
from .matching.video import iter_key_frames, probe
from .references import jpeg, prepare
from .store import Actor, NewImage, NewVideo, get_videos
from .store.moderation import CLI_ACTOR

log = logging.getLogger(__name__)

#: Frames whose PDQ is this close to the last kept one add nothing to the index.
SAME_FRAME_BITS = 24


def add_video(
    entry_id: int,
    data: bytes,
    *,
    role: str = "original",
    source_url: str | None = None,
    actor: Actor = CLI_ACTOR,
) -> int:
    """Queue ``data`` for indexing as a video of ``entry_id``; ImageError when it is not a
    usable video (too long, too large, no picture, unreadable), DuplicateVideo when the
    entry has it already."""
    config = current_app.config
    if len(data) > config["VIDEO_MAX_BYTES"]:
        raise ImageError("video_too_large", "The video is over the upload limit.", 413)
    probe(data, video_limits(config))
    sha256 = hashlib.sha256(data).hexdigest()
    video_id = get_videos().add(entry_id, NewVideo(role, sha256, data, source_url), actor)
    enqueue("index_video", video_id)
    return video_id


@task
def index_video(video_id: int) -> None:
    """Decode, keep the frames worth keeping, fingerprint them, add them all at once."""
    store = get_videos()
    work = store.claim(video_id)
    if work is None:
        return
    config = current_app.config
    try:
        limits = video_limits(config)
        info = probe(work.data, limits)
        prepared: list[tuple[float, NewImage]] = []
        frames = iter_key_frames(
            work.data, limits, progress=lambda share: store.set_progress(video_id, share)
        )
        for frame in frames:  # decoded and prepared one at a time: memory stays flat
            image = prepare(
                jpeg(frame.image.convert("RGB"), 90),
                role=work.role,
                max_pixels=config["MAX_IMAGE_PIXELS"],
                source_url=work.source_url,
            )
            if prepared and _same(prepared[-1][1], image):
                continue
            prepared.append((frame.time, image))
    except ImageError as exc:
        store.fail(video_id, exc.message, final=True)  # the file itself: trying again won't help
        return
    except Exception as exc:
        store.fail(video_id, f"indexing stopped: {exc}", final=False)
        raise  # the job library retries; the sweep finds it later too
    added = store.finish(
        video_id,
        prepared,
        poster=prepared[0][1].thumbnail,
        duration=info.duration,
        width=info.width,
        height=info.height,
        codec=info.codec,
    )
    log.info("video %d indexed: %d frames of %.0f s", video_id, added, info.duration)


def _same(a: NewImage, b: NewImage) -> bool:
    return hamming(bytes.fromhex(a.fingerprint.pdq), bytes.fromhex(b.fingerprint.pdq)) <= (
        SAME_FRAME_BITS
    )


@sweeper
def overdue_videos() -> int:
    overdue = get_videos().overdue(current_app.config["JOB_OVERDUE"])
    for video_id in overdue:
        enqueue("index_video", video_id)
    return len(overdue)
