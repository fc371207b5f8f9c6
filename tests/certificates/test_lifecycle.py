import datetime as dt

import pytest
from django.utils import timezone

from cases.constants import CertificateStatus
from cases.exceptions import InvalidTransitionError, TransitionPermissionError
from cases.models import CaseEvent
from certificates.exceptions import (
    CertificateChangeError,
    CertificateNotCurrentError,
    RevokeReasonRequiredError,
)
from certificates.licence_id import licence_id_parse
from certificates.models import Certificate
from certificates.services.lifecycle import (
    certificate_change,
    certificate_renew,
    certificate_revoke,
    certificates_expire_due,
)
from tests.factories import CertificateFactory


def test_issuing_reviewer_revokes_with_a_reason_and_an_event(certificate, issuing_reviewer):
    revoked = certificate_revoke(
        certificate=certificate, actor=issuing_reviewer, reason="  许可条件已不具备  "
    )
    assert revoked.status == CertificateStatus.REVOKED
    assert revoked.revoke_reason == "许可条件已不具备"
    assert revoked.revoked_at is not None
    event = CaseEvent.objects.get(certificate=certificate, name="revoke")
    assert event.actor == issuing_reviewer
    assert (event.from_state, event.to_state) == ("valid", "revoked")
    assert event.note == "许可条件已不具备"


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_revoking_without_a_reason_is_refused_and_changes_nothing(
    certificate, issuing_reviewer, reason
):
    with pytest.raises(RevokeReasonRequiredError, match="必须填写原因"):
        certificate_revoke(certificate=certificate, actor=issuing_reviewer, reason=reason)
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.VALID
    assert not CaseEvent.objects.filter(certificate=certificate).exists()


def test_overlong_reason_is_refused(certificate, issuing_reviewer):
    with pytest.raises(RevokeReasonRequiredError, match="最多 300"):
        certificate_revoke(certificate=certificate, actor=issuing_reviewer, reason="因" * 301)


def test_another_departments_reviewer_cannot_revoke(certificate, foreign_reviewer):
    with pytest.raises(TransitionPermissionError):
        certificate_revoke(certificate=certificate, actor=foreign_reviewer, reason="越权")
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.VALID


def test_revoking_twice_is_refused(certificate, issuing_reviewer):
    certificate_revoke(certificate=certificate, actor=issuing_reviewer, reason="第一次")
    certificate.refresh_from_db()
    with pytest.raises(InvalidTransitionError, match="已注销"):
        certificate_revoke(certificate=certificate, actor=issuing_reviewer, reason="第二次")
    assert CaseEvent.objects.filter(certificate=certificate, name="revoke").count() == 1


def test_expire_due_expires_only_valid_ones_past_their_last_day(certificate_type, holder):
    today = timezone.localdate()
    past = CertificateFactory(
        certificate_type=certificate_type,
        holder=holder,
        valid_from=today - dt.timedelta(days=30),
        valid_until=today - dt.timedelta(days=1),
    )
    last_day_today = CertificateFactory(
        certificate_type=certificate_type, holder=holder, valid_until=today
    )
    open_ended = CertificateFactory(certificate_type=certificate_type, holder=holder)
    assert certificates_expire_due() == 1
    assert certificates_expire_due() == 0  # running it again changes nothing
    statuses = dict(
        Certificate.objects.filter(pk__in=[past.pk, last_day_today.pk, open_ended.pk]).values_list(
            "pk", "status"
        )
    )
    assert statuses == {
        past.pk: CertificateStatus.EXPIRED,
        last_day_today.pk: CertificateStatus.VALID,
        open_ended.pk: CertificateStatus.VALID,
    }
    event = CaseEvent.objects.get(certificate=past, name="expire")
    assert event.actor is None and event.actor_label == "system"
    # Tomorrow the one whose last day was today expires too.
    assert certificates_expire_due(today=today + dt.timedelta(days=1)) == 1


def test_expire_due_skips_revoked_certificates(certificate, issuing_reviewer):
    Certificate.objects.filter(pk=certificate.pk).update(
        valid_from=timezone.localdate() - dt.timedelta(days=9),
        valid_until=timezone.localdate() - dt.timedelta(days=1),
    )
    certificate_revoke(certificate=certificate, actor=issuing_reviewer, reason="注销")
    assert certificates_expire_due() == 0
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.REVOKED


def test_change_issues_a_new_version_that_supersedes_the_old(
    certificate, issuing_reviewer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        new = certificate_change(
            certificate=certificate,
            actor=issuing_reviewer,
            changes={"holder_name": "𠮷田张三丰", "address": "成都市青羊区2号"},
            note="名称变更",
        )
    old = Certificate.objects.get(pk=certificate.pk)
    assert old.status == CertificateStatus.SUPERSEDED
    assert new.status == CertificateStatus.VALID
    assert new.supersedes_id == old.pk
    assert new.version == 2
    assert new.number == f"{old.number}-V2"
    assert new.valid_until == old.valid_until
    assert new.data["holder_name"] == "𠮷田张三丰"
    assert new.holder_id == old.holder_id
    old_id, new_id = licence_id_parse(old.licence_id), licence_id_parse(new.licence_id)
    assert (new_id.type_code, new_id.issuer_code, new_id.serial) == (
        old_id.type_code,
        old_id.issuer_code,
        old_id.serial,
    )
    assert new_id.version == 2
    event = CaseEvent.objects.get(certificate=old, name="supersede")
    assert event.actor == issuing_reviewer and event.note == "名称变更"
    # The new version's PDF is rendered and sealed after commit.
    assert len(callbacks) == 1
    new.refresh_from_db()
    assert new.pdf_sha256


def test_renewal_starts_a_full_validity_period(certificate, issuing_reviewer):
    new = certificate_renew(certificate=certificate, actor=issuing_reviewer, note="延续")
    today = timezone.localdate()
    assert new.valid_from == today
    assert new.valid_until == today + dt.timedelta(days=1825)
    assert new.version == 2


def test_only_the_current_valid_version_can_change(certificate, issuing_reviewer):
    certificate_change(certificate=certificate, actor=issuing_reviewer, changes={"address": "1号"})
    with pytest.raises(CertificateNotCurrentError, match="只有有效的现行版本"):
        certificate_change(
            certificate=certificate, actor=issuing_reviewer, changes={"address": "2号"}
        )
    assert Certificate.objects.filter(supersedes=certificate).count() == 1


def test_change_of_an_unchangeable_field_is_refused(certificate, issuing_reviewer):
    with pytest.raises(CertificateChangeError, match="不能变更的项目：valid_until"):
        certificate_change(
            certificate=certificate, actor=issuing_reviewer, changes={"valid_until": "2099-01-01"}
        )
    with pytest.raises(CertificateChangeError, match="不能为空"):
        certificate_change(
            certificate=certificate, actor=issuing_reviewer, changes={"address": " "}
        )
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.VALID


def test_another_department_cannot_renew(certificate, foreign_reviewer):
    with pytest.raises(TransitionPermissionError):
        certificate_renew(certificate=certificate, actor=foreign_reviewer)
    certificate.refresh_from_db()
    assert certificate.status == CertificateStatus.VALID
    assert not Certificate.objects.filter(supersedes=certificate).exists()
