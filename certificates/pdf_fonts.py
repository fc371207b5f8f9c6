"""The CJK font for the fields filled into a cached certificate page.

The page a certificate type shares is laid out once by WeasyPrint; what differs per
certificate (holder, numbers, address…) is drawn on top. Those glyphs still have to be
embedded, and subsetting is the cost that matters: HarfBuzz (through ``uharfbuzz``)
subsets a face that stays loaded in a few milliseconds, where WeasyPrint re-reads the
26 MB collection and subsets twice (keeping glyph ids) for every document.

The subset keeps Noto CJK's CID-keyed charset, in which a glyph's CID equals its glyph
id in the full font, so the content stream shows the full font's glyph ids with
``Identity-H`` and the ToUnicode map turns them back into the same characters —
including those outside the BMP such as 𠮷 (a UTF-16 surrogate pair in the map).
"""

from __future__ import annotations

import functools
import hashlib
import subprocess
from dataclasses import dataclass, field

import uharfbuzz as harfbuzz
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

# Tables a PDF viewer does not use for drawing: dropping them keeps the subset small.
_DROPPED_TABLES = ("BASE", "DSIG", "GPOS", "GSUB", "JSTF", "LTSH", "PCLT", "VORG", "vhea", "vmtx")


def _name(value: str) -> generic.NameObject:
    return generic.NameObject(value)


@dataclass
class CjkFont:
    """One face of the installed Noto CJK collection, loaded once per process."""

    path: str
    index: int
    postscript_name: str
    face: harfbuzz.Face = field(init=False, repr=False)
    font: harfbuzz.Font = field(init=False, repr=False)
    _advances: dict[int, int] = field(init=False, default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.face = harfbuzz.Face(harfbuzz.Blob.from_file_path(self.path), self.index)
        self.font = harfbuzz.Font(self.face)
        extents = self.font.get_font_extents("ltr")
        self.units_per_em = self.face.upem
        self.ascender = extents.ascender
        self.descender = extents.descender

    def glyph(self, character: str) -> int | None:
        """The glyph id of ``character``, or ``None`` when the font does not have it."""
        return self.font.get_nominal_glyph(ord(character)) or None

    def advance(self, glyph: int) -> int:
        """The advance width in font units (cached: the same glyphs recur)."""
        width = self._advances.get(glyph)
        if width is None:
            width = self._advances[glyph] = self.font.get_glyph_h_advance(glyph)
        return width

    def subset_program(self, glyphs: set[int]) -> bytes:
        """An OpenType (CFF) font holding only ``glyphs``, CIDs unchanged."""
        subset_input = harfbuzz.SubsetInput()
        subset_input.glyph_set.update(glyphs | {0})
        subset_input.flags = harfbuzz.SubsetFlags.DESUBROUTINIZE | harfbuzz.SubsetFlags.NO_HINTING
        subset_input.sets(harfbuzz.SubsetInputSets.DROP_TABLE_TAG).update(
            int.from_bytes(tag.encode("ascii"), "big") for tag in _DROPPED_TABLES
        )
        return harfbuzz.subset(self.face, subset_input).blob.data


@functools.lru_cache(maxsize=4)
def cjk_font(family: str) -> CjkFont:
    """The file fontconfig picks for ``family`` — the same WeasyPrint draws the page with."""
    answer = subprocess.run(
        ["fc-match", "--format=%{file}\n%{index}\n%{postscriptname}", family],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split("\n")
    return CjkFont(path=answer[0], index=int(answer[1] or 0), postscript_name=answer[2])


def _to_unicode_cmap(characters: dict[int, str]) -> bytes:
    lines = [
        b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap",
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        b"/CMapName /Adobe-Identity-UCS def /CMapType 2 def",
        b"1 begincodespacerange <0000> <ffff> endcodespacerange",
    ]
    items = sorted(characters.items())
    for start in range(0, len(items), 100):
        batch = items[start : start + 100]
        lines.append(f"{len(batch)} beginbfchar".encode())
        lines.extend(
            f"<{glyph:04x}> <{character.encode('utf-16-be').hex()}>".encode()
            for glyph, character in batch
        )
        lines.append(b"endbfchar")
    lines.append(b"endcmap CMapName currentdict /CMap defineresource pop end end")
    return b"\n".join(lines)


def compressed_stream(
    data: bytes, extra: dict[str, generic.PdfObject] | None = None
) -> generic.StreamObject:
    """A Flate-compressed stream object holding ``data``."""
    stream = generic.StreamObject(
        {_name(key): value for key, value in (extra or {}).items()}, stream_data=data
    )
    stream.compress()
    return stream


def embed_font(
    *, writer: IncrementalPdfFileWriter, font: CjkFont, characters: dict[int, str]
) -> generic.IndirectObject:
    """Add a Type 0 font holding the glyphs ``characters`` maps (glyph id → character)."""
    glyphs = set(characters)
    tag = "".join(
        chr(ord("A") + byte % 26)
        for byte in hashlib.sha256(repr(sorted(glyphs)).encode()).digest()[:6]
    )
    base_font = _name(f"/{tag}+{font.postscript_name}")
    program = writer.add_object(
        compressed_stream(font.subset_program(glyphs), {"/Subtype": _name("/OpenType")})
    )
    scale = 1000 / font.units_per_em
    widest = max((font.advance(glyph) for glyph in glyphs), default=font.units_per_em)
    descriptor = writer.add_object(
        generic.DictionaryObject(
            {
                _name("/Type"): _name("/FontDescriptor"),
                _name("/FontName"): base_font,
                _name("/Flags"): generic.NumberObject(4),
                _name("/FontBBox"): generic.ArrayObject(
                    generic.NumberObject(round(value * scale))
                    for value in (0, font.descender, widest, font.ascender)
                ),
                _name("/ItalicAngle"): generic.NumberObject(0),
                _name("/Ascent"): generic.NumberObject(round(font.ascender * scale)),
                _name("/Descent"): generic.NumberObject(round(font.descender * scale)),
                _name("/CapHeight"): generic.NumberObject(round(font.ascender * scale)),
                _name("/StemV"): generic.NumberObject(80),
                _name("/FontFile3"): program,
            }
        )
    )
    widths = generic.ArrayObject()
    for glyph in sorted(glyphs):
        widths.append(generic.NumberObject(glyph))
        widths.append(generic.ArrayObject([generic.FloatObject(font.advance(glyph) * scale)]))
    descendant = writer.add_object(
        generic.DictionaryObject(
            {
                _name("/Type"): _name("/Font"),
                _name("/Subtype"): _name("/CIDFontType0"),
                _name("/BaseFont"): base_font,
                _name("/CIDSystemInfo"): generic.DictionaryObject(
                    {
                        _name("/Registry"): generic.TextStringObject("Adobe"),
                        _name("/Ordering"): generic.TextStringObject("Identity"),
                        _name("/Supplement"): generic.NumberObject(0),
                    }
                ),
                _name("/W"): widths,
                _name("/FontDescriptor"): descriptor,
            }
        )
    )
    to_unicode = writer.add_object(compressed_stream(_to_unicode_cmap(characters)))
    return writer.add_object(
        generic.DictionaryObject(
            {
                _name("/Type"): _name("/Font"),
                _name("/Subtype"): _name("/Type0"),
                _name("/BaseFont"): base_font,
                _name("/Encoding"): _name("/Identity-H"),
                _name("/DescendantFonts"): generic.ArrayObject([descendant]),
                _name("/ToUnicode"): to_unicode,
            }
        )
    )
