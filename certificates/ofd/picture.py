"""The picture of an electronic seal (印章图像, the ``picture`` of GB/T 38540's
``SES_ESPictureInfo``): drawn once per seal with Pillow, carried in the seal and placed on
the page. Only the look of a seal; the legal seal is the SM2 signature."""

from __future__ import annotations

import io
import math

from django.utils.translation import gettext as _

SEAL_PICTURE_MM = 40
SEAL_FONT_PATH = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"
SEAL_FONT_INDEX = 2  # Noto Serif CJK SC within the collection
SEAL_RED = (212, 42, 32, 225)


def seal_picture_png(department_name: str, *, size: int = 472) -> bytes:
    """The seal's appearance: red ring, star and the department's name on the arc (PNG
    with transparency, 40 mm at 300 dpi). Only the picture of a seal; the legal seal is
    the SM2 signature."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    centre = size / 2
    ring = size / 2 - 10
    draw.ellipse(
        (centre - ring, centre - ring, centre + ring, centre + ring),
        outline=SEAL_RED,
        width=max(6, size // 40),
    )
    star = []
    for index in range(10):
        radius = size * 0.16 if index % 2 == 0 else size * 0.065
        angle = math.radians(-90 + index * 36)
        star.append((centre + radius * math.cos(angle), centre + radius * math.sin(angle)))
    draw.polygon(star, fill=SEAL_RED)
    characters = list(department_name)
    font_size = int(size * (0.1 if len(characters) <= 12 else 0.08))
    try:
        font = ImageFont.truetype(SEAL_FONT_PATH, font_size, index=SEAL_FONT_INDEX)
    except OSError:
        font = ImageFont.load_default(font_size)
    spread = min(240.0, 22.0 * max(len(characters) - 1, 1))
    step = spread / max(len(characters) - 1, 1)
    text_radius = ring - font_size * 0.9
    for index, character in enumerate(characters):
        angle = -90 - spread / 2 + step * index if len(characters) > 1 else -90
        glyph = Image.new("RGBA", (font_size * 2, font_size * 2), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text(
            (font_size, font_size), character, font=font, fill=SEAL_RED, anchor="mm"
        )
        glyph = glyph.rotate(-(angle + 90), resample=Image.Resampling.BICUBIC)
        x = centre + text_radius * math.cos(math.radians(angle))
        y = centre + text_radius * math.sin(math.radians(angle))
        image.alpha_composite(glyph, (int(x - font_size), int(y - font_size)))
    label_font_size = int(size * 0.07)
    try:
        label_font = ImageFont.truetype(SEAL_FONT_PATH, label_font_size, index=SEAL_FONT_INDEX)
    except OSError:
        label_font = ImageFont.load_default(label_font_size)
    draw.text(
        (centre, centre + size * 0.29),
        _("电子证照专用章"),
        font=label_font,
        fill=SEAL_RED,
        anchor="mm",
    )
    buffer = io.BytesIO()
    # A 32-colour palette keeps the edges smooth at a quarter of the bytes; the picture
    # travels in every certificate twice (page resource and seal file).
    image.quantize(colors=32, method=Image.Quantize.FASTOCTREE).save(
        buffer, format="PNG", optimize=True
    )
    return buffer.getvalue()
