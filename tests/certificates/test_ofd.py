"""The OFD certificate: every demo type produces a package an independent reader (ofdkit)
opens, with the holder and the licence identifier in its text and its metadata."""

import datetime as dt
import zipfile
from io import BytesIO
from pathlib import Path

import ofdkit
import pytest
from django.conf import settings

from cases.models import CaseEvent, Job
from certificates.models import OfdDocument
from certificates.ofd.package import PAGE_PATH, SIGNATURE_PATH
from certificates.services.issuance import (
    certificate_issue_pdf_after_commit,
    certificate_licence_id,
    licence_serial,
)
from certificates.services.ofd import certificate_ofd_render_and_seal
from departments.constants import CertificateFormats
from departments.models import CertificateType
from departments.services.catalogue import catalogue_import
from tests.factories import ApplicantFactory, CertificateFactory

from .conftest import HOLDER_NAME

DEMO_CATALOGUE = Path(settings.BASE_DIR) / "departments" / "demo" / "catalogue.yaml"


def _ofd_bytes(document: OfdDocument) -> bytes:
    with document.file.open("rb") as handle:
        return handle.read()


@pytest.fixture
def sealed(certificate):
    return certificate_ofd_render_and_seal(certificate_id=certificate.pk)


@pytest.mark.django_db
def test_every_demo_certificate_type_opens_in_ofdkit_with_holder_and_identifier():
    catalogue_import(path=DEMO_CATALOGUE)
    types = list(CertificateType.objects.select_related("issuing_department").order_by("code"))
    assert len(types) >= 40
    assert {certificate_type.formats for certificate_type in types} == {CertificateFormats.BOTH}
    holder = ApplicantFactory(name=HOLDER_NAME, id_number="110101199003071234")
    for sequence, certificate_type in enumerate(types, start=1):
        licence_id = certificate_licence_id(
            certificate_type=certificate_type,
            department=certificate_type.issuing_department,
            serial=licence_serial(year=2026, sequence=sequence),
            version=1,
        )
        certificate = CertificateFactory(
            number=f"{certificate_type.code}-2026-{sequence:06d}",
            licence_id=licence_id,
            certificate_type=certificate_type,
            holder=holder,
            data={"item_name": certificate_type.name, "holder_name": HOLDER_NAME},
        )
        data = _ofd_bytes(certificate_ofd_render_and_seal(certificate_id=certificate.pk))
        with ofdkit.open(data) as document:
            text = "".join(document.text().split())
            info = document.info
            assert document.warnings == [], certificate_type.code
        assert HOLDER_NAME in text, certificate_type.code
        assert certificate.number in text
        assert certificate_type.name in text
        if licence_id:
            assert licence_id in text, certificate_type.code
        assert info.custom_data["licence_id"] == (licence_id or "")
        assert info.custom_data["holder_name"] == HOLDER_NAME
        assert info.custom_data["certificate_type"] == certificate_type.code
        assert info.custom_data["number"] == certificate.number


def test_package_has_the_standard_parts_and_qr_and_seal_images(sealed):
    names = set(zipfile.ZipFile(BytesIO(_ofd_bytes(sealed))).namelist())
    assert {
        "OFD.xml",
        "Doc_0/Document.xml",
        "Doc_0/PublicRes.xml",
        "Doc_0/DocumentRes.xml",
        PAGE_PATH,
        "Doc_0/Res/qr.png",
        "Doc_0/Res/seal.png",
        "Doc_0/Signs/Signatures.xml",
        SIGNATURE_PATH,
        "Doc_0/Signs/Sign_0/Seal.esl",
        "Doc_0/Signs/Sign_0/SignedValue.dat",
    } <= names
    archive = zipfile.ZipFile(BytesIO(_ofd_bytes(sealed)))
    assert archive.read("Doc_0/Res/qr.png").startswith(b"\x89PNG")
    assert b'FontName="\xe5\xae\x8b\xe4\xbd\x93"' in archive.read("Doc_0/PublicRes.xml")  # 宋体
    signature = archive.read(SIGNATURE_PATH).decode()
    assert 'CheckMethod="1.2.156.10197.1.401"' in signature
    assert "<ofd:SignatureMethod>1.2.156.10197.1.501</ofd:SignatureMethod>" in signature
    assert f'FileRef="/{PAGE_PATH}"' in signature


def test_the_qr_code_carries_the_public_verification_address(sealed):
    data = _ofd_bytes(sealed)
    with ofdkit.open(data) as document:
        url = document.info.custom_data["verify_url"]
    assert url.endswith(f"/verify/{sealed.certificate.verification_token}/")


def test_sealing_is_idempotent_and_recorded(sealed):
    again = certificate_ofd_render_and_seal(certificate_id=sealed.certificate_id)
    assert again.pk == sealed.pk and again.sha256 == sealed.sha256
    assert OfdDocument.objects.filter(certificate_id=sealed.certificate_id).count() == 1
    assert CaseEvent.objects.filter(name="certificate_ofd_sealed").count() == 1
    assert sealed.signed_at <= dt.datetime.now(dt.UTC)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("formats", "kinds"),
    [
        (CertificateFormats.PDF, {"issue_pdf"}),
        (CertificateFormats.OFD, {"issue_ofd"}),
        (CertificateFormats.BOTH, {"issue_pdf", "issue_ofd"}),
    ],
)
def test_the_type_setting_says_which_documents_are_issued(certificate, formats, kinds):
    CertificateType.objects.filter(pk=certificate.certificate_type_id).update(formats=formats)
    certificate_issue_pdf_after_commit(certificate_id=certificate.pk)
    assert set(Job.objects.values_list("kind", flat=True)) == kinds
