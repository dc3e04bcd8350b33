"""Edits that misused copies carry, for building test queries from known images."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw


def jpeg(image: Image.Image, quality: int = 60) -> bytes:
    """Encode as JPEG, as a re-upload to a social network would."""
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=quality)
    return out.getvalue()


def crop(image: Image.Image, share: float) -> Image.Image:
    """Cut ``share`` of the width and height off each side."""
    dx, dy = round(image.width * share), round(image.height * share)
    return image.crop((dx, dy, image.width - dx, image.height - dy))


def caption_band(
    image: Image.Image, text: str = "BREAKING: missile strike last night"
) -> Image.Image:
    """Add a white band with black text above the picture, like a meme caption."""
    band = max(24, image.height // 5)
    out = Image.new("RGB", (image.width, image.height + band), "white")
    out.paste(image, (0, band))
    draw = ImageDraw.Draw(out)
    draw.text((8, band // 4), text, fill="black")
    draw.text((8, band // 2), "Share before it is deleted!", fill="black")
    return out


def archetype(image: Image.Image) -> bytes:
    """The ministry 'proof': cropped, captioned, downscaled and recompressed."""
    edited = caption_band(crop(image, 0.05))
    edited = edited.resize((edited.width * 3 // 4, edited.height * 3 // 4))
    return jpeg(edited, quality=50)


def border(image: Image.Image, share: float = 0.1, colour: str = "black") -> Image.Image:
    """Frame the picture, as reposts and video stills often are."""
    dx, dy = round(image.width * share), round(image.height * share)
    out = Image.new("RGB", (image.width + 2 * dx, image.height + 2 * dy), colour)
    out.paste(image, (dx, dy))
    return out


def mirror(image: Image.Image) -> Image.Image:
    return image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)


def web_page(image: Image.Image, width: int = 1200) -> Image.Image:
    """A screenshot of a news-feed page with the picture in one post among menus and text.

    The picture takes about a third of the page's width, as in a desktop browser.
    """
    height = width * 2 // 3
    page = Image.new("RGB", (width, height), (240, 242, 245))
    draw = ImageDraw.Draw(page)
    draw.rectangle((0, 0, width, 52), fill="white")  # top bar
    for i in range(8):  # side menu: icons and labels
        draw.ellipse((20, 80 + 44 * i, 44, 104 + 44 * i), outline=(90, 90, 90), width=2)
        draw.text((56, 86 + 44 * i), f"Menu item {i}", fill=(60, 60, 60))
    post = (width // 4, 70, width * 3 // 4 - 40, height - 20)
    draw.rectangle(post, fill="white")
    draw.ellipse((post[0] + 16, post[1] + 14, post[0] + 56, post[1] + 54), fill=(70, 130, 180))
    draw.text((post[0] + 68, post[1] + 20), "Official Account @ministry", fill="black")
    draw.text((post[0] + 16, post[1] + 64), "PROOF of the attack last night. Share!", fill="black")
    shown = image.copy()
    shown.thumbnail((post[2] - post[0] - 32, post[3] - post[1] - 140))
    page.paste(shown, (post[0] + 16, post[1] + 96))
    for i in range(5):  # a sidebar of text lines
        draw.text((width * 3 // 4, 90 + 24 * i), "Trending: something else entirely", fill="grey")
    return page


def burst(photo: Image.Image) -> tuple[Image.Image, Image.Image]:
    """Two neighbouring shots of one scene: the camera panned a little between them."""
    w, h = photo.size
    return photo.crop((0, 0, w - 60, h - 20)), photo.crop((60, 20, w, h))


def meme(template: Image.Image, words: str) -> Image.Image:
    """A meme: ``words`` in outlined capitals over the top of a square template."""
    out = template.resize((640, 640))
    draw = ImageDraw.Draw(out)
    outline = {"fill": "white", "font_size": 40, "stroke_width": 3, "stroke_fill": "black"}
    draw.text((24, 20), words.upper(), **outline)
    draw.text((24, 540), "SHARE BEFORE IT IS DELETED", **outline)
    return out


def statement(words: str) -> Image.Image:
    """A screenshot of a text-only post: an account's chrome around a statement."""
    out = Image.new("RGB", (720, 520), "white")
    draw = ImageDraw.Draw(out)
    draw.ellipse((24, 24, 88, 88), fill=(30, 60, 120))
    draw.text((104, 30), "Government Press Office", fill="black", font_size=26)
    draw.text((104, 62), "@gov_press · Official statement", fill="grey", font_size=20)
    for n, start in enumerate(range(0, len(words.split()), 6)):
        line = " ".join(words.split()[start : start + 6])
        draw.text((24, 130 + 44 * n), line, fill="black", font_size=30)
    draw.text((24, 470), "12:41 · 1 Mar 2026 · 48.2K views", fill="grey", font_size=20)
    return out


def collage(pictures: list[Image.Image], gap: int = 0) -> Image.Image:
    """Four pictures in a 2x2 grid of 400x300 cells, ``gap`` white pixels between them
    (each picture resized to its cell, as collage apps do)."""
    out = Image.new("RGB", (800 + gap, 600 + gap), "white")
    for k, picture in enumerate(pictures):
        out.paste(
            picture.convert("RGB").resize((400, 300)), (k % 2 * (400 + gap), k // 2 * (300 + gap))
        )
    return out


def logo_on_border(image: Image.Image, colour: str = "white") -> Image.Image:
    """A border with the reposter's logo placed across its inner edge, bottom left."""
    pad = max(12, round(max(image.size) * 0.06))
    out = Image.new("RGB", (image.width + 2 * pad, image.height + 2 * pad), colour)
    out.paste(image.convert("RGB"), (pad, pad))
    w, h = round(out.width * 0.22), round(pad * 1.8)
    y = out.height - pad - h // 2
    ImageDraw.Draw(out).rounded_rectangle((pad // 2, y, pad // 2 + w, y + h), h // 4, (230, 120, 0))
    return out
