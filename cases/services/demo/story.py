"""One demo case through its story (``departments.demo.cases``): each step is the service
of that step of the journey — intake at the window, online or by a village agent, the
departments' decisions, issuance, hand-out at the window or by courier, the rating —
and after each step the run waits until the outbox work it caused has run, so the next
step finds the case where a person would."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from departments.demo import cases as stories
from departments.demo.people import Organisation, Person

from ...constants import ApprovalState, IdType, JobState
from ...couriers.waybills import make_s10
from ...exceptions import CaseError
from ...models import Approval, Case, Delivery, Job
from ..decisions import ApprovalDecision, approval_decide
from ..delivery import delivery_mark_delivered, delivery_mark_failed, delivery_mark_shipped
from ..handout import (
    DENIAL_HANDED_AT_WINDOW,
    case_denial_hand_out,
    case_hand_over_at_window,
    case_send_by_courier,
)
from ..intake import (
    case_checklist,
    case_intake_submit,
    case_material_upload,
    case_refuse,
    case_submit,
    case_withdraw,
    checklist_missing,
    intake_start,
)
from ..jobs import job_run
from .backdate import case_backdate
from .base import CitizenDoor, DemoCasesError, demo_case_key
from .scan import scan_pdf
from .staff import DemoStaff
from .subjects import subject_number

# How long a step waits for work the outbox hands to separate workers (full mode);
# in the embedded mode that work has run by the time the step returns.
SETTLE_SECONDS = 120
FAILED_DELIVERY_REASON = "收件人电话无人接听，三次投递未成功。"
ADDRESS_PATTERN = re.compile(
    r"^(?P<province>.+?省)(?P<city>.+?市)(?P<district>.+?[区县])(?P<detail>.+)$"
)


class StoryRun:
    def __init__(
        self,
        *,
        index: int,
        story: stories.DemoStory,
        subject: Person | Organisation,
        staff: DemoStaff,
        citizen: CitizenDoor,
        first_job: int,
    ) -> None:
        self.index = index
        self.story = story
        self.subject = subject
        self.staff = staff
        self.citizen = citizen
        self.first_job = first_job
        self.online = story.channel == stories.ONLINE
        # Who takes the application in: the clerk, the village agent, or nobody (online).
        self.intake_user = {stories.WINDOW: staff.clerk, stories.AGENT: staff.agent}.get(
            story.channel
        )
        self.case: Case | None = None

    def run(self) -> Case:
        step = "start"
        try:
            self._start()
            self._settle()
            for step in self.story.steps:
                name, _colon, argument = step.partition(":")
                getattr(self, f"_{name}")(argument)
                self._settle()
        except CaseError as error:
            raise DemoCasesError(
                f"Demo case {self.index} ({self.story.key}) failed at its step {step!r}: {error}"
            ) from error
        case = self._refresh()
        if case.state != self.story.state:
            raise DemoCasesError(
                f"Demo case {self.index} ({self.story.key}, {case.tracking_no}) ended "
                f"{case.state}, its story ends {self.story.state}."
            )
        return case

    def _refresh(self) -> Case:
        assert self.case is not None
        self.case = Case.objects.select_related("applicant", "bundle").get(pk=self.case.pk)
        return self.case

    def _settle(self) -> None:
        """Wait until the outbox work this load caused has run: in the embedded mode it
        has (it runs right after commit); with separate workers, this runs what is due
        itself (a job claimed twice runs once) and waits for what a worker holds."""
        deadline = time.monotonic() + SETTLE_SECONDS
        while True:
            open_jobs = list(
                Job.objects.filter(
                    pk__gt=self.first_job, state__in=[JobState.PENDING, JobState.RUNNING]
                ).values_list("pk", "state", "next_try_at")
            )
            if not open_jobs:
                return
            now = timezone.now()
            due = [
                pk
                for pk, state, next_try in open_jobs
                if state == JobState.PENDING and next_try <= now
            ]
            for job_id in due:
                job_run(job_id=job_id)
            if not due:
                if time.monotonic() > deadline:
                    raise DemoCasesError(
                        f"Outbox jobs {[pk for pk, _state, _next in open_jobs]} did not finish "
                        f"within {SETTLE_SECONDS} s (see the Job admin for their errors)."
                    )
                time.sleep(0.05)

    # --- steps: each the service of that step of the journey ---

    def _start(self) -> None:
        subject = self.subject
        is_person = isinstance(subject, Person)
        result = intake_start(
            id_type=IdType.RESIDENT_ID if is_person else IdType.USCC,
            id_number=subject_number(subject),
            item_codes=self.story.items,
            bundle_code=self.story.bundle,
            channel=self.story.channel,
            user=self.intake_user,
            idempotency_key=demo_case_key(self.index),
            applicant_present=None if self.story.channel == stories.WINDOW else False,
        )
        self.case = result.case
        self._refresh()

    def _upload(self, _argument: str) -> None:
        case = self._refresh()
        for entry in checklist_missing(case_checklist(case=case)):
            code = entry.material_type.code
            scan = ContentFile(scan_pdf(f"{case.tracking_no} {code}"), name=f"{code}.pdf")
            if self.online:
                self.citizen.upload(
                    case=case, applicant=case.applicant, material_type_code=code, file=scan
                )
            else:
                case_material_upload(
                    case=case, material_type_code=code, file=scan, actor=self.intake_user
                )

    def _submit(self, _argument: str) -> None:
        case = self._refresh()
        if self.online:
            submit_key = uuid.uuid5(uuid.NAMESPACE_URL, f"onewindow-demo-submit:{self.index}")
            self.citizen.submit(case=case, applicant=case.applicant, submit_key=str(submit_key))
        else:
            case_intake_submit(case=case, user=self.intake_user)

    def _pay(self, _argument: str) -> None:
        if self.citizen.pay is None:
            raise DemoCasesError(
                f"Demo case {self.index} pays a fee, and no payments app was given."
            )
        self.citizen.pay(case=self._refresh())
        self._settle()

    def _hand_in(self, _argument: str) -> None:
        case_submit(case=self._refresh(), actor=self.intake_user)

    def _refuse(self, _argument: str) -> None:
        case_refuse(case=self._refresh(), reason=stories.REFUSED_REASON, actor=self.staff.clerk)

    def _withdraw(self, _argument: str) -> None:
        case_withdraw(case=self._refresh(), actor=self.staff.clerk, reason=stories.WITHDRAW_REASON)

    def _approval(self, item_code: str) -> Approval:
        approval = (
            Approval.objects.select_related("item", "department", "case")
            .filter(case=self.case, item__code=item_code)
            .first()
        )
        if approval is None:
            raise DemoCasesError(f"Demo case {self.index} has no approval of item {item_code}.")
        return approval

    def _decide(self, approval: Approval, decision: str, **details: Any) -> None:
        approval_decide(
            approval=approval,
            actor=self.staff.reviewer_of(approval),
            decision=decision,
            seen_state=approval.state,
            **details,
        )

    def _approve(self, item_code: str) -> None:
        if item_code:
            self._decide(self._approval(item_code), ApprovalDecision.APPROVE)
            return
        # Every approval in review, and those the grants start, until none is left.
        for _round in range(50):
            in_review = list(
                Approval.objects.select_related("item", "department", "case")
                .filter(case=self.case, state=ApprovalState.IN_REVIEW)
                .order_by("id")
            )
            if not in_review:
                return
            for approval in in_review:
                self._decide(approval, ApprovalDecision.APPROVE)
            self._settle()
        raise DemoCasesError(f"Demo case {self.index}: approvals keep coming back to review.")

    def _reject(self, item_code: str) -> None:
        self._decide(
            self._approval(item_code),
            ApprovalDecision.REJECT,
            note=stories.REJECT_REASONS[item_code],
        )

    def _supplement(self, argument: str) -> None:
        item_code, _colon, material_code = argument.partition(":")
        self._decide(
            self._approval(item_code),
            ApprovalDecision.SUPPLEMENT,
            materials=[material_code],
            note=stories.SUPPLEMENT_NOTES.get(item_code, ""),
        )

    def _answer_supplement(self, _argument: str) -> None:
        case = self._refresh()
        for approval in Approval.objects.select_related("case", "item", "department").filter(
            case=case, state=ApprovalState.SUPPLEMENT_REQUESTED
        ):
            for code in approval.supplement_materials:
                upload = SimpleUploadedFile(
                    f"{code}.pdf",
                    scan_pdf(f"{case.tracking_no} {code} supplement"),
                    content_type="application/pdf",
                )
                self.citizen.answer_supplement(
                    approval=approval, applicant=case.applicant, material_code=code, upload=upload
                )

    def _collect(self, _argument: str) -> None:
        case = self._refresh()
        case_hand_over_at_window(
            case=case,
            actor=self.staff.clerk,
            collected_by=_contact_name(case),
            by_applicant=True,
            id_checked=True,
        )

    def _courier(self, _argument: str) -> None:
        case = self._refresh()
        applicant = case.applicant
        address = ADDRESS_PATTERN.match(applicant.address or "")
        parts = (
            address.groupdict()
            if address
            else {
                "province": "四川省",
                "city": "成都市",
                "district": "锦江区",
                "detail": applicant.address,
            }
        )
        case_send_by_courier(
            case=case,
            actor=self.staff.clerk,
            courier=stories.COURIER,
            waybill=make_s10(service="EA", serial_number=stories.WAYBILL_SERIAL_START + self.index),
            recipient=_contact_name(case),
            phone=applicant.phone,
            **parts,
        )

    def _delivery(self) -> Delivery:
        delivery = Delivery.objects.filter(case=self.case).order_by("-created_at", "-id").first()
        if delivery is None:
            raise DemoCasesError(f"Demo case {self.index} has no parcel.")
        return delivery

    def _shipped(self, _argument: str) -> None:
        delivery_mark_shipped(delivery=self._delivery(), actor=self.staff.clerk)

    def _delivered(self, _argument: str) -> None:
        delivery = self._delivery()
        delivery_mark_delivered(
            delivery=delivery,
            signed_by=delivery.recipient,
            signed_at=timezone.now(),
            actor=self.staff.clerk,
        )

    def _failed(self, _argument: str) -> None:
        delivery_mark_failed(
            delivery=self._delivery(), reason=FAILED_DELIVERY_REASON, actor=self.staff.clerk
        )

    def _notify_denial(self, _argument: str) -> None:
        case_denial_hand_out(
            case=self._refresh(), actor=self.staff.clerk, how=DENIAL_HANDED_AT_WINDOW
        )

    def _rate(self, level: str) -> None:
        case = self._refresh()
        self.citizen.rate(
            case=case,
            applicant=case.applicant,
            level=int(level),
            comment=stories.RATING_COMMENTS.get(int(level), ""),
        )

    def _age(self, working_days: str) -> None:
        case_backdate(case=self._refresh(), working_days=int(working_days))


def _contact_name(case: Case) -> str:
    """Who comes to the window or signs for the parcel: the person, or the company's
    legal representative."""
    applicant = case.applicant
    return applicant.legal_representative or applicant.name
