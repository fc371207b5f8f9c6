from django.db import models
from django.utils.translation import gettext_lazy as _


class IdType(models.TextChoices):
    RESIDENT_ID = "resident_id", _("居民身份证")
    USCC = "uscc", _("统一社会信用代码")


class ApplicantKind(models.TextChoices):
    PERSON = "person", _("自然人")
    ORGANISATION = "organisation", _("法人及其他组织")


class Channel(models.TextChoices):
    WINDOW = "window", _("综合窗口")
    ONLINE = "online", _("网上申请")
    AGENT = "agent", _("代办员代办")


class CaseState(models.TextChoices):
    DRAFT = "DRAFT", _("草稿")
    SUBMITTED = "SUBMITTED", _("已提交")
    PENDING_MATERIALS = "PENDING_MATERIALS", _("待补齐材料")
    REFUSED = "REFUSED", _("不予受理")
    ACCEPTED = "ACCEPTED", _("已受理")
    IN_REVIEW = "IN_REVIEW", _("审批中")
    SUSPENDED = "SUSPENDED", _("暂停（待补正）")
    APPROVED = "APPROVED", _("已批准")
    DENIED = "DENIED", _("不予批准")
    ISSUED = "ISSUED", _("已出证")
    IN_DELIVERY = "IN_DELIVERY", _("寄递中")
    CLOSED = "CLOSED", _("已办结")
    WITHDRAWN = "WITHDRAWN", _("已撤回")


# Every state a case may be withdrawn from: anything before the result exists.
CASE_WITHDRAWABLE_STATES = [
    CaseState.DRAFT,
    CaseState.SUBMITTED,
    CaseState.PENDING_MATERIALS,
    CaseState.ACCEPTED,
    CaseState.IN_REVIEW,
    CaseState.SUSPENDED,
    CaseState.APPROVED,
]
CASE_FINAL_STATES = [CaseState.REFUSED, CaseState.CLOSED, CaseState.WITHDRAWN]


class ApprovalState(models.TextChoices):
    WAITING = "WAITING", _("等待前置证照")
    PENDING = "PENDING", _("自动核验中")
    IN_REVIEW = "IN_REVIEW", _("审查中")
    SUPPLEMENT_REQUESTED = "SUPPLEMENT_REQUESTED", _("待补正")
    APPROVED = "APPROVED", _("准予")
    REJECTED = "REJECTED", _("不予准予")
    VOIDED = "VOIDED", _("已终止")


APPROVAL_FINAL_STATES = [ApprovalState.APPROVED, ApprovalState.REJECTED, ApprovalState.VOIDED]
APPROVAL_OPEN_STATES = [
    ApprovalState.WAITING,
    ApprovalState.PENDING,
    ApprovalState.IN_REVIEW,
    ApprovalState.SUPPLEMENT_REQUESTED,
]


class SlaColour(models.TextChoices):
    GREEN = "green", _("正常")
    AMBER = "amber", _("预警")
    RED = "red", _("超期")


class MaterialStatus(models.TextChoices):
    REUSED_CERTIFICATE = "reused_certificate", _("电子证照复用")
    VERIFIED = "verified", _("共享数据核验")
    REUSED_MATERIAL = "reused_material", _("历史材料复用")
    PRODUCED_IN_CASE = "produced_in_case", _("本案其他事项产生")
    UPLOADED = "uploaded", _("已提交")
    MISSING = "missing", _("缺少")


# Requirements met without the applicant handing anything over: the reuse KPI.
MATERIAL_REUSED_STATUSES = [
    MaterialStatus.REUSED_CERTIFICATE,
    MaterialStatus.VERIFIED,
    MaterialStatus.REUSED_MATERIAL,
    MaterialStatus.PRODUCED_IN_CASE,
]


class VerificationOutcome(models.TextChoices):
    OK = "ok", _("核验通过")
    NO_MATCH = "no_match", _("无匹配记录")
    ERROR = "error", _("接口错误")
    DENIED = "denied", _("无共享授权，已拒绝")


class CertificateStatus(models.TextChoices):
    VALID = "valid", _("有效")
    REVOKED = "revoked", _("已注销")
    EXPIRED = "expired", _("已过期")
    SUPERSEDED = "superseded", _("已被新版本替代")


class HolderKind(models.TextChoices):
    PERSON = "person", _("自然人")
    ORGANISATION = "organisation", _("法人及其他组织")


class DeliveryStatus(models.TextChoices):
    CREATED = "created", _("已下单")
    SHIPPED = "shipped", _("已揽收")
    DELIVERED = "delivered", _("已签收")
    FAILED = "failed", _("投递失败")
    RETURNED = "returned", _("已退回")


# Delivery statuses after which the parcel is no longer on its way.
DELIVERY_ACTIVE_STATUSES = [DeliveryStatus.CREATED, DeliveryStatus.SHIPPED]


class CourierCompany(models.TextChoices):
    """Courier companies the window hands results to; EMS numbers carry a UPU S10 check digit."""

    EMS = "EMS", _("中国邮政EMS")
    SF = "SF", _("顺丰速运")
    JD = "JD", _("京东物流")
    ZTO = "ZTO", _("中通快递")
    YTO = "YTO", _("圆通速递")
    STO = "STO", _("申通快递")
    YUNDA = "YUNDA", _("韵达快递")


class BookingStatus(models.TextChoices):
    """Whether the courier company's system has taken the parcel's order."""

    PENDING = "pending", _("待下单")
    BOOKED = "booked", _("已下单")
    FAILED = "failed", _("下单失败，待重试")


class VisitReason(models.TextChoices):
    INTAKE = "intake", _("窗口申请")
    SUPPLEMENT = "supplement", _("补交材料")
    IDENTITY = "identity", _("本人核验（照片、指纹）")
    COLLECT = "collect", _("窗口领取结果")
    OTHER = "other", _("其他")


class JobState(models.TextChoices):
    PENDING = "pending", _("待执行")
    RUNNING = "running", _("执行中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("已失败")


class EventKind(models.TextChoices):
    TRANSITION = "transition", _("状态变更")
    DECISION = "decision", _("审批决定")
    NOTE = "note", _("备注")
    SLA = "sla", _("时限预警")
    SYSTEM = "system", _("系统")


class RatingLevel(models.IntegerChoices):
    VERY_UNSATISFIED = 1, _("非常不满意")
    UNSATISFIED = 2, _("不满意")
    NEUTRAL = 3, _("基本满意")
    SATISFIED = 4, _("满意")
    VERY_SATISFIED = 5, _("非常满意")


# What each transition is called where people read it (events, error messages).
TRANSITION_LABELS = {
    "submit": _("提交"),
    "accept": _("受理"),
    "request_materials": _("一次性告知补齐材料"),
    "supplement": _("补齐材料"),
    "refuse": _("不予受理"),
    "dispatch": _("分送部门审批"),
    "suspend": _("暂停（待补正）"),
    "resume": _("恢复审批"),
    "conclude": _("审结"),
    "issue": _("出证"),
    "ship": _("寄出"),
    "return_to_window": _("退回窗口"),
    "deliver": _("签收"),
    "collect": _("窗口领取"),
    "notify": _("告知结果"),
    "withdraw": _("撤回"),
    "unblock": _("前置证照已产生"),
    "start_review": _("转人工审查"),
    "auto_approve": _("秒批通过"),
    "approve": _("准予"),
    "reject": _("不予准予"),
    "request_supplement": _("要求补正"),
    "receive_supplement": _("收到补正材料"),
    "void": _("终止"),
    "revoke": _("注销证照"),
    "expire": _("证照到期"),
    "supersede": _("证照被新版本替代"),
    # Not a transition: the due dates moved with a newly entered holiday schedule.
    "recompute_due_dates": _("按节假日安排重新计算办理时限"),
}

# Case states in which the promised date still lies ahead of the applicant (before the
# decision): their due dates move when a holiday schedule is entered.
CASE_DUE_DATE_OPEN_STATES = [
    CaseState.SUBMITTED,
    CaseState.PENDING_MATERIALS,
    CaseState.ACCEPTED,
    CaseState.IN_REVIEW,
    CaseState.SUSPENDED,
]

# A registry-provided value of the case replaced, with a reason (cases.services.overrides).
REGISTRY_OVERRIDE_EVENT = "registry_override"

# What the timeline's other events are called: notes, system steps, colour changes.
EVENT_LABELS = {
    "create": _("创建办件"),
    "agent_acting": _("代办员代办"),
    "id_check_override": _("确认校验码例外"),
    "registry_override": _("改动共享数据登记的信息"),
    "material_upload": _("提交材料扫描件"),
    "evidence_declined": _("申请人选择提交纸质材料"),
    "online_submit": _("网上提交"),
    "supplement_upload": _("在线提交补正材料"),
    "certificate_signed": _("电子证照签章"),
    "delivery_shipped": _("快递已揽收"),
    "delivery_delivered": _("快递已签收"),
    "delivery_failed": _("快递投递失败"),
    "delivery_returned": _("快递已退回"),
    "sla_green": _("时限恢复正常"),
    "sla_amber": _("时限预警"),
    "sla_red": _("超期预警"),
    "rate": _("评价"),
    "demo_backdated": _("演示数据：日期前移"),
}
