import io
import re

import pytest
from pypdf import PdfReader

from cases.models import CaseEvent
from certificates.models import Certificate
from certificates.services.rendering import certificate_render_and_sign
from certificates.signing import pdf_check_signature
from certificates.tasks import issue_pdf

from .conftest import HOLDER_NAME


def _signed_bytes(certificate: Certificate) -> bytes:
    with certificate.pdf.open("rb") as handle:
        return handle.read()


@pytest.fixture
def signed(certificate):
    return certificate_render_and_sign(certificate_id=certificate.pk)


def _text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_pdf_text_extracts_back_as_the_right_chinese(signed):
    # Letter-spaced headings extract with spaces between the characters.
    text = re.sub(r"\s", "", _text(_signed_bytes(signed)))
    assert "食品经营许可证" in text
    assert HOLDER_NAME in text  # 𠮷 (U+20BB7) included: the font has it
    assert "成都市市场监督管理局" in text
    assert "食品经营许可" in text
    assert signed.number in text
    assert signed.licence_id in text
    assert f"/verify/{signed.verification_token}/" in text


def test_pdf_embeds_the_named_cjk_font(signed):
    reader = PdfReader(io.BytesIO(_signed_bytes(signed)))
    fonts = []
    for font in reader.pages[0]["/Resources"]["/Font"].values():
        font = font.get_object()
        descendant = (
            font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
        )
        descriptor = descendant["/FontDescriptor"].get_object()
        embedded = any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
        fonts.append((str(font["/BaseFont"]), embedded))
    assert any("Noto-Serif-CJK-SC" in name and embedded for name, embedded in fonts), fonts


def test_pdf_carries_a_qr_code_and_a_drawn_seal(signed):
    from certificates.pdf import qr_code_svg, seal_stamp_svg

    qr = qr_code_svg("http://example.test/verify/x/")
    assert qr.startswith("<svg") and "<path" in qr
    seal = seal_stamp_svg("成都市市场监督管理局")
    assert "<circle" in seal and "<polygon" in seal and "监" in seal
    # Both are drawn into the page as vector graphics, not pictures of text.
    page = PdfReader(io.BytesIO(_signed_bytes(signed))).pages[0]
    assert len(page.get_contents().get_data()) > 5000


def test_signature_validates_with_the_bottom_line_against_the_demo_root(signed):
    data = _signed_bytes(signed)
    check = pdf_check_signature(pdf=data)
    assert check.is_valid, check.problems
    assert check.problems == []
    assert "成都市市场监督管理局" in check.signer_name
    assert check.signer_fingerprint == signed.seal_fingerprint
    assert check.sha256 == signed.pdf_sha256


def test_one_byte_changed_after_signing_fails(signed):
    data = bytearray(_signed_bytes(signed))
    position = data.index(b"WeasyPrint")  # the producer string, inside the signed range
    data[position] = ord("w")
    check = pdf_check_signature(pdf=bytes(data))
    assert not check.is_valid
    assert check.problems
    assert check.sha256 != signed.pdf_sha256


def test_content_appended_after_signing_fails(signed):
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(_signed_bytes(signed)))
    info = writer.trailer["/Info"].get_object() if "/Info" in writer.trailer else None
    if info is None:
        info = generic.DictionaryObject()
        writer.trailer["/Info"] = writer.add_object(info)
    info[generic.NameObject("/Title")] = generic.TextStringObject("篡改")
    writer.update_container(info)
    output = io.BytesIO()
    writer.write(output)
    check = pdf_check_signature(pdf=output.getvalue())
    assert not check.is_valid


def test_a_pdf_signed_by_another_root_is_not_trusted(signed, tmp_path, settings):
    data = _signed_bytes(signed)
    settings.SEALS_DIR = str(tmp_path)  # a different demo root
    from certificates.seals import seals_init

    seals_init(departments=[])
    check = pdf_check_signature(pdf=data)
    assert not check.is_valid
    assert any("根证书" in problem for problem in check.problems)


def test_garbage_is_reported_not_raised():
    check = pdf_check_signature(pdf=b"%PDF-1.7\nnot really a pdf")
    assert not check.is_valid
    assert check.problems


def test_render_and_sign_stores_file_hash_and_an_event(signed):
    assert signed.pdf.name.endswith(".pdf")
    assert signed.pdf_signed_at is not None
    assert len(signed.pdf_sha256) == 64
    event = CaseEvent.objects.get(certificate=signed, name="certificate_signed")
    assert event.data["sha256"] == signed.pdf_sha256


def test_task_run_twice_keeps_one_file_and_the_same_hash(certificate):
    first_hash = issue_pdf.apply(args=[certificate.pk]).get()
    first = Certificate.objects.get(pk=certificate.pk)
    storage = first.pdf.storage
    files_before = storage.listdir("certificates")[1]
    second_hash = issue_pdf.apply(args=[certificate.pk]).get()
    second = Certificate.objects.get(pk=certificate.pk)
    assert second_hash == first_hash == second.pdf_sha256
    assert second.pdf.name == first.pdf.name
    assert second.pdf_signed_at == first.pdf_signed_at
    assert storage.listdir("certificates")[1] == files_before
    assert CaseEvent.objects.filter(certificate=certificate, name="certificate_signed").count() == 1


def test_without_auto_created_seals_a_missing_seal_is_a_clear_error(
    certificate, settings, tmp_path
):
    from certificates.exceptions import SealMissingError

    settings.SEALS_DIR = str(tmp_path / "empty")
    settings.SEALS_AUTO_CREATE = False
    with pytest.raises(SealMissingError, match="init_seals"):
        certificate_render_and_sign(certificate_id=certificate.pk)
    certificate.refresh_from_db()
    assert not certificate.pdf and not certificate.pdf_sha256


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_store_one_file(certificate_type, holder, settings, tmp_path):
    # A fresh seal directory: both runs also race to create the department's first seal.
    settings.SEALS_DIR = str(tmp_path / "seals")
    import threading

    from django.db import connection

    from tests.factories import CertificateFactory

    certificate = CertificateFactory(certificate_type=certificate_type, holder=holder)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(certificate_render_and_sign(certificate_id=certificate.pk).pdf_sha256)
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    stored = Certificate.objects.get(pk=certificate.pk)
    assert results == [stored.pdf_sha256, stored.pdf_sha256]
    storage = stored.pdf.storage
    mine = [name for name in storage.listdir("certificates")[1] if name.startswith(stored.number)]
    assert mine == [stored.pdf.name.split("/")[-1]]
    assert CaseEvent.objects.filter(certificate=stored, name="certificate_signed").count() == 1
    with stored.pdf.open("rb") as handle:
        assert pdf_check_signature(pdf=handle.read()).is_valid
