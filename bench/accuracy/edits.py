"""The edits that misused copies carry, grouped into families.

Modelled on copy-detection benchmarks (DISC21 was generated with AugLy, which is
used here for the screenshot template and emoji stickers) and on what debunkers
see: recompression, rescaling, colour changes, flips and rotations, crops, caption
bands and bars, logos, borders, screenshots and social-media post frames, and the
"ministry" combination (crop + caption band + logo + downscale + JPEG 40).
Every edit is deterministic for a given seed.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable

import augly.image as imaugs
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont, ImageOps

Edit = Callable[[Image.Image, random.Random], Image.Image | bytes]

WORDS = "breaking news exclusive footage shows the attack last night share before deleted".split()


def jpeg(image: Image.Image, quality: int = 85) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=quality)
    return out.getvalue()


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    return ImageFont.load_default(size=max(8, size))


def _sentence(rng: random.Random, n: int = 6) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).upper()


def scale(factor: float) -> Edit:
    def edit(im: Image.Image, rng: random.Random) -> Image.Image:
        return im.resize((max(16, round(im.width * factor)), max(16, round(im.height * factor))))

    return edit


def crop_sides(share: float) -> Edit:
    def edit(im: Image.Image, rng: random.Random) -> Image.Image:
        dx, dy = round(im.width * share), round(im.height * share)
        return im.crop((dx, dy, im.width - dx, im.height - dy))

    return edit


def window(area: float) -> Edit:
    """A window of ``area`` of the picture at a random position."""

    def edit(im: Image.Image, rng: random.Random) -> Image.Image:
        side = area**0.5
        w, h = round(im.width * side), round(im.height * side)
        left, top = rng.randint(0, im.width - w), rng.randint(0, im.height - h)
        return im.crop((left, top, left + w, top + h))

    return edit


def caption_band(where: str) -> Edit:
    def edit(im: Image.Image, rng: random.Random) -> Image.Image:
        band = max(24, round(im.height * rng.uniform(0.15, 0.3)))
        colour = rng.choice(["white", "black", (250, 250, 240)])
        ink = "white" if colour == "black" else "black"
        out = Image.new("RGB", (im.width, im.height + band), colour)
        out.paste(im, (0, band if where == "top" else 0))
        draw = ImageDraw.Draw(out)
        font = _font(band // 4)
        y0 = 0 if where == "top" else im.height
        draw.text((8, y0 + band // 6), _sentence(rng, 5), fill=ink, font=font)
        draw.text((8, y0 + band // 2), _sentence(rng, 4), fill=ink, font=font)
        return out

    return edit


def caption_bar(im: Image.Image, rng: random.Random) -> Image.Image:
    """A semi-transparent bar with text over the bottom of the picture (TV/news style)."""
    out = im.convert("RGBA")
    layer = Image.new("RGBA", out.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    bar = round(im.height * 0.16)
    draw.rectangle((0, im.height - bar, im.width, im.height), fill=(0, 0, 0, 170))
    draw.text((8, im.height - bar + bar // 5), _sentence(rng), fill="white", font=_font(bar // 2))
    return Image.alpha_composite(out, layer).convert("RGB")


def watermark(im: Image.Image, rng: random.Random) -> Image.Image:
    out = im.convert("RGBA")
    layer = Image.new("RGBA", out.size, (0, 0, 0, 0))
    ImageDraw.Draw(layer).text(
        (im.width // 6, im.height // 2),
        "@" + rng.choice(WORDS) + "_news",
        fill=(255, 255, 255, 110),
        font=_font(im.height // 8),
    )
    return Image.alpha_composite(out, layer).convert("RGB")


def logo(im: Image.Image, rng: random.Random) -> Image.Image:
    """A channel logo in a corner."""
    out = im.copy()
    draw = ImageDraw.Draw(out)
    w, h = round(im.width * 0.18), round(im.height * 0.1)
    x = rng.choice([6, im.width - w - 6])
    y = rng.choice([6, im.height - h - 6])
    draw.rounded_rectangle(
        (x, y, x + w, y + h), radius=h // 4, fill=rng.choice(["red", "navy", "white"])
    )
    draw.text((x + 4, y + h // 5), "TV24", fill="yellow", font=_font(h // 2))
    return out


def emoji(im: Image.Image, rng: random.Random) -> Image.Image:
    return imaugs.overlay_emoji(
        im, emoji_size=0.2, x_pos=rng.uniform(0, 0.7), y_pos=rng.uniform(0, 0.7)
    ).convert("RGB")


def border(share: float, colour: str) -> Edit:
    def edit(im: Image.Image, rng: random.Random) -> Image.Image:
        return ImageOps.expand(im, border=round(max(im.size) * share), fill=colour)

    return edit


def letterbox(im: Image.Image, rng: random.Random) -> Image.Image:
    """Fit into a 16:9 black frame, as a video still would be."""
    height = max(im.height, round(im.width * 9 / 16))
    width = round(height * 16 / 9)
    out = Image.new("RGB", (width, height), "black")
    out.paste(im, ((width - im.width) // 2, (height - im.height) // 2))
    return out


def screenshot(im: Image.Image, rng: random.Random) -> Image.Image:
    """The picture inside a web-page screenshot (AugLy's template)."""
    return imaugs.overlay_onto_screenshot(im, resize_src_to_match_template=True).convert("RGB")


def social_post(im: Image.Image, rng: random.Random) -> Image.Image:
    """The picture in a social-media post frame: avatar, name, text above, buttons below."""
    pad = round(im.width * 0.05)
    head, foot = round(im.width * 0.22), round(im.width * 0.1)
    out = Image.new("RGB", (im.width + 2 * pad, im.height + head + foot), "white")
    draw = ImageDraw.Draw(out)
    r = head // 5
    draw.ellipse((pad, pad, pad + 2 * r, pad + 2 * r), fill=rng.choice(["steelblue", "tomato"]))
    font = _font(head // 8)
    draw.text((pad + 3 * r, pad), "Official Account @ministry", fill="black", font=font)
    draw.text((pad, pad + 2 * r + 6), _sentence(rng, 7).lower(), fill="black", font=font)
    out.paste(im, (pad, head))
    for i in range(4):
        x = pad + i * (im.width // 4)
        draw.rectangle(
            (x, head + im.height + foot // 3, x + foot // 3, head + im.height + 2 * foot // 3),
            fill="grey",
        )
    return out


def ministry(im: Image.Image, rng: random.Random) -> bytes:
    """The archetype: a 75 % window, a caption band, a logo, downscaled, JPEG 40."""
    out = caption_band("top")(logo(window(0.75)(im, rng), rng), rng)
    return jpeg(scale(0.6)(out, rng), 40)


def rotate(degrees: float) -> Edit:
    def edit(im: Image.Image, rng: random.Random) -> Image.Image:
        return imaugs.rotate(im, degrees=degrees)  # AugLy crops to the largest inner box

    return edit


def _q(quality: int) -> Edit:
    return lambda im, rng: jpeg(im, quality)


FAMILIES: dict[str, dict[str, Edit]] = {
    "easy": {
        "jpeg-20": _q(20),
        "jpeg-40": _q(40),
        "scale-0.2": scale(0.2),
        "scale-0.5": scale(0.5),
        "scale-2": scale(2.0),
        "blur": lambda im, rng: im.filter(ImageFilter.GaussianBlur(2)),
        "noise": lambda im, rng: imaugs.random_noise(
            im, var=0.005, seed=rng.randint(0, 9999)
        ).convert("RGB"),
        "sharpen": lambda im, rng: im.filter(ImageFilter.UnsharpMask(3, 200)),
        "colour": lambda im, rng: ImageEnhance.Color(
            ImageEnhance.Contrast(im).enhance(1.3)
        ).enhance(1.6),
        "gamma": lambda im, rng: im.point(lambda v: round(255 * (v / 255) ** 0.6)),
        "hue": lambda im, rng: imaugs.color_jitter(
            im, saturation_factor=1.5, brightness_factor=1.2
        ).convert("RGB"),
        "grayscale": lambda im, rng: ImageOps.grayscale(im).convert("RGB"),
        "mirror": lambda im, rng: ImageOps.mirror(im),
        "rotate-90": lambda im, rng: im.transpose(Image.Transpose.ROTATE_90),
        "rotate-180": lambda im, rng: im.transpose(Image.Transpose.ROTATE_180),
    },
    "small-rotation": {"rotate-3": rotate(3), "rotate-8": rotate(8)},
    "crop": {
        "crop-5": crop_sides(0.05),
        "crop-10": crop_sides(0.10),
        "crop-15": crop_sides(0.15),
        "window-70": window(0.7),
        "window-50": window(0.5),
    },
    "caption": {
        "band-top": caption_band("top"),
        "band-bottom": caption_band("bottom"),
        "bar-inside": caption_bar,
        "watermark": watermark,
    },
    "overlay": {"emoji": emoji, "logo": logo},
    "border": {
        "border-black": border(0.1, "black"),
        "border-white": border(0.05, "white"),
        "letterbox": letterbox,
    },
    "screenshot": {"web-page": screenshot, "social-post": social_post},
    "ministry": {"ministry": ministry},
}


def apply(edit: Edit, image: Image.Image, seed: int) -> bytes:
    """Run ``edit`` and encode the result as a re-upload would (JPEG 85 unless the edit chose)."""
    out = edit(image, random.Random(seed))
    return out if isinstance(out, bytes) else jpeg(out)
