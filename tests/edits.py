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
