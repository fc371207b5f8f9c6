from django.core.management import call_command

from cases.constants import CaseState
from cases.services.review import approval_approve
from certificates.licence_id import licence_id_parse
from certificates.models import Certificate
from certificates.seals import seals_dir
from certificates.signing import pdf_check_signature
from tests.factories import ApprovalFactory, CaseFactory, ServiceItemFactory


def test_approval_issues_a_certificate_with_licence_id_and_a_signed_pdf_after_commit(
    certificate_type, holder, issuing_reviewer, django_capture_on_commit_callbacks
):
    item = ServiceItemFactory(
        code="A003", name="食品经营许可", department=certificate_type.issuing_department,
        produces=certificate_type,
    )  # fmt: skip
    approval = ApprovalFactory(
        case=CaseFactory(applicant=holder, state=CaseState.IN_REVIEW),
        item=item,
        state="IN_REVIEW",
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        approval_approve(approval=approval, actor=issuing_reviewer)
    certificate = Certificate.objects.get(approval=approval)
    # Nothing rendered inside the transaction: the task waits for the commit.
    assert not certificate.pdf_sha256
    parsed = licence_id_parse(certificate.licence_id)
    assert parsed.type_code == "FOODBUSINESSLICENCE"
    assert parsed.issuer_code == "11510100MB00153032"
    assert parsed.version == 1
    assert parsed.serial.startswith(str(certificate.valid_from.year))
    for callback in callbacks:
        callback()
    certificate.refresh_from_db()
    with certificate.pdf.open("rb") as handle:
        check = pdf_check_signature(pdf=handle.read())
    assert check.is_valid
    assert check.sha256 == certificate.pdf_sha256


def test_department_without_credit_code_still_issues_without_licence_id(
    certificate_type, holder, issuing_reviewer
):
    department = certificate_type.issuing_department
    department.credit_code = ""
    department.save()
    item = ServiceItemFactory(department=department, produces=certificate_type)
    approval = ApprovalFactory(
        case=CaseFactory(applicant=holder, state=CaseState.IN_REVIEW), item=item, state="IN_REVIEW"
    )
    approval_approve(approval=approval, actor=issuing_reviewer)
    assert Certificate.objects.get(approval=approval).licence_id is None


def test_init_seals_creates_one_seal_per_department_and_is_idempotent(
    issuing_department, foreign_reviewer, capsys, settings, tmp_path
):
    settings.SEALS_DIR = str(tmp_path / "seals")
    call_command("init_seals")
    first = capsys.readouterr().out
    directory = seals_dir()
    files = {path: path.read_bytes() for path in directory.rglob("*.pem")}
    assert (directory / "departments" / "A.key.pem") in files
    assert (directory / "departments" / "B.pem") in files
    assert (directory / "root-ca.pem") in files
    assert oct((directory / "departments" / "A.key.pem").stat().st_mode & 0o777) == "0o600"
    assert "root CA created" in first
    assert "created 2 (A, B)" in first
    call_command("init_seals")
    second = capsys.readouterr().out
    assert "created 0" in second and "renewed 0" in second
    assert {path: path.read_bytes() for path in directory.rglob("*.pem")} == files


def test_init_seals_renews_the_seal_of_a_renamed_department(
    issuing_department, capsys, settings, tmp_path
):
    settings.SEALS_DIR = str(tmp_path / "seals")
    call_command("init_seals")
    old_seal = (seals_dir() / "departments" / "A.pem").read_bytes()
    root = (seals_dir() / "root-ca.pem").read_bytes()
    issuing_department.name = "成都市市场监督管理局（新）"
    issuing_department.save()
    capsys.readouterr()
    call_command("init_seals")
    assert "renewed 1 (A)" in capsys.readouterr().out
    assert (seals_dir() / "departments" / "A.pem").read_bytes() != old_seal
    assert (seals_dir() / "root-ca.pem").read_bytes() == root
