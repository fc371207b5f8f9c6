"""The certificate as an OFD package (GB/T 33190-2016) and its SM2 seal (GB/T 38540-2020).

One A4 page, everything in millimetres, drawn from plain XML strings: the layout is fixed
per certificate type (label column, value column, rows), so a certificate costs only
filling its values in, one QR code and one SM2 signature. The text is set in the standard
font name 宋体 (SimSun), which OFD readers map to their own CJK serif: no font file is
embedded, which keeps a document at a few tens of KiB (docs/certificates-ofd.md).
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import unicodedata
import uuid
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from .seal import SM2_SIGNATURE_OID, SM3_OID, SM2Seal, seal_sign, sm3_digest

OFD_NAMESPACE = "http://www.ofdspec.org/2016"
XML_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'
PAGE_WIDTH = 210.0
PAGE_HEIGHT = 297.0
FONT_NAME = "宋体"
LABEL_X = 28.0
VALUE_X = 64.0
VALUE_WIDTH = 122.0
FIRST_ROW_Y = 62.0
ROW_GAP = 3.2
LINE_HEIGHT = 6.0
VALUE_SIZE = 4.2
MIN_VALUE_SIZE = 2.6
LABEL_SIZE = 3.9
QR_BOX = (28.0, 222.0, 34.0, 34.0)
SEAL_BOX = (128.0, 212.0, 40.0, 40.0)
PROVIDER = "OneWindow"
PROVIDER_VERSION = "1.0"

PAGE_PATH = "Doc_0/Pages/Page_0/Content.xml"
SIGNATURES_PATH = "Doc_0/Signs/Signatures.xml"
SIGN_DIR = "Doc_0/Signs/Sign_0"
SIGNATURE_PATH = f"{SIGN_DIR}/Signature.xml"
SEAL_PATH = f"{SIGN_DIR}/Seal.esl"
SIGNED_VALUE_PATH = f"{SIGN_DIR}/SignedValue.dat"
STORED_SUFFIXES = (".png", ".esl", ".dat")


@dataclass(frozen=True)
class OfdSheet:
    """What one certificate's page shows, already in Chinese, and what a library indexes.

    ``rows`` are (label, value) pairs in order; ``custom_data`` goes into DocInfo's
    CustomDatas (licence identifier, holder, type, number...)."""

    title: str
    subtitle: str
    rows: tuple[tuple[str, str], ...]
    issuer_lines: tuple[str, ...]
    note: str
    qr_caption: str
    verify_url: str
    qr_png: bytes
    custom_data: Mapping[str, str]
    author: str
    document_title: str
    created_on: dt.date
    keywords: tuple[str, ...] = field(default_factory=tuple)


def _advance(character: str, size: float) -> float:
    wide = unicodedata.east_asian_width(character) in ("W", "F")
    return size if wide else size * 0.5


def _lines(text: str, size: float, width: float) -> list[str]:
    """Break ``text`` into lines no wider than ``width`` (CJK breaks anywhere)."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        current, used = "", 0.0
        for character in paragraph:
            step = _advance(character, size)
            if current and used + step > width:
                lines.append(current)
                current, used = "", 0.0
            current += character
            used += step
        lines.append(current)
    return lines


def _fitting_size(value: str) -> float:
    """Identifiers and numbers (no CJK) shrink to stay on one line, so that they read and
    extract as one string; prose wraps at the normal size instead."""
    if any(_advance(character, 1.0) == 1.0 for character in value):
        return VALUE_SIZE
    width = sum(_advance(character, 1.0) for character in value)
    return max(MIN_VALUE_SIZE, min(VALUE_SIZE, VALUE_WIDTH / max(width, 1.0)))


def _delta_x(text: str, size: float) -> str:
    advances = [_advance(character, size) for character in text[:-1]]
    if not advances:
        return ""
    if len(set(advances)) == 1:
        return f"g {len(advances)} {advances[0]:g}"
    return " ".join(f"{value:g}" for value in advances)


class _Ids:
    def __init__(self, start: int) -> None:
        self.value = start

    def next(self) -> int:
        self.value += 1
        return self.value


def _text_object(
    ids: _Ids,
    *,
    x: float,
    y: float,
    lines: Iterable[str],
    size: float,
    font_id: int,
    color: str = "0 0 0",
    width: float | None = None,
    centred: bool = False,
) -> tuple[str, float]:
    """One TextObject, one TextCode per line; returns the XML and its height."""
    lines = list(lines)
    text_width = max((sum(_advance(c, size) for c in line) for line in lines), default=0.0)
    box_width = width if width is not None else text_width + 1
    if centred:
        x = (PAGE_WIDTH - text_width) / 2
        box_width = text_width + 1
    height = LINE_HEIGHT * (len(lines) - 1) + size * 1.3
    codes = []
    for index, line in enumerate(lines):
        delta = _delta_x(line, size)
        delta_attribute = f" DeltaX={quoteattr(delta)}" if delta else ""
        codes.append(
            f'<ofd:TextCode X="0" Y="{size * 0.95 + index * LINE_HEIGHT:.2f}"'
            f"{delta_attribute}>{escape(line)}</ofd:TextCode>"
        )
    xml = (
        f'<ofd:TextObject ID="{ids.next()}" Boundary="{x:.2f} {y:.2f} {box_width:.2f} '
        f'{height:.2f}" Font="{font_id}" Size="{size:g}">'
        f'<ofd:FillColor Value="{color}"/>{"".join(codes)}</ofd:TextObject>'
    )
    return xml, height


def _image_object(ids: _Ids, box: tuple[float, float, float, float], resource_id: int) -> str:
    x, y, width, height = box
    return (
        f'<ofd:ImageObject ID="{ids.next()}" Boundary="{x:g} {y:g} {width:g} {height:g}" '
        f'CTM="{width:g} 0 0 {height:g} 0 0" ResourceID="{resource_id}"/>'
    )


def _frame(ids: _Ids) -> str:
    return (
        f'<ofd:PathObject ID="{ids.next()}" Boundary="12 12 186 273" LineWidth="0.9">'
        '<ofd:StrokeColor Value="176 141 87"/>'
        "<ofd:AbbreviatedData>M 0 0 L 186 0 L 186 273 L 0 273 C</ofd:AbbreviatedData>"
        "</ofd:PathObject>"
    )


FONT_ID, QR_ID, SEAL_IMAGE_ID, PAGE_ID, LAYER_ID = 1, 2, 3, 4, 5


def _page_content(sheet: OfdSheet) -> tuple[str, int]:
    ids = _Ids(LAYER_ID)
    objects = [_frame(ids)]
    title, _ = _text_object(
        ids, x=0, y=24, lines=[sheet.title], size=9.0, font_id=FONT_ID, centred=True
    )
    subtitle, _ = _text_object(
        ids,
        x=0,
        y=38,
        lines=[sheet.subtitle],
        size=4.0,
        font_id=FONT_ID,
        color="85 85 85",
        centred=True,
    )
    objects += [title, subtitle]
    y = FIRST_ROW_Y
    for label, value in sheet.rows:
        size = _fitting_size(value)
        label_xml, _ = _text_object(
            ids,
            x=LABEL_X,
            y=y,
            lines=[label],
            size=LABEL_SIZE,
            font_id=FONT_ID,
            color="85 85 85",
            width=VALUE_X - LABEL_X - 2,
        )
        value_xml, height = _text_object(
            ids,
            x=VALUE_X,
            y=y,
            lines=_lines(value, size, VALUE_WIDTH),
            size=size,
            font_id=FONT_ID,
            width=VALUE_WIDTH,
        )
        objects += [label_xml, value_xml]
        y += max(height, LINE_HEIGHT) + ROW_GAP
    issuer_y = SEAL_BOX[1] + 8
    for line in sheet.issuer_lines:
        line_xml, _ = _text_object(
            ids,
            x=SEAL_BOX[0] - 4,
            y=issuer_y,
            lines=[line],
            size=4.4,
            font_id=FONT_ID,
            width=60,
        )
        objects.append(line_xml)
        issuer_y += 8
    objects.append(_image_object(ids, QR_BOX, QR_ID))
    caption, _ = _text_object(
        ids,
        x=QR_BOX[0],
        y=QR_BOX[1] + QR_BOX[3] + 1,
        lines=[sheet.qr_caption],
        size=3.0,
        font_id=FONT_ID,
        color="85 85 85",
        width=QR_BOX[2],
    )
    objects.append(caption)
    objects.append(_image_object(ids, SEAL_BOX, SEAL_IMAGE_ID))
    note, _ = _text_object(
        ids,
        x=LABEL_X,
        y=266,
        lines=_lines(sheet.note, 2.8, 154),
        size=2.8,
        font_id=FONT_ID,
        color="102 102 102",
        width=154,
    )
    objects.append(note)
    xml = (
        f'{XML_HEAD}<ofd:Page xmlns:ofd="{OFD_NAMESPACE}"><ofd:Content>'
        f'<ofd:Layer ID="{LAYER_ID}" Type="Body">{"".join(objects)}</ofd:Layer>'
        "</ofd:Content></ofd:Page>"
    )
    return xml, ids.value


def _ofd_xml(sheet: OfdSheet) -> str:
    custom = "".join(
        f"<ofd:CustomData Name={quoteattr(name)}>{escape(value)}</ofd:CustomData>"
        for name, value in sheet.custom_data.items()
    )
    keywords = "".join(f"<ofd:Keyword>{escape(word)}</ofd:Keyword>" for word in sheet.keywords)
    return (
        f'{XML_HEAD}<ofd:OFD xmlns:ofd="{OFD_NAMESPACE}" Version="1.0" DocType="OFD">'
        "<ofd:DocBody><ofd:DocInfo>"
        f"<ofd:DocID>{uuid.uuid4().hex}</ofd:DocID>"
        f"<ofd:Title>{escape(sheet.document_title)}</ofd:Title>"
        f"<ofd:Author>{escape(sheet.author)}</ofd:Author>"
        f"<ofd:CreationDate>{sheet.created_on.isoformat()}</ofd:CreationDate>"
        f"{f'<ofd:Keywords>{keywords}</ofd:Keywords>' if keywords else ''}"
        f"<ofd:Creator>{PROVIDER}</ofd:Creator>"
        f"<ofd:CreatorVersion>{PROVIDER_VERSION}</ofd:CreatorVersion>"
        f"<ofd:CustomDatas>{custom}</ofd:CustomDatas>"
        "</ofd:DocInfo>"
        "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot>"
        f"<ofd:Signatures>{SIGNATURES_PATH}</ofd:Signatures>"
        "</ofd:DocBody></ofd:OFD>"
    )


def _document_xml(max_unit_id: int) -> str:
    return (
        f'{XML_HEAD}<ofd:Document xmlns:ofd="{OFD_NAMESPACE}"><ofd:CommonData>'
        f"<ofd:MaxUnitID>{max_unit_id}</ofd:MaxUnitID>"
        f"<ofd:PageArea><ofd:PhysicalBox>0 0 {PAGE_WIDTH:g} {PAGE_HEIGHT:g}</ofd:PhysicalBox>"
        "</ofd:PageArea>"
        "<ofd:PublicRes>PublicRes.xml</ofd:PublicRes>"
        "<ofd:DocumentRes>DocumentRes.xml</ofd:DocumentRes>"
        "</ofd:CommonData>"
        f'<ofd:Pages><ofd:Page ID="{PAGE_ID}" BaseLoc="Pages/Page_0/Content.xml"/></ofd:Pages>'
        "</ofd:Document>"
    )


PUBLIC_RES_XML = (
    f'{XML_HEAD}<ofd:Res xmlns:ofd="{OFD_NAMESPACE}" BaseLoc="Res"><ofd:Fonts>'
    f'<ofd:Font ID="{FONT_ID}" FontName="{FONT_NAME}" FamilyName="{FONT_NAME}" Charset="unicode"/>'
    "</ofd:Fonts></ofd:Res>"
)
DOCUMENT_RES_XML = (
    f'{XML_HEAD}<ofd:Res xmlns:ofd="{OFD_NAMESPACE}" BaseLoc="Res"><ofd:MultiMedias>'
    f'<ofd:MultiMedia ID="{QR_ID}" Type="Image" Format="PNG"><ofd:MediaFile>qr.png</ofd:MediaFile>'
    "</ofd:MultiMedia>"
    f'<ofd:MultiMedia ID="{SEAL_IMAGE_ID}" Type="Image" Format="PNG">'
    "<ofd:MediaFile>seal.png</ofd:MediaFile></ofd:MultiMedia>"
    "</ofd:MultiMedias></ofd:Res>"
)
SIGNATURES_XML = (
    f'{XML_HEAD}<ofd:Signatures xmlns:ofd="{OFD_NAMESPACE}"><ofd:MaxSignId>1</ofd:MaxSignId>'
    f'<ofd:Signature ID="1" Type="Seal" BaseLoc="/{SIGNATURE_PATH}"/></ofd:Signatures>'
)


def ofd_unsigned_entries(*, sheet: OfdSheet, seal_picture_png: bytes) -> dict[str, bytes]:
    """Every part of the package but the signature's own files, by entry name."""
    page, max_id = _page_content(sheet)
    return {
        "OFD.xml": _ofd_xml(sheet).encode("utf-8"),
        "Doc_0/Document.xml": _document_xml(max_id).encode("utf-8"),
        "Doc_0/PublicRes.xml": PUBLIC_RES_XML.encode("utf-8"),
        "Doc_0/DocumentRes.xml": DOCUMENT_RES_XML.encode("utf-8"),
        PAGE_PATH: page.encode("utf-8"),
        "Doc_0/Res/qr.png": sheet.qr_png,
        "Doc_0/Res/seal.png": seal_picture_png,
        SIGNATURES_PATH: SIGNATURES_XML.encode("utf-8"),
    }


def signature_xml(
    *, entries: Mapping[str, bytes], signed_at: dt.datetime, seal_entry: bytes
) -> bytes:
    """The Signature.xml: SM3 of every signed part (the seal file included), when, and
    where the stamp appears. Its exact bytes are what the SM2 signature covers."""
    references = "".join(
        f'<ofd:Reference FileRef="/{name}"><ofd:CheckValue>'
        f"{base64.b64encode(sm3_digest(data)).decode('ascii')}</ofd:CheckValue></ofd:Reference>"
        for name, data in sorted({**entries, SEAL_PATH: seal_entry}.items())
    )
    x, y, width, height = SEAL_BOX
    return (
        f'{XML_HEAD}<ofd:Signature xmlns:ofd="{OFD_NAMESPACE}"><ofd:SignedInfo>'
        f'<ofd:Provider ProviderName="{PROVIDER}" Version="{PROVIDER_VERSION}" Company="OneWindow"/>'
        f"<ofd:SignatureMethod>{SM2_SIGNATURE_OID}</ofd:SignatureMethod>"
        f"<ofd:SignatureDateTime>{signed_at.astimezone(dt.UTC):%Y-%m-%dT%H:%M:%SZ}"
        "</ofd:SignatureDateTime>"
        f'<ofd:References CheckMethod="{SM3_OID}">{references}</ofd:References>'
        f'<ofd:StampAnnot ID="1" PageRef="{PAGE_ID}" Boundary="{x:g} {y:g} {width:g} {height:g}"/>'
        f"<ofd:Seal><ofd:BaseLoc>/{SEAL_PATH}</ofd:BaseLoc></ofd:Seal>"
        f"</ofd:SignedInfo><ofd:SignedValue>/{SIGNED_VALUE_PATH}</ofd:SignedValue>"
        "</ofd:Signature>"
    ).encode()


def ofd_zip(entries: Mapping[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for name, data in entries.items():
            # PNGs are compressed already, and the seal and the signature are mostly the
            # seal's PNG: deflating them again only costs time.
            kind = zipfile.ZIP_STORED if name.endswith(STORED_SUFFIXES) else zipfile.ZIP_DEFLATED
            archive.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), data, kind)
    return buffer.getvalue()


def ofd_seal(
    *, entries: Mapping[str, bytes], seal: SM2Seal, signed_at: dt.datetime
) -> dict[str, bytes]:
    """Add the signature's parts to ``entries``: Signature.xml, the seal (DER
    ``SES_Seal``), and the DER ``SES_Signature`` of GB/T 38540 whose dataHash is the SM3
    of Signature.xml (what GB/T 33190 §18 signs) and propertyInfo its location."""
    signature = signature_xml(entries=entries, signed_at=signed_at, seal_entry=seal.seal_bytes)
    value = seal_sign(
        seal=seal, signed_data=signature, signed_at=signed_at, location=f"/{SIGNATURE_PATH}"
    )
    return {
        **entries,
        SEAL_PATH: seal.seal_bytes,
        SIGNATURE_PATH: signature,
        SIGNED_VALUE_PATH: value,
    }


def ofd_build(*, sheet: OfdSheet, seal: SM2Seal, signed_at: dt.datetime) -> bytes:
    """The sealed OFD file of one certificate."""
    entries = ofd_unsigned_entries(sheet=sheet, seal_picture_png=seal.picture_png)
    return ofd_zip(ofd_seal(entries=entries, seal=seal, signed_at=signed_at))
