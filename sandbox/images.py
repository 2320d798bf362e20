"""Deterministic placeholder images and title overlays drawn with Pillow."""

from __future__ import annotations

import hashlib
import textwrap
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

SIZES = {"1:1": (1024, 1024), "16:9": (1344, 768), "9:16": (768, 1344)}


def image_size(aspect_ratio: str) -> tuple[int, int]:
    """Pixel size for an aspect ratio name (1:1 when unknown)."""
    return SIZES.get(aspect_ratio, SIZES["1:1"])


def generate_image(prompt: str, aspect_ratio: str, path: Path, variant: int = 0) -> tuple[int, int]:
    """Write a PNG that depends only on the prompt, ratio and variant; return its size."""
    width, height = image_size(aspect_ratio)
    seed = hashlib.sha256(f"{prompt}\x00{variant}".encode()).digest()
    top = (seed[0], seed[1], seed[2])
    bottom = (seed[3], seed[4], seed[5])
    mask = Image.linear_gradient("L").resize((width, height))
    image = Image.composite(
        Image.new("RGB", (width, height), bottom), Image.new("RGB", (width, height), top), mask
    )
    draw = ImageDraw.Draw(image, "RGBA")
    for i in range(6):
        b = seed[6 + i * 4 : 10 + i * 4]
        cx, cy = b[0] * width // 255, b[1] * height // 255
        r = 40 + b[2] * min(width, height) // 700
        colour = (b[3], 255 - b[3], (b[0] + b[1]) % 256, 140)
        box = (cx - r, cy - r, cx + r, cy + r)
        if i % 2:
            draw.ellipse(box, fill=colour)
        else:
            draw.rectangle(box, fill=colour)
    _draw_caption(draw, prompt, width, height)
    image.save(path, "PNG", compress_level=1)
    return width, height


def _draw_caption(draw: ImageDraw.ImageDraw, text: str, width: int, height: int) -> None:
    font = ImageFont.load_default(size=max(24, width // 24))
    lines = textwrap.wrap(text, width=28)[:4] or [" "]
    line_height = font.getbbox("Ag")[3] + 12
    y = height - line_height * len(lines) - height // 12
    for line in lines:
        box = draw.textbbox((0, 0), line, font=font)
        x = (width - (box[2] - box[0])) // 2
        draw.text((x + 3, y + 3), line, font=font, fill=(0, 0, 0, 160))
        draw.text((x, y), line, font=font, fill=(255, 255, 255, 255))
        y += line_height


def title_overlay(text: str, width: int, height: int, path: Path) -> None:
    """Write a transparent canvas-sized PNG with the title text on a dark band."""
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=max(32, min(width, height) // 12))
    lines = textwrap.wrap(text, width=24)[:3] or [" "]
    line_height = font.getbbox("Ag")[3] + 16
    band = line_height * len(lines) + 40
    top = (height - band) // 2
    draw.rectangle((0, top, width, top + band), fill=(0, 0, 0, 120))
    y = top + 20
    for line in lines:
        box = draw.textbbox((0, 0), line, font=font)
        draw.text(((width - (box[2] - box[0])) // 2, y), line, font=font, fill=(255, 255, 255, 255))
        y += line_height
    image.save(path, "PNG", compress_level=1)


def read_size(path: Path) -> tuple[int, int] | None:
    """Width and height of an image file, or None when Pillow cannot read it."""
    try:
        with Image.open(path) as image:
            return image.size
    except (OSError, SyntaxError, ValueError):
        return None
