"""The demo's day at the service centre: what happens to each demo case, as data.

``load_demo --cases N`` runs story ``n % len(STORIES)`` for the n-th demo case, through
the real services (``cases.services.demo``), so the first ``len(STORIES)`` cases already
leave a case in every state a case rests in, and approvals in every state an approval
rests in. Only catalogue codes and plain words here: the steps are carried out by the
services that own them.

A case never rests in ``ACCEPTED`` (acceptance dispatches it to the departments in the
same transaction) and an approval never rests in ``PENDING`` (its automatic checks run
right after the dispatch commits): no story ends there.

Steps, in order:

``upload``               every material still missing is handed over as a scan
``submit``               handed in: accepted and dispatched, or the one-time notice
``hand_in``              handed in only: the clerk has not accepted it yet (``SUBMITTED``)
``refuse``               the clerk refuses it (``REFUSED_REASON``)
``withdraw``             the applicant withdraws (``WITHDRAW_REASON``)
``approve``              the reviewers grant every approval in review, until none is left
``approve:ITEM``         the item's reviewer grants it
``reject:ITEM``          the item's reviewer refuses it (``REJECT_REASONS``)
``supplement:ITEM:MAT``  the item's reviewer asks for material MAT again (``SUPPLEMENT_NOTES``)
``answer_supplement``    the applicant uploads what was asked for, online
``collect``              the result is picked up at the window
``courier``              the result goes by courier (EMS)
``shipped``, ``delivered``, ``failed``   what the courier reports
``notify_denial``        the denial is handed over at the window
``rate:LEVEL``           the applicant rates the closed case (``RATING_COMMENTS``)
``age:DAYS``             the case was accepted DAYS working days ago (see ``cases.services.demo``)
"""

from __future__ import annotations

from dataclasses import dataclass

# Who applies (the synthetic population of ``people.py``, chosen by ``cases.services.demo``):
PARENT = "parent"  # married, one child: a second-child registration
ADULT = "adult"  # of working age
SINGLE = "single"  # unmarried, of marrying age
OWNER = "owner"  # holds a real-estate title
INSURED = "insured"  # pays into social insurance
MIGRANT = "migrant"  # married, registered outside Chengdu: the flow population
COMPANY = "company"  # a company in business, insured, without tax arrears

WINDOW = "window"
ONLINE = "online"
AGENT = "agent"


@dataclass(frozen=True)
class DemoStory:
    key: str
    applicant: str
    state: str  # where the case rests at the end (a ``CaseState`` value)
    steps: tuple[str, ...] = ()
    items: tuple[str, ...] = ()
    bundle: str = ""
    channel: str = WINDOW


STORIES: tuple[DemoStory, ...] = (
    DemoStory(
        "second_child_collected", PARENT, "CLOSED", ("submit", "collect", "rate:5"), ("I002",)
    ),
    DemoStory(
        "restaurant_ready", COMPANY, "APPROVED", ("upload", "submit"), bundle="OPEN_RESTAURANT"
    ),
    DemoStory("passport_overdue", ADULT, "IN_REVIEW", ("submit", "age:9"), ("B002",)),
    DemoStory(
        "mortgage_supplement",
        OWNER,
        "SUSPENDED",
        ("upload", "submit", "supplement:K002:MORTGAGE_CONTRACT"),
        ("K002",),
    ),
    DemoStory(
        "construction_overdue",
        COMPANY,
        "IN_REVIEW",
        ("upload", "submit", "age:22"),
        bundle="CONSTRUCTION_PROJECT",
    ),
    DemoStory(
        "company_change_shipped",
        COMPANY,
        "IN_DELIVERY",
        ("upload", "submit", "courier", "shipped"),
        bundle="COMPANY_CHANGE",
    ),
    DemoStory("residence_notice", ADULT, "PENDING_MATERIALS", ("submit",), ("B003",)),
    DemoStory(
        "employment_online_draft",
        ADULT,
        "DRAFT",
        bundle="EMPLOYMENT_SOCIAL_INSURANCE",
        channel=ONLINE,
    ),
    DemoStory("unemployment_submitted", INSURED, "SUBMITTED", ("upload", "hand_in"), ("C007",)),
    DemoStory("ride_hailing_refused", ADULT, "REFUSED", ("upload", "hand_in", "refuse"), ("M002",)),
    DemoStory(
        "invoice_limit_denied", COMPANY, "DENIED", ("upload", "submit", "reject:D004"), ("D004",)
    ),
    DemoStory(
        "insurance_proof_came_back",
        INSURED,
        "ISSUED",
        ("submit", "courier", "failed"),
        ("C006",),
        channel=ONLINE,
    ),
    DemoStory(
        "public_rental_withdrawn", INSURED, "WITHDRAWN", ("upload", "submit", "withdraw"), ("F005",)
    ),
    DemoStory(
        "construction_site_refused",
        COMPANY,
        "CLOSED",
        ("upload", "submit", "reject:E001", "notify_denial"),
        bundle="CONSTRUCTION_PROJECT",
    ),
    DemoStory(
        "marriage_bad_rating",
        SINGLE,
        "CLOSED",
        ("upload", "submit", "approve:J001", "collect", "rate:2"),
        bundle="MARRIAGE_REGISTRATION",
    ),
    DemoStory(
        "tax_proof_delivered",
        COMPANY,
        "CLOSED",
        ("upload", "submit", "courier", "shipped", "delivered", "rate:4"),
        ("D005",),
        channel=ONLINE,
    ),
    DemoStory(
        "home_sale_supplement_answered",
        OWNER,
        "IN_DELIVERY",
        (
            "upload",
            "submit",
            "supplement:K001:PURCHASE_CONTRACT",
            "answer_supplement",
            "pay",
            "approve",
            "courier",
        ),
        # The item, not its bundle: F003 of REAL_ESTATE_REGISTRATION waits for the title
        # K001 issues, which waits for D001, which waits for F003 — a cycle nothing starts.
        ("K001",),
    ),
    DemoStory(
        "agent_flow_population",
        MIGRANT,
        "CLOSED",
        ("upload", "submit", "collect", "rate:5"),
        bundle="FLOW_POPULATION_MARRIAGE_BIRTH",
        channel=AGENT,
    ),
    DemoStory(
        "public_rental_amber", INSURED, "IN_REVIEW", ("upload", "submit", "age:14"), ("F005",)
    ),
    DemoStory(
        "criminal_record_collected",
        ADULT,
        "CLOSED",
        ("submit", "approve", "collect", "rate:5"),
        ("B007",),
    ),
)

# What the people of the stories write and say (demo content, in the language of the
# records: it is data, like the catalogue, not the interface).
REFUSED_REASON = "车辆不属于本市网约车准入车型，依法不予受理。"
WITHDRAW_REASON = "申请人已另行租房，申请撤回。"
REJECT_REASONS = {
    "D004": "近三个月开票数据不支持提高最高开票限额。",
    "E001": "项目选址位于生态保护红线范围内，不符合国土空间规划。",
}
SUPPLEMENT_NOTES = {
    "K001": "买卖合同页码不全，请提交完整的网签合同。",
    "K002": "抵押合同缺少抵押人签字页，请补正。",
}
RATING_COMMENTS = {
    5: "窗口一次就办好了，没跑第二趟。",
    4: "快递送到家，很方便。",
    2: "结婚登记要等审核，现场排队时间太长。",
}
COURIER = "EMS"
# Demo waybills: EMS numbers (UPU S10) with serial numbers from here on, one per case.
WAYBILL_SERIAL_START = 20_000_000
