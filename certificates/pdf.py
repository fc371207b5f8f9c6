"""The certificate's PDF: an HTML template rendered by WeasyPrint.

The Chinese text is set in Noto Serif CJK SC (Debian ``fonts-noto-cjk``), which WeasyPrint
embeds as a subset with its ToUnicode map, so the text extracts back as the same
characters — including those outside the BMP such as 𠮷. HarfBuzz's subsetter
(``libharfbuzz-subset0``) keeps this at a tenth of a second per document; without it
WeasyPrint falls back to fontTools, which needs seconds for a CJK font.
"""

from __future__ import annotations

import io
import math
from html import escape
from typing import Any

import segno
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from .exceptions import PdfRenderingError

# The named font the set-up installs (tools/servers.py ensure_packages("pdf")).
CJK_FONT_FAMILY = "Noto Serif CJK SC"
SEAL_RED = "#d42a20"


def qr_code_svg(url: str) -> str:
    """An inline SVG QR code (error correction M) for the verification address."""
    code = segno.make(url, error="m", micro=False)
    buffer = io.BytesIO()
    code.save(buffer, kind="svg", scale=3, border=2, xmldecl=False, svgns=True, nl=False)
    return buffer.getvalue().decode("ascii")


def seal_stamp_svg(department_name: str, *, size: int = 160) -> str:
    """A drawn round seal: red ring, five-pointed star, the department's name on the arc.

    Only the picture of a seal; the legal seal is the digital signature.
    """
    centre = size / 2
    ring = size / 2 - 4
    text_radius = ring - 18
    characters = list(department_name)
    # The name runs clockwise over the top, centred, about 240° for a long name.
    spread = min(240.0, 22.0 * max(len(characters) - 1, 1))
    start = -90 - spread / 2
    step = spread / max(len(characters) - 1, 1)
    font_size = 15 if len(characters) <= 12 else 12
    letters = []
    for index, character in enumerate(characters):
        angle = start + step * index if len(characters) > 1 else -90
        radians = math.radians(angle)
        x = centre + text_radius * math.cos(radians)
        y = centre + text_radius * math.sin(radians)
        letters.append(
            f'<text x="{x:.2f}" y="{y:.2f}" font-size="{font_size}" text-anchor="middle" '
            f'dominant-baseline="central" transform="rotate({angle + 90:.2f} {x:.2f} {y:.2f})">'
            f"{escape(character)}</text>"
        )
    star_points = []
    for index in range(10):
        radius = 26 if index % 2 == 0 else 10.5
        angle = math.radians(-90 + index * 36)
        star_points.append(
            f"{centre + radius * math.cos(angle):.2f},{centre + radius * math.sin(angle):.2f}"
        )
    label = escape(_("电子证照专用章"))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
        f'viewBox="0 0 {size} {size}" class="seal-stamp">'
        f'<g fill="{SEAL_RED}" stroke="none" font-family="{CJK_FONT_FAMILY}" opacity="0.88">'
        f'<circle cx="{centre}" cy="{centre}" r="{ring}" fill="none" stroke="{SEAL_RED}" '
        f'stroke-width="4"/>'
        f'<polygon points="{" ".join(star_points)}"/>'
        f"{''.join(letters)}"
        f'<text x="{centre}" y="{centre + 46}" font-size="11" text-anchor="middle">{label}</text>'
        f"</g></svg>"
    )


def certificate_html(context: dict[str, Any]) -> str:
    """The certificate page. Always in Chinese: it is the official document, whatever
    language the person or worker that triggered it uses."""
    with translation.override("zh-hans"):
        return render_to_string(
            "certificates/certificate_pdf.html", {**context, "font_family": CJK_FONT_FAMILY}
        )


def html_to_document(html: str) -> Any:
    """The laid-out WeasyPrint document (its pages tell where named boxes landed)."""
    try:
        from weasyprint import HTML
    except OSError as error:  # pango or its friends are not installed
        raise PdfRenderingError(
            _(
                "无法生成PDF：缺少 WeasyPrint 需要的系统库（pango）。请安装 Debian 软件包 "
                "libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk。"
            )
            + f" ({error})"
        ) from error
    return HTML(string=html).render()


def html_to_pdf(html: str) -> bytes:
    return html_to_document(html).write_pdf()
