from django.db import models
from django.utils.translation import gettext_lazy as _

from cases.constants import CaseState

# One-time codes (短信验证码).
CODE_DIGITS = 6
CODE_LIFETIME_SECONDS = 5 * 60
CODE_MAX_ATTEMPTS = 5
# Sending: at most one code per ID number per minute and five per hour.
CODE_RESEND_SECONDS = 60
CODE_MAX_PER_HOUR = 5


class CodePurpose(models.TextChoices):
    """What a one-time code proves: the phone on file (sign-in) or a phone being
    registered at sign-up (the code goes to the number typed, not one on file)."""

    SIGN_IN = "sign_in", _("登录")
    SIGN_UP = "sign_up", _("注册")


# The citizen's session (not a staff login): idle timeout.
CITIZEN_SESSION_IDLE_SECONDS = 30 * 60
SESSION_APPLICANT_KEY = "citizen_applicant_id"
SESSION_SEEN_KEY = "citizen_last_seen"
SESSION_PENDING_ID_KEY = "citizen_pending_id_number"
# Sign-up in progress: the name, ID number and mobile number the code was sent for.
SESSION_PENDING_SIGN_UP_KEY = "citizen_pending_sign_up"
# Acting for an organisation: the person signed in (the applicant key then holds the
# organisation) and why they may (``legal_representative`` or ``delegation:<id>``).
SESSION_PERSON_KEY = "citizen_person_id"
SESSION_ACTING_BASIS_KEY = "citizen_acting_basis"


class Stage(models.TextChoices):
    """What a citizen sees instead of the raw workflow state: a few plain milestones."""

    DRAFT = "draft", _("尚未提交")
    RECEIVED = "received", _("已收到申请")
    MATERIALS_NEEDED = "materials_needed", _("需要补充材料")
    UNDER_REVIEW = "under_review", _("部门审批中")
    DECIDED = "decided", _("已作出决定")
    READY = "ready", _("结果待领取或寄出")
    SENT = "sent", _("结果已寄出")
    CLOSED = "closed", _("已办结")


STAGE_OF_STATE = {
    CaseState.DRAFT: Stage.DRAFT,
    CaseState.SUBMITTED: Stage.RECEIVED,
    CaseState.ACCEPTED: Stage.RECEIVED,
    CaseState.PENDING_MATERIALS: Stage.MATERIALS_NEEDED,
    CaseState.IN_REVIEW: Stage.UNDER_REVIEW,
    CaseState.SUSPENDED: Stage.MATERIALS_NEEDED,
    CaseState.APPROVED: Stage.DECIDED,
    CaseState.DENIED: Stage.DECIDED,
    CaseState.ISSUED: Stage.READY,
    CaseState.IN_DELIVERY: Stage.SENT,
    CaseState.CLOSED: Stage.CLOSED,
    CaseState.REFUSED: Stage.CLOSED,
    CaseState.WITHDRAWN: Stage.CLOSED,
}

# One sentence per state, in plain words: where the case is and what happens next.
STATE_EXPLANATION = {
    CaseState.DRAFT: _("申请尚未提交。"),
    CaseState.SUBMITTED: _("我们已收到您的申请，正在核对材料。"),
    CaseState.ACCEPTED: _("申请已受理，即将分送有关部门审批。"),
    CaseState.PENDING_MATERIALS: _("还缺少下列材料，请一次补齐后我们继续办理。"),
    CaseState.IN_REVIEW: _("有关部门正在同时审批您的申请。"),
    CaseState.SUSPENDED: _(
        "审批部门需要您补正下列材料，补齐后继续审批（等待期间不计入办理时限）。"
    ),
    CaseState.APPROVED: _("申请已获批准，正在制作电子证照，做好后即可领取。"),
    CaseState.DENIED: _("很遗憾，申请未获批准，理由见办理记录。"),
    CaseState.ISSUED: _("证照已制作完成，可到综合窗口领取，或等待寄出。"),
    CaseState.IN_DELIVERY: _("结果已通过快递寄出，请留意签收。"),
    CaseState.CLOSED: _("办件已办结。欢迎对本次服务作出评价。"),
    CaseState.REFUSED: _("申请不予受理，理由见办理记录。"),
    CaseState.WITHDRAWN: _("申请已撤回。"),
}

# A granted case stays APPROVED until the window hands its result out (and is ISSUED again
# when a parcel comes back), while its certificates are in the library from the moment of
# approval: the state alone cannot say whether the result is ready. What the applicant
# reads is keyed by the *situation*: the state, or ``<state>:<situation>`` for a result
# waiting at the window (``selectors.case_public_situation`` decides it, and
# ``tracking.statements._answer_sql`` builds the same key in SQL).
RESULT_WAITING_STATES = (CaseState.APPROVED, CaseState.ISSUED)
SITUATION_READY = "ready"  # every certificate is signed: the result can be handed out
SITUATION_CAME_BACK = "came_back"  # the courier could not deliver: back at the window
RESULT_EXPLANATION = {
    SITUATION_READY: _(
        "申请已获批准，办理结果已备好：请带上本人身份证到综合窗口领取"
        "（请人代领的，代领人带上委托书和双方身份证）；也可以请综合窗口用快递寄给您。"
    ),
    SITUATION_CAME_BACK: _(
        "快递未能送达，结果已退回综合窗口：请带上本人身份证到窗口领取，或请窗口重新寄送。"
    ),
}
EXPLANATION_OF_SITUATION = {
    **{str(state): text for state, text in STATE_EXPLANATION.items()},
    **{
        f"{state}:{situation}": text
        for state in RESULT_WAITING_STATES
        for situation, text in RESULT_EXPLANATION.items()
    },
}
STAGE_OF_SITUATION = {
    **{str(state): stage for state, stage in STAGE_OF_STATE.items()},
    **{
        f"{state}:{situation}": Stage.READY
        for state in RESULT_WAITING_STATES
        for situation in RESULT_EXPLANATION
    },
}

# Ratings at or below this level open a rectification (supervision's service).
BAD_RATING_MAX_LEVEL = 2

# Uploads answered online: the kinds a scan may be, recognised by content, not by name.
UPLOAD_SIGNATURES = {
    b"%PDF-": "application/pdf",
    b"\xff\xd8\xff": "image/jpeg",
    b"\x89PNG\r\n\x1a\n": "image/png",
}
UPLOAD_MAX_BYTES_DEFAULT = 20 * 1024 * 1024

# The checklist in plain words for the applicant applying online: what each status means
# for them (the window shows the clerk's wording; the detail line says where it came from).
MATERIAL_STATUS_PLAIN = {
    "reused_certificate": _("已有您的电子证照，无需提交"),
    "verified": _("已从政府部门数据库核实，无需提交"),
    "reused_material": _("您以前提交过，仍在有效期内，无需再交"),
    "produced_in_case": _("本次办理中由政府部门出具，无需提交"),
    "uploaded": _("已上传"),
    "missing": _("需要您上传"),
}
