"""The words in a picture made of words: statements, text posts, memes.

Two screenshots of posts in the same app share their chrome, and two memes of one
template share the picture: what tells a known fake from an innocent one is what it
says. A stored picture whose words cover a good part of it keeps them
(``references.prepare``; ``images.text``); a candidate for such a picture is confirmed
only when the query's words are the same, and is no match at all when the query says
something else (``matcher``). A query with no words where the stored picture has them
(the template alone, a crop that cut them off) is left to the pixels.

The reader is RapidOCR (PP-OCR models on ONNX Runtime, shipped in its wheel: nothing
to download, nothing to install beside pip). It costs 0.05 s on a photo without words
and up to 0.8 s on a screenshot full of them, on one core, so a check reads a query
only when a candidate has stored words. Without it installed
(``available()`` is False) no words are stored or compared, and checks behave as
before this module.
"""

from __future__ import annotations

import difflib
import logging
import re
import threading
from dataclasses import dataclass

import numpy as np
from PIL import Image

_log = logging.getLogger(__name__)

#: A picture is made of words when its text boxes cover this share of it ...
MIN_TEXT_SHARE = 0.06
MIN_WORDS = 6  # ... and they hold this many words, at least
#: ``same_words`` at or above which the query says what the stored picture says; below
#: ``DIFFERENT_WORDS`` it says something else. From bench/accuracy (BENCHMARKS.md):
#: copies of known statements read 0.91-1.0 (memes cropped by 8 % 0.44-0.47, the
#: letters of each line's ends cut off), other statements in the same app's chrome
#: 0.31-0.47, other words on the same meme template 0-0.41.
SAME_WORDS = 0.6
DIFFERENT_WORDS = 0.5
#: Letters of the stored words a query may lack and still say the same (a few words
#: lost to a crop or misread), unless it has nine tenths of them.
MAX_MISSING = 20
MIN_RUN = 5  # letters in a run that ``same_words`` counts
#: A crop cuts whole lines of a meme off (its top and bottom captions sit at the edges):
#: the query then says less, but nothing else. It says the same when this share of its
#: own letters are the stored picture's, in order, and they are at least ``CUT_SHARE`` of
#: the stored letters and ``CUT_LETTERS`` letters. Memes cropped by 8 %: 0.81-1.0 of
#: their letters, 0.33-0.60 of the stored ones (bench/accuracy, 2026-12-02).
CUT_SAID = 0.8
CUT_SHARE = 0.3
CUT_LETTERS = 25
READ_SIDE = 1280  # longest side the reader is given (small text needs the pixels)

_engine = None
_lock = threading.Lock()
_WORD = re.compile(r"[^\W_]{2,}")


@dataclass(frozen=True)
class Words:
    text: str  # what was read, line by line
    share: float  # of the picture covered by text boxes

    @property
    def count(self) -> int:
        return len(tokens(self.text))

    @property
    def dominant(self) -> bool:
        """Whether the picture is made of words (its words are its evidence)."""
        return self.share >= MIN_TEXT_SHARE and self.count >= MIN_WORDS


def available() -> bool:
    return _reader() is not None


def read_words(image: Image.Image, box: tuple[int, int, int, int] | None = None) -> Words | None:
    """The words in ``image`` (or in ``box`` of it); None when no reader is installed."""
    reader = _reader()
    if reader is None:
        return None
    picture = image.crop(box) if box else image
    picture = picture.convert("RGB")
    if max(picture.size) > READ_SIDE:
        picture.thumbnail((READ_SIDE, READ_SIDE))
    if min(picture.size) < 16:
        return Words("", 0.0)
    with _lock:  # one inference at a time per process: the session uses every core
        result = reader(np.asarray(picture))
    if not result.txts:
        return Words("", 0.0)
    covered = sum(_area(points) for points in result.boxes)
    share = min(1.0, covered / (picture.width * picture.height))
    return Words("\n".join(result.txts), round(share, 4))


def tokens(text: str) -> list[str]:
    """Words as compared: lower case, letters and digits, two or more of them."""
    return _WORD.findall(text.lower())


def same_words(stored: str, query: str) -> WordsCompared:
    """How much of what the stored picture says the query says too, in order.

    Compared letter by letter without spaces, counting only runs of ``MIN_RUN`` or
    more letters that appear in the same order in both: a reader merges and splits
    words ("ABOUTTHE"), and a crop cuts the first and last letters of lines, but two
    statements drawn from the same words share runs only where whole words fall in the
    same order. The share is of the stored picture's letters, so the chrome of the post
    a query shows them in (a screenshot of a meme) does not count against it; the
    letters missing count too, since a short statement in a long chrome is mostly
    chrome.
    """
    own = "".join(tokens(stored))
    said = "".join(tokens(query))
    if not own or not said:
        return WordsCompared(0.0, len(own))
    blocks = difflib.SequenceMatcher(None, own, said, autojunk=False).get_matching_blocks()
    matched = sum(b.size for b in blocks if b.size >= MIN_RUN)
    return WordsCompared(
        round(matched / len(own), 4), len(own) - matched, round(matched / len(said), 4), matched
    )


@dataclass(frozen=True)
class WordsCompared:
    share: float  # of the stored letters that the query has, in order (0-1)
    missing: int  # stored letters the query does not have
    said: float = 0.0  # of the query's letters that are the stored picture's (0-1)
    matched: int = 0  # letters in common, in runs of ``MIN_RUN`` or more

    @property
    def same(self) -> bool:
        """The query says what the stored picture says (all of it, or a cut of it)."""
        whole = self.share >= SAME_WORDS and (self.missing <= MAX_MISSING or self.share >= 0.9)
        return whole or self.cut

    @property
    def cut(self) -> bool:
        """The query says part of it and nothing else: a crop took lines off."""
        return self.said >= CUT_SAID and self.share >= CUT_SHARE and self.matched >= CUT_LETTERS

    @property
    def different(self) -> bool:
        """The query says something else (another statement, other words on a template)."""
        if self.cut:
            return False
        return self.share < DIFFERENT_WORDS or (self.missing > MAX_MISSING and self.share < 0.9)


def _area(points: np.ndarray) -> float:
    xs, ys = np.asarray(points)[:, 0], np.asarray(points)[:, 1]
    return float(0.5 * abs(np.dot(xs, np.roll(ys, 1)) - np.dot(ys, np.roll(xs, 1))))


def _reader():  # type: ignore[no-untyped-def]
    global _engine
    if _engine is None:
        with _lock:
            if _engine is None:
                _engine = _load()
    return _engine or None


def _load():  # type: ignore[no-untyped-def]
    try:
        from rapidocr import RapidOCR
    except ImportError:
        _log.warning("rapidocr is not installed: pictures made of words are compared by pixels")
        return False
    return RapidOCR(
        params={
            "Global.log_level": "error",
            "Global.use_cls": False,  # upright text only: turned copies are left to pixels
            # Detect on at most 960 pixels (the default enlarges every picture to 736 on
            # its short side: four times the work on a photo with no words).
            "Det.limit_side_len": 960,
            "Det.limit_type": "max",
            "EngineConfig.onnxruntime.intra_op_num_threads": 1,
        }
    )
