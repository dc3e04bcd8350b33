"""What misused images circulate inside, and what innocent images share with them.

Every frame here has one fixed chrome, the same on every picture it holds: a social post
of the same account with the same text, a video player with the same controls and title,
a TV channel's lower third with the same logo and ticker, a phone's lock screen, a
statement card. That is what makes them traps: an innocent picture shown in the same
frame as a known fake shares everything but the picture. Also here: 2x2 collages,
photos of a screen, heavy filters, a logo across the border, memes, and "bursts" (the
neighbouring shot of the same scene). Deterministic for a given seed.
"""

from __future__ import annotations

import math
import random

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont, ImageOps

WORDS = (
    "the minister said today that our forces have destroyed enemy positions near the border "
    "after a night of heavy fighting local residents reported explosions and fires while "
    "officials denied any civilian casualties and promised a full investigation into claims "
    "that the video was staged by foreign agents spreading lies about the operation"
).split()


def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=max(8, size))


def fit(image: Image.Image, width: int, height: int) -> Image.Image:
    """``image`` scaled (up or down) to fit inside width x height, aspect kept, as players
    and feeds show a picture at their own width."""
    return ImageOps.contain(image, (width, height), Image.Resampling.LANCZOS)


def cover(image: Image.Image, width: int, height: int) -> Image.Image:
    """``image`` scaled and centre-cropped to fill width x height."""
    return ImageOps.fit(image, (width, height), Image.Resampling.LANCZOS)


# --- frames with a fixed chrome ------------------------------------------------------


def post_frame(image: Image.Image) -> Image.Image:
    """A social post: the same account, the same text, the same buttons, every time."""
    width = 720
    shown = fit(image, width - 48, 560)
    head, foot = 130, 70
    out = Image.new("RGB", (width, head + shown.height + foot), "white")
    draw = ImageDraw.Draw(out)
    draw.ellipse((24, 20, 80, 76), fill=(70, 130, 180))
    draw.text((96, 24), "Ministry of Information", fill="black", font=font(22))
    draw.text((96, 52), "@official_ministry · 2h", fill=(100, 100, 100), font=font(18))
    draw.text(
        (24, 90),
        "PROOF of the attack last night. Share before it is deleted!",
        fill="black",
        font=font(20),
    )
    out.paste(shown, ((width - shown.width) // 2, head))
    y = head + shown.height + 22
    for i, label in enumerate(("Like 12K", "Comment 3.4K", "Share 8.1K")):
        draw.rectangle((24 + 230 * i, y, 44 + 230 * i, y + 20), fill=(120, 120, 120))
        draw.text((52 + 230 * i, y), label, fill=(80, 80, 80), font=font(18))
    return out


def player_frame(image: Image.Image) -> Image.Image:
    """A video player: letterboxed picture, the same title, progress bar and controls."""
    width, height = 1280, 720
    out = Image.new("RGB", (width, height), "black")
    shown = fit(image, width, height - 90)
    out.paste(shown, ((width - shown.width) // 2, (height - 90 - shown.height) // 2))
    draw = ImageDraw.Draw(out, "RGBA")
    draw.rectangle((0, 0, width, 56), fill=(0, 0, 0, 160))
    draw.text(
        (20, 14), "EXCLUSIVE: strike on the convoy, full footage (HD)", fill="white", font=font(24)
    )
    draw.rectangle((0, height - 90, width, height), fill=(18, 18, 18, 255))
    draw.rectangle((20, height - 80, width - 20, height - 74), fill=(90, 90, 90, 255))
    draw.rectangle(
        (20, height - 80, 20 + (width - 40) * 2 // 5, height - 74), fill=(230, 30, 30, 255)
    )
    draw.ellipse(
        (20 + (width - 40) * 2 // 5 - 8, height - 85, 20 + (width - 40) * 2 // 5 + 8, height - 69),
        fill=(230, 30, 30, 255),
    )
    draw.polygon([(30, height - 55), (30, height - 25), (56, height - 40)], fill="white")
    draw.text((80, height - 52), "1:23 / 4:56", fill="white", font=font(22))
    for k in range(3):
        x = width - 60 - 56 * k
        draw.rectangle((x, height - 54, x + 32, height - 26), outline="white", width=3)
    return out


def tv_frame(image: Image.Image) -> Image.Image:
    """A TV channel's still: the picture full frame under the same lower third and logo."""
    width, height = 1280, 720
    out = cover(image, width, height).convert("RGB")
    draw = ImageDraw.Draw(out, "RGBA")
    draw.rectangle((0, height - 170, width, height - 70), fill=(170, 0, 0, 235))
    draw.rectangle((0, height - 170, 210, height - 70), fill=(255, 255, 255, 255))
    draw.text((24, height - 142), "NEWS24", fill=(170, 0, 0), font=font(44))
    draw.text((236, height - 160), "BREAKING NEWS", fill=(255, 230, 0), font=font(26))
    draw.text(
        (236, height - 122),
        "Army says strike destroyed rebel command centre",
        fill="white",
        font=font(34),
    )
    draw.rectangle((0, height - 70, width, height), fill=(20, 20, 60, 245))
    draw.text(
        (20, height - 52),
        "MARKETS: DOW +0.4%  ·  WEATHER: storms in the north  ·  SPORT: cup final tonight",
        fill="white",
        font=font(26),
    )
    draw.rounded_rectangle((width - 170, 24, width - 24, 84), radius=10, fill=(200, 0, 0, 230))
    draw.text((width - 146, 34), "LIVE", fill="white", font=font(36))
    return out


def fixed_watermark(image: Image.Image) -> Image.Image:
    """The same channel watermark across the middle, as reposting accounts stamp."""
    out = image.convert("RGBA")
    layer = Image.new("RGBA", out.size, (0, 0, 0, 0))
    size = max(12, out.width // 9)
    ImageDraw.Draw(layer).text(
        (out.width // 8, out.height // 2 - size // 2),
        "@war_news_daily",
        fill=(255, 255, 255, 120),
        font=font(size),
    )
    return Image.alpha_composite(out, layer).convert("RGB")


def page_frame(image: Image.Image) -> Image.Image:
    """A desktop screenshot of a news feed: the picture a third of the page wide, among
    the same menus, account, text and trending sidebar every time."""
    width, height = 1280, 800
    out = Image.new("RGB", (width, height), (240, 242, 245))
    draw = ImageDraw.Draw(out)
    draw.rectangle((0, 0, width, 56), fill="white")
    draw.text((24, 16), "feedbook", fill=(24, 119, 242), font=font(26))
    draw.rounded_rectangle((300, 12, 700, 44), radius=16, fill=(240, 242, 245))
    for i in range(9):
        draw.ellipse((20, 84 + 46 * i, 46, 110 + 46 * i), outline=(90, 90, 90), width=2)
        draw.text((58, 88 + 46 * i), f"Menu item {i}", fill=(60, 60, 60), font=font(17))
    post = (320, 72, 900, height - 16)
    draw.rectangle(post, fill="white")
    draw.ellipse((post[0] + 16, post[1] + 14, post[0] + 60, post[1] + 58), fill=(70, 130, 180))
    draw.text((post[0] + 72, post[1] + 18), "Ministry of Information", fill="black", font=font(18))
    draw.text(
        (post[0] + 16, post[1] + 70),
        "PROOF of the attack last night. Share!",
        fill="black",
        font=font(17),
    )
    shown = fit(image, post[2] - post[0] - 32, post[3] - post[1] - 160)
    out.paste(shown, (post[0] + 16, post[1] + 104))
    for i in range(6):
        draw.text(
            (930, 96 + 30 * i), f"Trending: story number {i}", fill=(90, 90, 90), font=font(16)
        )
    return out


FRAMES = {"post": post_frame, "player": player_frame, "tv": tv_frame, "page": page_frame}


# --- other ways a picture circulates -----------------------------------------------------


def collage(pictures: list[Image.Image], where: int, gap: int) -> Image.Image:
    """A 2x2 collage of four pictures, each 400x300; ``gap`` white pixels between them."""
    cell_w, cell_h = 400, 300
    out = Image.new("RGB", (2 * cell_w + gap, 2 * cell_h + gap), "white")
    for k, picture in enumerate(pictures):
        x, y = (k % 2) * (cell_w + gap), (k // 2) * (cell_h + gap)
        out.paste(cover(picture, cell_w, cell_h).convert("RGB"), (x, y))
    return out


def screen_photo(image: Image.Image, rng: random.Random) -> Image.Image:
    """A phone photo of the picture on a monitor: bezel, perspective ±8 %, moiré, blur."""
    shown = fit(image, 800, 600).convert("RGB")
    w, h = shown.size
    canvas = Image.new("RGB", (w + 120, h + 120), (30, 30, 32))
    canvas.paste(shown, (60, 60))
    arr = np.asarray(canvas).astype(np.float32)
    yy, xx = np.mgrid[0 : arr.shape[0], 0 : arr.shape[1]]
    period = rng.uniform(3.0, 5.0)
    moire = 1.0 + 0.06 * np.sin(2 * math.pi * (xx * 0.97 + yy * 0.23) / period)
    arr = np.clip(arr * moire[..., None] * rng.uniform(0.85, 1.1), 0, 255).astype(np.uint8)
    canvas = Image.fromarray(arr)
    W, H = canvas.size
    j = lambda v: v * rng.uniform(-0.08, 0.08)  # noqa: E731
    corners = [(j(W), j(H)), (W + j(W), j(H)), (W + j(W), H + j(H)), (j(W), H + j(H))]
    coeffs = _perspective_coefficients([(0, 0), (W, 0), (W, H), (0, H)], corners)
    canvas = canvas.transform(
        (W, H),
        Image.Transform.PERSPECTIVE,
        coeffs,
        Image.Resampling.BICUBIC,
        fillcolor=(20, 20, 20),
    )
    return canvas.filter(ImageFilter.GaussianBlur(rng.uniform(0.6, 1.4)))


def _perspective_coefficients(source: list, target: list) -> list[float]:
    rows = []
    for (x, y), (u, v) in zip(target, source, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    a = np.array(rows, dtype=np.float64)
    b = np.array(source, dtype=np.float64).reshape(8)
    return np.linalg.solve(a, b).tolist()


def heavy_filter(image: Image.Image, rng: random.Random) -> Image.Image:
    """An app filter: saturation, a warm or cold tint, a strong vignette, contrast."""
    out = ImageEnhance.Color(image.convert("RGB")).enhance(rng.uniform(1.6, 2.2))
    out = ImageEnhance.Contrast(out).enhance(rng.uniform(1.1, 1.4))
    arr = np.asarray(out).astype(np.float32)
    tint = np.array([1.15, 1.0, 0.8]) if rng.random() < 0.5 else np.array([0.85, 1.0, 1.2])
    h, w = arr.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    r = np.hypot((xx - w / 2) / (w / 2), (yy - h / 2) / (h / 2)) / math.sqrt(2)
    vignette = 1 - 0.55 * r**2
    arr = np.clip(arr * tint * vignette[..., None], 0, 255)
    return Image.fromarray(arr.astype(np.uint8))


def logo_on_border(image: Image.Image, rng: random.Random) -> Image.Image:
    """A coloured border with the reposter's logo straddling the border and the picture."""
    pad = max(12, round(max(image.size) * 0.06))
    out = ImageOps.expand(
        image.convert("RGB"), border=pad, fill=rng.choice(["white", "black", (20, 40, 120)])
    )
    draw = ImageDraw.Draw(out)
    w, h = round(out.width * 0.22), round(pad * 1.8)
    x = rng.choice([pad // 2, out.width - w - pad // 2])
    y = out.height - pad - h // 2
    draw.rounded_rectangle((x, y, x + w, y + h), radius=h // 4, fill=(230, 120, 0))
    draw.text((x + 8, y + h // 5), "ViralNow", fill="white", font=font(h // 2))
    return out


def burst_pair(image: Image.Image) -> tuple[Image.Image, Image.Image]:
    """Two neighbouring frames of a burst: 80 % windows of the scene, shifted by 15 %."""
    w, h = image.size
    ww, hh = round(w * 0.8), round(h * 0.8)
    dx = round(w * 0.15)
    top = (h - hh) // 2
    first = image.crop((0, top, ww, top + hh))
    second = ImageEnhance.Brightness(image.crop((dx, top, dx + ww, top + hh))).enhance(1.08)
    return first, second


# --- pictures made of text and interface --------------------------------------------------


def statement(seed: int, words: int = 34) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def text_post(text: str) -> Image.Image:
    """A statement card: the same account and chrome, the words are the message."""
    width = 720
    lines = _wrap(text, 40)
    out = Image.new("RGB", (width, 150 + 38 * len(lines) + 90), "white")
    draw = ImageDraw.Draw(out)
    draw.ellipse((24, 20, 84, 80), fill=(30, 90, 60))
    draw.text((100, 26), "Government Press Office", fill="black", font=font(24))
    draw.text((100, 56), "@gov_press · Official statement", fill=(100, 100, 100), font=font(18))
    for n, line in enumerate(lines):
        draw.text((28, 110 + 38 * n), line, fill="black", font=font(28))
    y = 130 + 38 * len(lines)
    draw.line((24, y, width - 24, y), fill=(220, 220, 220), width=2)
    draw.text((28, y + 20), "12:41 · 1 Mar 2026 · 48.2K views", fill=(100, 100, 100), font=font(18))
    return out


def meme(template: Image.Image, top: str, bottom: str) -> Image.Image:
    """A meme: a template picture with words above and below, in outlined capitals."""
    out = cover(template, 640, 640).convert("RGB")
    draw = ImageDraw.Draw(out)
    for text, y in ((top, 20), (bottom, 640 - 110)):
        for n, line in enumerate(_wrap(text.upper(), 24)[:2]):
            draw.text(
                (24, y + 44 * n),
                line,
                fill="white",
                font=font(40),
                stroke_width=3,
                stroke_fill="black",
            )
    return out


def lock_screen(seed: int) -> Image.Image:
    """A phone lock screen: the same clock and notifications over a smooth wallpaper."""
    rng = random.Random(seed)
    width, height = 540, 960
    top = np.array([rng.randint(0, 255) for _ in range(3)], np.float32)
    bottom = np.array([rng.randint(0, 255) for _ in range(3)], np.float32)
    t = np.linspace(0, 1, height, dtype=np.float32)[:, None, None]
    wave = (
        0.5
        + 0.5
        * np.sin(np.linspace(0, rng.uniform(1, 4) * math.pi, width, dtype=np.float32))[
            None, :, None
        ]
    )
    arr = top * (1 - t) + bottom * t
    arr = arr * (0.85 + 0.15 * wave)
    return lock_screen_interface(Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8)))


def lock_screen_interface(wallpaper: Image.Image | None = None) -> Image.Image:
    """The lock screen's clock and notifications, over ``wallpaper`` (plain grey when
    None: what a moderator stores in the negative bank as an overlay)."""
    width, height = 540, 960
    out = wallpaper.copy() if wallpaper is not None else Image.new("RGB", (width, height), "grey")
    draw = ImageDraw.Draw(out, "RGBA")
    draw.text((130, 120), "09:41", fill="white", font=font(110))
    draw.text((150, 250), "Tuesday 1 December", fill="white", font=font(30))
    for k in range(2):
        y = 380 + 110 * k
        draw.rounded_rectangle((30, y, width - 30, y + 90), radius=18, fill=(255, 255, 255, 170))
        draw.text((54, y + 16), "Messages · now", fill=(40, 40, 40), font=font(20))
        draw.text(
            (54, y + 46), "Did you see the video from the border?", fill=(20, 20, 20), font=font(22)
        )
    draw.ellipse((60, height - 120, 120, height - 60), fill=(255, 255, 255, 120))
    draw.ellipse((width - 120, height - 120, width - 60, height - 60), fill=(255, 255, 255, 120))
    return out


def _wrap(text: str, width: int) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        if len(line) + len(word) + 1 > width and line:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return lines + ([line] if line else [])
