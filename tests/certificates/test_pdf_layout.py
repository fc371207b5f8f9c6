"""The certificate page laid out once per type and filled per certificate must read and
sit exactly as the page WeasyPrint renders whole, and still validate."""

import io
import re

import segno
from django.utils import translation
from pypdf import PdfReader

from certificates.models import Certificate
from certificates.pdf import certificate_html, html_to_pdf, qr_code_svg, seal_stamp_svg
from certificates.pdf_layout import QR_MASK, filled_certificate_writer, laid_out_page
from certificates.seals import seal_for_department
from certificates.services.rendering import certificate_fields, certificate_render_and_sign
from certificates.signing import pdf_check_signature
from tests.factories import CertificateFactory

from .conftest import HOLDER_NAME

LONG_ADDRESS = (
    "四川省成都市高新区天府大道北段一千七百号环球中心一号楼二十三层二三零一室附属办公区域东侧"
)


def _fields(certificate: Certificate, **changes) -> dict:
    with translation.override("zh-hans"):
        return {**certificate_fields(certificate=certificate), **changes}


def _whole_page(fields: dict) -> bytes:
    with translation.override("zh-hans"):
        context = {
            **fields,
            "qr_svg": qr_code_svg(fields["verify_url"]),
            "seal_svg": seal_stamp_svg(fields["department_name"]),
        }
        return html_to_pdf(certificate_html(context))


def _filled_page(fields: dict) -> bytes:
    with translation.override("zh-hans"):
        writer = filled_certificate_writer(fields=fields)
    assert writer is not None
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def _placed_text(data: bytes) -> set[tuple[str, float, float]]:
    """Every piece of text with where its baseline starts, in points."""
    placed = set()

    def visit(text, cm, tm, font, size):
        if text.strip():
            x = cm[4] + tm[4] * cm[0] + tm[5] * cm[2]
            y = cm[5] + tm[4] * cm[1] + tm[5] * cm[3]
            placed.add((re.sub(r"\s", "", text), round(x), round(y)))

    PdfReader(io.BytesIO(data)).pages[0].extract_text(visitor_text=visit)
    return placed


def _text(data: bytes) -> str:
    return re.sub(r"\s", "", PdfReader(io.BytesIO(data)).pages[0].extract_text())


def _signed(certificate: Certificate) -> bytes:
    stored = certificate_render_and_sign(certificate_id=certificate.pk)
    with stored.pdf.open("rb") as handle:
        return handle.read()


def test_filled_page_places_every_value_where_the_whole_render_does(certificate):
    fields = _fields(
        certificate, address=LONG_ADDRESS, legal_representative="王五", business_scope="餐饮服务"
    )
    whole_pdf, filled_pdf = _whole_page(fields), _filled_page(fields)
    whole, filled = _placed_text(whole_pdf), _placed_text(filled_pdf)
    values = {
        piece for piece in whole if any(part in piece[0] for part in ("𠮷", "四川", "王五", "餐饮"))
    }
    assert len(values) >= 4  # the address wraps onto a second line, at the same character
    assert values <= filled
    # The long licence identifier wraps too: same lines, though Pango may pick another
    # dot to break at than the filled page does.
    assert {(x, y) for _text, x, y in whole} == {(x, y) for _text, x, y in filled}
    assert certificate.licence_id in _text(whole_pdf)
    assert certificate.licence_id in _text(filled_pdf)


def test_a_long_address_pushes_the_rows_below_it_down(certificate):
    short = _placed_text(_filled_page(_fields(certificate, address="成都市")))
    long = _placed_text(_filled_page(_fields(certificate, address=LONG_ADDRESS)))

    def row_of(placed, label):
        return next(y for text, _x, y in placed if text == label)

    assert row_of(long, "办理事项") < row_of(short, "办理事项") - 15  # one more 12 pt line


def test_signed_filled_certificate_validates_and_extracts_the_same_characters(certificate):
    data = _signed(certificate)
    assert pdf_check_signature(pdf=data).is_valid
    text = _text(data)
    for value in (HOLDER_NAME, certificate.number, certificate.licence_id, "110101199003071234"):
        assert value in text
    resources = PdfReader(io.BytesIO(data)).pages[0]["/Resources"]["/Font"]
    assert "/OWFill" in resources  # drawn into the cached page, not rendered whole


def test_certificates_of_one_type_share_one_laid_out_page(certificate, certificate_type):
    other = CertificateFactory(
        certificate_type=certificate_type,
        holder=certificate.holder,
        licence_id=certificate.licence_id.replace("000001", "000002"),
        data={"item_name": "食品经营许可", "holder_name": "李四"},
    )
    _signed(certificate)
    before = laid_out_page.cache_info()
    data = _signed(other)
    after = laid_out_page.cache_info()
    assert after.misses == before.misses and after.hits == before.hits + 1
    assert "李四" in _text(data) and HOLDER_NAME not in _text(data)


def test_a_new_version_gets_its_own_page_with_its_subtitle(certificate, certificate_type):
    second = CertificateFactory(
        certificate_type=certificate_type, holder=certificate.holder, version=2
    )
    assert "第2版" in _text(_signed(second))
    assert "第2版" not in _text(_signed(certificate))


def test_the_qr_code_drawn_is_the_code_of_the_verification_address(certificate):
    fields = _fields(certificate)
    reader = PdfReader(io.BytesIO(_filled_page(fields)))
    overlay = reader.pages[0]["/Contents"][-1].get_object().get_data().decode()
    squares = [
        tuple(map(float, match))
        for match in re.findall(r"([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+) re", overlay)
    ]
    module = min(height for *_rest, height in squares)
    left = min(x for x, *_rest in squares) - 2 * module  # the two-module quiet zone
    top = max(y + height for _x, y, _w, height in squares) + 2 * module
    expected = segno.make(fields["verify_url"], error="m", micro=False, mask=QR_MASK).matrix
    drawn = [[0] * len(expected) for _ in expected]
    for x, y, width, height in squares:
        row = round((top - y - height) / module) - 2
        start = round((x - left) / module) - 2
        for column in range(start, start + round(width / module)):
            drawn[row][column] = 1
    assert drawn == [list(row) for row in expected]


def test_a_character_the_cjk_font_lacks_falls_back_to_the_whole_render(certificate):
    certificate.data = {**certificate.data, "holder_name": "ნინო 张"}  # Georgian: DejaVu has it
    certificate.save(update_fields=["data"])
    assert filled_certificate_writer(fields=_fields(certificate)) is None
    data = _signed(certificate)
    assert pdf_check_signature(pdf=data).is_valid
    assert "ნინო" in _text(data)
    assert "/OWFill" not in PdfReader(io.BytesIO(data)).pages[0]["/Resources"]["/Font"]


def test_a_combining_mark_is_left_to_the_whole_render_which_shapes_it(certificate):
    fields = _fields(certificate, holder_name="张三e\u0301")
    assert filled_certificate_writer(fields=fields) is None


def test_a_replaced_seal_signs_the_next_certificate(certificate, certificate_type):
    first = _signed(certificate)
    department = certificate_type.issuing_department
    old = seal_for_department(department=department, create_if_missing=False)
    old_fingerprint = old.fingerprint
    old.key_path.unlink()
    old.cert_path.unlink()
    new = seal_for_department(department=department, create_if_missing=True)
    assert new.fingerprint != old_fingerprint
    second = CertificateFactory(certificate_type=certificate_type, holder=certificate.holder)
    check = pdf_check_signature(pdf=_signed(second))
    assert check.is_valid
    assert check.signer_fingerprint == new.fingerprint
    assert pdf_check_signature(pdf=first).signer_fingerprint != new.fingerprint
