"""The reconciler repairs what a crash left behind, and nothing else."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cases.constants import ApprovalState, CaseState, JobState
from cases.models import Approval, Case, CaseEvent, Job
from cases.services.reconcile import cases_reconcile
from certificates.models import Certificate
from tests.factories import (
    ApprovalFactory,
    CaseFactory,
    CertificateTypeFactory,
    ServiceItemFactory,
)

LATER = dt.timedelta(hours=1)  # past the reconciler's grace period


def _later():
    return timezone.now() + LATER


@pytest.mark.django_db
def test_pending_approval_without_a_job_is_started(django_capture_on_commit_callbacks):
    approval = ApprovalFactory(item=ServiceItemFactory(auto_decide=True))
    with django_capture_on_commit_callbacks(execute=True):
        repaired = cases_reconcile(now=_later())
    assert repaired["restarted"] == 1
    approval.refresh_from_db()
    assert approval.state == ApprovalState.APPROVED
    assert Job.objects.get().state == JobState.DONE


@pytest.mark.django_db
def test_pending_approval_whose_job_gave_up_is_revived(django_capture_on_commit_callbacks):
    approval = ApprovalFactory(item=ServiceItemFactory(auto_decide=True))
    Job.objects.create(
        kind="start_approval",
        key=f"start_approval:{approval.pk}",
        payload={"approval_id": approval.pk},
        state=JobState.FAILED,
        attempts=8,
        last_error="OperationalError: server closed the connection",
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert cases_reconcile(now=_later())["restarted"] == 1
    approval.refresh_from_db()
    job = Job.objects.get()
    assert approval.state == ApprovalState.APPROVED
    assert (job.state, job.attempts) == (JobState.DONE, 1)


@pytest.mark.django_db
def test_fresh_pending_work_and_live_jobs_are_left_alone(django_capture_on_commit_callbacks):
    approval = ApprovalFactory(item=ServiceItemFactory(auto_decide=True))
    with django_capture_on_commit_callbacks(execute=True):
        repaired = cases_reconcile()  # within the grace period
    assert repaired == {"restarted": 0, "unblocked": 0, "concluded": 0, "dispatched": 0}
    approval.refresh_from_db()
    assert approval.state == ApprovalState.PENDING


@pytest.mark.django_db
def test_missed_unblock_and_missed_fan_in_are_repaired_once(django_capture_on_commit_callbacks):
    produced = CertificateTypeFactory()
    case = CaseFactory(state=CaseState.IN_REVIEW)
    first = ApprovalFactory(
        case=case,
        item=ServiceItemFactory(produces=produced),
        state=ApprovalState.APPROVED,
    )
    second = ApprovalFactory(
        case=case,
        item=ServiceItemFactory(auto_decide=True),
        state=ApprovalState.WAITING,
        due_date=None,
    )
    second.waits_for.set([first])
    with django_capture_on_commit_callbacks(execute=True):
        repaired = cases_reconcile(now=_later())
    assert repaired["unblocked"] == 1
    second.refresh_from_db()
    assert second.state == ApprovalState.APPROVED
    assert second.due_date is not None
    case.refresh_from_db()
    # The unblocked approval was granted automatically, which concluded the case.
    assert case.state == CaseState.APPROVED
    with django_capture_on_commit_callbacks(execute=True):
        again = cases_reconcile(now=_later())
    assert again == {"restarted": 0, "unblocked": 0, "concluded": 0, "dispatched": 0}
    assert CaseEvent.objects.filter(case=case, name="conclude").count() == 1


@pytest.mark.django_db
def test_case_whose_fan_in_was_missed_is_concluded(django_capture_on_commit_callbacks):
    case = CaseFactory(state=CaseState.IN_REVIEW)
    ApprovalFactory(case=case, state=ApprovalState.APPROVED)
    ApprovalFactory(case=case, state=ApprovalState.REJECTED, decision_note="不符合条件")
    untouched = CaseFactory(state=CaseState.IN_REVIEW)
    ApprovalFactory(case=untouched, state=ApprovalState.IN_REVIEW)
    with django_capture_on_commit_callbacks(execute=True):
        assert cases_reconcile(now=_later())["concluded"] == 1
    case.refresh_from_db()
    untouched.refresh_from_db()
    assert case.state == CaseState.DENIED
    assert untouched.state == CaseState.IN_REVIEW


@pytest.mark.django_db
def test_accepted_case_never_dispatched_is_dispatched(django_capture_on_commit_callbacks):
    case = CaseFactory(
        state=CaseState.ACCEPTED,
        accepted_at=timezone.now(),
        items=[ServiceItemFactory(auto_decide=True), ServiceItemFactory(auto_decide=True)],
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert cases_reconcile(now=_later())["dispatched"] == 1
    case.refresh_from_db()
    assert case.state == CaseState.APPROVED
    assert Approval.objects.filter(case=case, state=ApprovalState.APPROVED).count() == 2
    assert (
        Certificate.objects.filter(case=case).count()
        == Case.objects.get(pk=case.pk).items.exclude(produces=None).count()
    )


@pytest.mark.django_db
def test_check_invariants_names_what_is_broken_and_reconcile_repairs_it(
    django_capture_on_commit_callbacks,
):
    from io import StringIO

    from django.core.management import CommandError, call_command

    case = CaseFactory(state=CaseState.IN_REVIEW)
    ApprovalFactory(case=case, state=ApprovalState.APPROVED)
    out = StringIO()
    with pytest.raises(CommandError, match="cases_not_concluded"):
        call_command("check_invariants", stdout=out)
    assert "cases_not_concluded             1" in out.getvalue()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("reconcile", "--no-grace", stdout=StringIO())
    call_command("check_invariants", stdout=StringIO())  # no error now
    case.refresh_from_db()
    assert case.state == CaseState.APPROVED
