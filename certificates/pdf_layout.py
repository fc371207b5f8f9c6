"""Lay each certificate page out once, then fill in the fields.

Most of a certificate page is the same for every certificate of one type issued by one
department on one day: the frame, the title, the labels, the dates, the drawn seal.
WeasyPrint lays that page out once, with an empty, named box (a "slot", sized to the
number of lines its value will take) where each per-certificate value goes, and the
page is kept per process. Each certificate then costs only drawing its values into the
slots — text in the same Noto CJK font, the QR code as filled squares — as an
incremental update that is signed in the same pass, so the signature covers the filled
page (see ``signing.pdf_sign_writer``).

A value with a character the CJK font lacks, or a combining mark, returns ``None``: the
caller then renders the whole page with WeasyPrint, which finds a fallback font and
shapes the text.
"""

from __future__ import annotations

import functools
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import segno
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from .pdf import CJK_FONT_FAMILY, certificate_html, html_to_document, seal_stamp_svg
from .pdf_fonts import CjkFont, cjk_font, compressed_stream, embed_font

# The template's ``line-height`` (close to the font's own 1.437 em, so the look is kept).
LINE_HEIGHT = 1.44
PX_TO_PT = 0.75  # CSS pixels to PDF points
FONT_RESOURCE = "/OWFill"
QR_MASK = 0
_BREAK_AFTER = frozenset(" -./_:")

# Slot → (font size in pt, grey level of the text), as the template's CSS sets them.
SLOT_STYLES: dict[str, tuple[float, float]] = {
    "number": (12, 0x22 / 255),
    "holder_name": (12, 0x22 / 255),
    "holder_id_number": (12, 0x22 / 255),
    "legal_representative": (12, 0x22 / 255),
    "address": (12, 0x22 / 255),
    "business_scope": (12, 0x22 / 255),
    "licence_id": (9, 0x22 / 255),
    "verify_url": (8, 0x66 / 255),
}
OPTIONAL_SLOTS = ("legal_representative", "address", "business_scope")
# Everything else in the fields is shared by many certificates: part of the page's key.
SHARED_FIELDS = (
    "type_name",
    "version",
    "holder_id_label",
    "item_name",
    "department_name",
    "issued_on",
    "valid_from",
    "valid_until",
)


@dataclass(frozen=True)
class Box:
    """A slot on the laid-out page, in PDF points from the top-left corner."""

    left: float
    top: float
    right: float
    bottom: float


@dataclass(frozen=True)
class LaidOutPage:
    """One laid-out certificate page: its PDF and where its slots are."""

    pdf: bytes
    page_height: float
    slots: dict[str, Box]


def slot_values(fields: dict[str, Any]) -> dict[str, str]:
    """The per-certificate text of each slot, whitespace collapsed as HTML shows it."""
    values = {}
    for name in SLOT_STYLES:
        if name in OPTIONAL_SLOTS and not fields.get(name):
            continue
        value = fields.get(name) or ("—" if name == "licence_id" else "")
        values[name] = re.sub(r"\s+", " ", str(value)).strip()
    return values


def _break_units(text: str) -> Iterator[str]:
    """Pieces between line-break opportunities: around each CJK character and after a
    space or one of ``-./_:`` — close to what Pango allows in our values (names,
    addresses, numbers, licence identifiers, addresses on the web)."""
    unit = ""
    for character in text:
        if unit and unicodedata.east_asian_width(character) in "WF":
            yield unit
            unit = ""
        unit += character
        if character in _BREAK_AFTER or unicodedata.east_asian_width(character) in "WF":
            yield unit
            unit = ""
    if unit:
        yield unit


def _glyph(font: CjkFont, character: str) -> int:
    """The glyph drawn for ``character``. Combining marks and variation selectors need
    shaping (mark positioning, glyph variants), which only the whole render does."""
    glyph = font.glyph(character)
    if glyph is None or unicodedata.category(character).startswith("M"):
        raise KeyError(character)
    return glyph


def wrap(text: str, *, font: CjkFont, size: float, width: float) -> list[list[int]]:
    """Glyph ids per line: as many whole pieces (``_break_units``) as fit, and a piece
    wider than a line broken between any two characters (as CSS ``break-all`` does).
    Raises ``KeyError`` for a character the font lacks."""
    scale = size / font.units_per_em
    lines: list[list[int]] = [[]]
    used = 0.0
    for unit in _break_units(text):
        glyphs = [_glyph(font, character) for character in unit]
        advances = [font.advance(glyph) * scale for glyph in glyphs]
        # A space at the end of a line hangs: it does not count.
        visible = sum(advances[:-1]) if unit.endswith(" ") else sum(advances)
        if lines[-1] and used + visible > width:
            lines.append([])
            used = 0.0
        for glyph, advance in zip(glyphs, advances, strict=True):
            if lines[-1] and used + advance > width and glyph != font.glyph(" "):
                lines.append([])
                used = 0.0
            lines[-1].append(glyph)
            used += advance
    return lines


@functools.lru_cache(maxsize=1)
def slot_widths() -> dict[str, float]:
    """How wide each slot is (points). It does not depend on the values: the label
    column has a fixed width and the table fills the frame, so one probe page tells."""
    probe = {**{name: "" for name in SHARED_FIELDS}, "version": 1, "department_name": "—"}
    page = laid_out_page(
        shared=tuple(probe.items()),
        line_counts=tuple((name, 1) for name in SLOT_STYLES),
    )
    return {name: box.right - box.left for name, box in page.slots.items()}


@functools.lru_cache(maxsize=64)
def laid_out_page(
    *, shared: tuple[tuple[str, Any], ...], line_counts: tuple[tuple[str, int], ...]
) -> LaidOutPage:
    """The page with these shared fields and slots this many lines tall (kept: the
    next certificate of the same type, department and day reuses it)."""
    context: dict[str, Any] = dict(shared)
    slots = {name: count * SLOT_STYLES[name][0] * LINE_HEIGHT for name, count in line_counts}
    for name in OPTIONAL_SLOTS:
        context[name] = name in slots
    context.update(slots=slots, seal_svg=seal_stamp_svg(context["department_name"]))
    document = html_to_document(certificate_html(context))
    page = document.pages[0]
    boxes = {
        anchor.removeprefix("slot-"): Box(*(value * PX_TO_PT for value in position))
        for anchor, position in page.anchors.items()
        if anchor.startswith("slot-")
    }
    return LaidOutPage(pdf=document.write_pdf(), page_height=page.height * PX_TO_PT, slots=boxes)


def _text_operations(
    *, page: LaidOutPage, lines_by_slot: dict[str, list[list[int]]], font: CjkFont
) -> Iterator[str]:
    yield "BT"
    for name, lines in lines_by_slot.items():
        size, grey = SLOT_STYLES[name]
        box = page.slots[name]
        line_height = size * LINE_HEIGHT
        # CSS puts half the leading above the font's ascent: that is the baseline.
        ascent = font.ascender * size / font.units_per_em
        descent = -font.descender * size / font.units_per_em
        first_baseline = box.top + (line_height - ascent - descent) / 2 + ascent
        yield f"/{FONT_RESOURCE[1:]} {size:g} Tf {grey:.4f} {grey:.4f} {grey:.4f} rg"
        for index, glyphs in enumerate(lines):
            baseline = page.page_height - (first_baseline + index * line_height)
            shown = "".join(f"{glyph:04x}" for glyph in glyphs)
            yield f"1 0 0 1 {box.left:.3f} {baseline:.3f} Tm <{shown}> Tj"
    yield "ET"


def _qr_operations(*, page: LaidOutPage, url: str) -> Iterator[str]:
    """The QR code (error correction M, a two-module border) as black squares, merged
    into one rectangle per run of dark modules in a row.

    The mask is fixed: choosing the best of eight by the standard's penalty score is
    four fifths of segno's time, and every reader decodes any mask (its number is in
    the code's format information)."""
    box = page.slots["qr"]
    matrix = segno.make(url, error="m", micro=False, mask=QR_MASK).matrix
    module = (box.right - box.left) / (len(matrix) + 4)
    yield "0 0 0 rg"
    for row_index, row in enumerate(matrix):
        top = page.page_height - box.top - (row_index + 2) * module
        for start, length in _dark_runs(row):
            left = box.left + (start + 2) * module
            yield f"{left:.3f} {top - module:.3f} {length * module:.3f} {module:.3f} re"
    yield "f"


def _dark_runs(row: Any) -> Iterator[tuple[int, int]]:
    start = None
    for index, dark in enumerate((*row, 0)):
        if dark and start is None:
            start = index
        elif not dark and start is not None:
            yield start, index - start
            start = None


def filled_certificate_writer(*, fields: dict[str, Any]) -> IncrementalPdfFileWriter | None:
    """The certificate's page, laid out once per type and day, with this certificate's
    values drawn in; not yet written, so the caller signs it in the same revision.
    ``None`` when a value needs a glyph the CJK font lacks."""
    font = cjk_font(CJK_FONT_FAMILY)
    widths = slot_widths()
    values = slot_values(fields)
    try:
        lines_by_slot = {
            name: wrap(text, font=font, size=SLOT_STYLES[name][0], width=widths[name])
            for name, text in values.items()
        }
    except KeyError:
        return None
    shared = tuple((name, fields.get(name)) for name in SHARED_FIELDS)
    page = laid_out_page(
        shared=shared,
        line_counts=tuple((name, len(lines)) for name, lines in lines_by_slot.items()),
    )
    characters = {
        font.glyph(character): character for text in values.values() for character in text
    }
    writer = IncrementalPdfFileWriter(io.BytesIO(page.pdf), strict=False)
    font_reference = embed_font(writer=writer, font=font, characters=characters)
    operations = [
        *_text_operations(page=page, lines_by_slot=lines_by_slot, font=font),
        *_qr_operations(page=page, url=fields["verify_url"]),
    ]
    # WeasyPrint's content may leave a transformation in force: isolate it in q … Q.
    opening = writer.add_object(generic.StreamObject(stream_data=b"q\n"))
    writer.add_stream_to_page(0, opening, prepend=True)
    overlay = compressed_stream(("Q\n" + "\n".join(operations)).encode("ascii"))
    writer.add_stream_to_page(
        0,
        writer.add_object(overlay),
        resources=generic.DictionaryObject(
            {
                generic.NameObject("/Font"): generic.DictionaryObject(
                    {generic.NameObject(FONT_RESOURCE): font_reference}
                )
            }
        ),
    )
    return writer
