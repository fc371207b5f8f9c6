"""The demo's cases (``load_demo --cases N``): a day at the service centre, through the
real services.

Each demo case follows one story of ``departments.demo.cases`` — intake at the window,
online or by a village agent, acceptance and dispatch, the departments' checks and
decisions, issuance, hand-out at the window or by courier, the rating — and every step
is the service the pages, the API and the tasks call, so the rows are the ones the real
flow writes: events in the audit chain, the data-access log, outbox jobs, certificates
with their signed PDFs, parcels, visits, ratings and rectifications.

The n-th demo case is keyed ``demo:<n>`` (the case's idempotency key): loading again
adds only the cases not there yet, and the same N adds nothing. Who applies is drawn
from the synthetic population the demo registries hold (``departments.demo.people``),
the same people for the same N on every machine, names with rare characters first.

Clocks: every row is written when the load runs. A few stories need approvals whose
time has run (amber, overdue); for those, ``age:DAYS`` moves the case's acceptance and
its approvals' start and due dates back by working days — business dates only: the
audit trail keeps the times its rows were written, and says that the dates were moved.

What the applicants do themselves (upload online, answer a supplement, rate) belongs to
the citizens' app, above this one: its services are handed in as a ``CitizenDoor``.
"""

from __future__ import annotations

import datetime as dt
import re
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from departments.demo import cases as stories
from departments.demo.people import (
    REAL_ESTATE,
    SOCIAL_INSURANCE,
    TAX,
    Organisation,
    Person,
    build_demo_population,
)

from ..constants import APPROVAL_OPEN_STATES, ApprovalState, CaseState, EventKind, IdType, JobState
from ..couriers.waybills import make_s10
from ..exceptions import CaseError
from ..models import Approval, Case, CaseEvent, Delivery, Job, Visit
from ..workdays import working_calendar
from .decisions import ApprovalDecision, approval_decide
from .delivery import delivery_mark_delivered, delivery_mark_failed, delivery_mark_shipped
from .handout import (
    DENIAL_HANDED_AT_WINDOW,
    case_denial_hand_out,
    case_hand_over_at_window,
    case_send_by_courier,
)
from .intake import (
    case_checklist,
    case_intake_submit,
    case_material_upload,
    case_refuse,
    case_submit,
    case_withdraw,
    checklist_missing,
    intake_start,
)
from .jobs import job_run
from .sla import approvals_colour_sla

DEMO_KEY_PREFIX = "demo:"
# How long a step waits for work the outbox hands to separate workers (full mode);
# in the embedded mode that work has run by the time the step returns.
SETTLE_SECONDS = 120
FAILED_DELIVERY_REASON = "收件人电话无人接听，三次投递未成功。"
# Who is in Chengdu's household register, and who came from elsewhere (the flow population).
CHENGDU = "四川省成都市"
ADDRESS_PATTERN = re.compile(
    r"^(?P<province>.+?省)(?P<city>.+?市)(?P<district>.+?[区县])(?P<detail>.+)$"
)


class DemoCasesError(CaseError):
    """The demo cases cannot be loaded as their stories say; the message says which and why."""


@dataclass(frozen=True)
class CitizenDoor:
    """The citizens' app's services (``citizens.services``), handed in by ``load_demo``."""

    upload: Callable[..., Any]  # apply.online_material_upload
    submit: Callable[..., Any]  # apply.online_application_submit
    answer_supplement: Callable[..., Any]  # supplement.supplement_material_upload
    rate: Callable[..., Any]  # rating.rating_create
    # The fee paid online (payments.services.demo.payment_demo_pay).
    pay: Callable[..., Any] | None = None


@dataclass
class DemoCasesResult:
    created: int = 0
    existing: int = 0
    states: Counter[str] = field(default_factory=Counter)
    sla: dict[str, int] = field(default_factory=dict)


def demo_case_key(index: int) -> str:
    return f"{DEMO_KEY_PREFIX}{index}"


def demo_story(index: int) -> stories.DemoStory:
    return stories.STORIES[index % len(stories.STORIES)]


def demo_cases() -> Any:
    """Every demo case (a queryset)."""
    return Case.objects.filter(idempotency_key__startswith=DEMO_KEY_PREFIX)


def demo_cases_load(*, count: int, citizen: CitizenDoor) -> DemoCasesResult:
    """Make sure demo cases ``demo:0`` … ``demo:<count - 1>`` exist, each having gone
    through its story; the ones already there are left as they are. Then the SLA colours
    are brought up to date, as the periodic task would. The notes the steps write are in
    the site's language, whatever language the command runs in."""
    if count < 0:
        raise DemoCasesError("--cases takes a number of cases, 0 or more.")
    unknown = [story.key for story in stories.STORIES if story.state not in CaseState.values]
    if unknown:
        raise DemoCasesError(f"Demo stories ending in no known state: {', '.join(unknown)}.")
    result = DemoCasesResult()
    existing = set(demo_cases().values_list("idempotency_key", flat=True))
    subjects = _subjects(count)
    staff = _Staff.load()
    first_job = Job.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    with translation.override(settings.LANGUAGE_CODE):
        for index in range(count):
            if demo_case_key(index) in existing:
                result.existing += 1
                continue
            _StoryRun(
                index=index,
                story=demo_story(index),
                subject=subjects[index],
                staff=staff,
                citizen=citizen,
                first_job=first_job,
            ).run()
            result.created += 1
        result.sla = approvals_colour_sla()
    result.states = Counter(demo_cases().values_list("state", flat=True))
    return result


# --- who applies ------------------------------------------------------------


def _has_rare_character(name: str) -> bool:
    """Outside the Basic Multilingual Plane (𠮷) or in CJK Extension A (䶮)."""
    return any(ord(char) > 0xFFFF or 0x3400 <= ord(char) <= 0x4DBF for char in name)


def _pools() -> dict[str, list[Person | Organisation]]:
    population = build_demo_population()
    records = population.records
    insured = {
        subject
        for subject, data in records[SOCIAL_INSURANCE].items()
        if data["status"] == "正常参保"
    }
    owners = {subject for subject, data in records[REAL_ESTATE].items() if data.get("titles")}
    in_arrears = {subject for subject, data in records[TAX].items() if data.get("arrears")}
    persons = sorted(
        (person for person in population.persons if 18 <= person.age <= 60),
        key=lambda person: (not _has_rare_character(person.name), person.resident_id),
    )
    married = [person for person in persons if person.marital_status == "已婚"]
    return {
        stories.PARENT: [person for person in married if person.children == 1 and person.age <= 45],
        stories.ADULT: list(persons),
        stories.SINGLE: [
            person
            for person in persons
            if person.marital_status == "未婚" and 22 <= person.age <= 40
        ],
        stories.OWNER: [person for person in persons if person.resident_id in owners],
        stories.INSURED: [person for person in persons if person.resident_id in insured],
        stories.MIGRANT: [
            person for person in married if not person.household_address.startswith(CHENGDU)
        ],
        stories.COMPANY: sorted(
            (
                organisation
                for organisation in population.organisations
                if organisation.status == "存续"
                and organisation.credit_code in insured
                and organisation.credit_code not in in_arrears
            ),
            key=lambda organisation: organisation.credit_code,
        ),
    }


def _subjects(count: int) -> list[Person | Organisation]:
    """Who applies in each demo case: from the story's pool, someone with no other demo
    case while the pool lasts. Worked out from case 0 on every time, so a case's applicant
    depends only on its number."""
    pools = _pools()
    cursors: Counter[str] = Counter()
    used: set[str] = set()
    chosen = []
    for index in range(count):
        pool_name = demo_story(index).applicant
        pool = pools[pool_name]
        if not pool:
            raise DemoCasesError(f"Nobody in the demo population fits {pool_name!r}.")
        for step in range(len(pool)):
            candidate = pool[(cursors[pool_name] + step) % len(pool)]
            if _number(candidate) not in used:
                break
        else:  # everyone of the pool has a case: start again from the first
            step, candidate = 0, pool[cursors[pool_name] % len(pool)]
        cursors[pool_name] += step + 1
        used.add(_number(candidate))
        chosen.append(candidate)
    return chosen


def _number(subject: Person | Organisation) -> str:
    return subject.resident_id if isinstance(subject, Person) else subject.credit_code


# --- who works ---------------------------------------------------------------


@dataclass(frozen=True)
class _Staff:
    clerk: Any
    agent: Any
    reviewers: dict[str, Any]  # department code -> the department's demo reviewer

    @classmethod
    def load(cls) -> _Staff:
        users = {
            user.username: user
            for user in get_user_model().objects.filter(username__in=["clerk", "agent"])
        }
        reviewers = {
            user.username.removeprefix("reviewer_").upper(): user
            for user in get_user_model().objects.filter(username__startswith="reviewer_")
        }
        if "clerk" not in users or "agent" not in users:
            raise DemoCasesError("The demo logins are missing: load the demo (load_demo) first.")
        return cls(clerk=users["clerk"], agent=users["agent"], reviewers=reviewers)

    def reviewer_of(self, approval: Approval) -> Any:
        reviewer = self.reviewers.get(approval.department.code)
        if reviewer is None:
            raise DemoCasesError(f"No demo reviewer for department {approval.department.code}.")
        return reviewer


# --- one story ---------------------------------------------------------------


class _StoryRun:
    def __init__(
        self,
        *,
        index: int,
        story: stories.DemoStory,
        subject: Person | Organisation,
        staff: _Staff,
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
            id_number=_number(subject),
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
            scan = ContentFile(_scan_pdf(f"{case.tracking_no} {code}"), name=f"{code}.pdf")
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
                    _scan_pdf(f"{case.tracking_no} {code} supplement"),
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


def case_backdate(*, case: Case, working_days: int) -> Case:
    """Demo only: the case was accepted ``working_days`` working days ago. Its creation,
    submission and acceptance, its approvals' creation and start (and suspension,
    decision) move back by the same span, and the due dates are counted again from the
    moved start, so their clocks have run that long. The audit trail is not rewritten:
    a private note records the move."""
    calendar = working_calendar()
    today = timezone.localdate()
    day, counted = today, 0
    while counted < working_days:
        day -= dt.timedelta(days=1)
        counted += calendar.is_working_day(day)
    shift = today - day

    def earlier(value: dt.datetime | None) -> dt.datetime | None:
        return value - shift if value is not None else None

    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        slowest = 0
        for approval in Approval.objects.select_related("item").filter(case=locked):
            started = earlier(approval.started_at)
            slowest = max(slowest, approval.item.promised_working_days)
            Approval.objects.filter(pk=approval.pk).update(
                created_at=earlier(approval.created_at),
                started_at=started,
                suspended_at=earlier(approval.suspended_at),
                decided_at=earlier(approval.decided_at),
                due_date=calendar.add_working_days(
                    timezone.localtime(started).date(), approval.item.promised_working_days
                )
                if started is not None and approval.state in APPROVAL_OPEN_STATES
                else approval.due_date,
            )
        accepted = earlier(locked.accepted_at)
        Case.objects.filter(pk=locked.pk).update(
            created_at=earlier(locked.created_at),
            submitted_at=earlier(locked.submitted_at),
            accepted_at=accepted,
            due_date=calendar.add_working_days(timezone.localtime(accepted).date(), slowest)
            if accepted is not None
            else locked.due_date,
        )
        for visit in Visit.objects.filter(case=locked):
            Visit.objects.filter(pk=visit.pk).update(created_at=visit.created_at - shift)
        CaseEvent.objects.create(
            case=locked,
            kind=EventKind.NOTE,
            name="demo_backdated",
            actor_label="system",
            note=_("演示数据：受理日期前移 %(days)s 个工作日，以展示审批时限预警。")
            % {"days": working_days},
            data={"working_days": working_days, "calendar_days": shift.days},
            is_public=False,
        )
    locked.refresh_from_db()
    return locked


def _scan_pdf(title: str) -> bytes:
    """A one-page PDF standing in for a scan: plain, but a real PDF any viewer opens."""
    text = title.encode("ascii", "replace").replace(b"\\", b"\\\\")
    text = text.replace(b"(", b"\\(").replace(b")", b"\\)")
    content = b"BT /F1 14 Tf 72 770 Td (OneWindow demo scan: " + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
    ]
    document = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(document))
        document += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(document)
    document += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    document += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    document += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(document)
