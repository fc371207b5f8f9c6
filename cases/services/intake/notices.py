"""The one-time notification (一次性告知) and acceptance by law when none was given.

Administrative Licensing Law art. 32(1)(4): when materials are incomplete the
office tells the applicant *everything* to supplement, once, on the spot or
within five working days; a notice not given in that time means the
application is deemed accepted from the day it was received.

So: the first notice lists every missing or defective material with the items
that need it and their legal basis. A later notice for the same case may only
repeat what the first one listed (still missing after the supplement); one that
adds anything is refused. A submission left more than five working days without
a notice is accepted by ``cases_deem_accepted`` (run periodically), which
records why.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ...constants import CaseState
from ...exceptions import CaseError
from ...models import Case, CaseEvent
from ...workdays import add_working_days
from ..transitions import run_transition
from .resolution import ChecklistEntry

NOTICE_WORKING_DAYS = 5
LEGAL_BASIS_NOTICE = "《中华人民共和国行政许可法》第三十二条第一款第（四）项"


class NoticeRefusedError(CaseError):
    """A notice the law does not allow: a second one adding materials, or one too late."""


def notice_deadline(*, submitted_at: dt.datetime) -> dt.date:
    """The last day a notice may be given for a submission received at ``submitted_at``."""
    return add_working_days(timezone.localtime(submitted_at).date(), NOTICE_WORKING_DAYS)


def case_notices(*, case: Case) -> list[CaseEvent]:
    return list(case.events.filter(name="request_materials").order_by("created_at", "id"))


def notice_entries(
    *,
    missing: list[ChecklistEntry],
    defects: dict[str, str] | None = None,
    checklist: list[ChecklistEntry] | None = None,
) -> list[dict[str, Any]]:
    """The printable lines: each material, why, the items needing it and their legal basis."""
    lines = []
    for entry in missing:
        lines.append(_entry_line(entry, reason=_("缺少")))
    by_code = {entry.material_type.code: entry for entry in checklist or []}
    for code, reason in (defects or {}).items():
        if code in by_code and code not in {line["material_type"] for line in lines}:
            lines.append(
                _entry_line(by_code[code], reason=_("材料有误：%(reason)s") % {"reason": reason})
            )
    return lines


def _entry_line(entry: ChecklistEntry, *, reason: str) -> dict[str, Any]:
    return {
        "material_type": entry.material_type.code,
        "name": entry.material_type.name,
        "description": entry.material_type.description,
        "reason": reason,
        "notes": entry.notes,
        "items": [
            {"code": item.code, "name": item.name, "legal_basis": item.legal_basis}
            for item in entry.items
        ],
    }


def case_request_materials(
    *,
    case: Case,
    missing: list[str],
    actor: Any = None,
    actor_label: str = "",
    entries: list[dict[str, Any]] | None = None,
) -> Case:
    """Give the one-time notice: ``SUBMITTED → PENDING_MATERIALS`` with every material listed.

    ``missing`` holds the material codes (or names) listed. Refused when an
    earlier notice of this case did not list one of them, or when the five
    working days of the submission have passed (it is then deemed accepted).
    """
    if not missing:
        raise NoticeRefusedError(_("一次性告知必须列明需要补正的材料。"))
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if locked.state == CaseState.SUBMITTED:
            earlier = case_notices(case=locked)
            if earlier:
                listed = set(earlier[0].data.get("missing", []))
                added = [code for code in missing if code not in listed]
                if added:
                    raise NoticeRefusedError(
                        _(
                            "本申请已于 %(date)s 一次性告知，不得追加告知首次未列明的材料：%(materials)s。"
                        )
                        % {
                            "date": timezone.localtime(earlier[0].created_at).date().isoformat(),
                            "materials": "、".join(added),
                        }
                    )
            if locked.submitted_at is not None:
                deadline = notice_deadline(submitted_at=locked.submitted_at)
                if timezone.localdate() > deadline:
                    raise NoticeRefusedError(
                        _(
                            "本次提交已超过5个工作日（最迟 %(deadline)s）未告知，依法视为受理，不能再出具一次性告知。"
                        )
                        % {"deadline": deadline.isoformat()}
                    )
        names = [line["name"] for line in entries] if entries else missing
        return run_transition(
            case,
            "request_materials",
            actor=actor,
            actor_label=actor_label,
            event_data={"missing": list(missing), "entries": entries or []},
            note=_("需补齐材料：%(materials)s") % {"materials": "、".join(names)},
        )


def cases_deem_accepted(*, today: dt.date | None = None) -> list[Case]:
    """Accept every submission left without a notice past five working days (run periodically).

    Safe to run twice: a case already accepted (or given a notice meanwhile) is skipped.
    """
    from .core import case_accept  # noqa: PLC0415 - core imports nothing from here either way

    today = today or timezone.localdate()
    accepted = []
    candidates = Case.objects.filter(state=CaseState.SUBMITTED, submitted_at__isnull=False)
    for case in candidates.iterator():
        deadline = notice_deadline(submitted_at=case.submitted_at)
        if today <= deadline:
            continue
        try:
            case = case_accept(
                case=case,
                actor_label=_("系统"),
                note=_(
                    "自 %(submitted)s 提交起5个工作日内（至 %(deadline)s）未出具一次性告知，依%(law)s视为受理。"
                )
                % {
                    "submitted": timezone.localtime(case.submitted_at).date().isoformat(),
                    "deadline": deadline.isoformat(),
                    "law": LEGAL_BASIS_NOTICE,
                },
            )
        except CaseError:
            continue  # someone acted on it meanwhile; their action stands
        accepted.append(case)
    return accepted


def case_notice_for_print(*, case: Case) -> CaseEvent | None:
    """The latest notice, for the printable page."""
    notices = case_notices(case=case)
    return notices[-1] if notices else None
