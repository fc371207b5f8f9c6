"""The shapes of the lottery API: what it takes in (checked for shape only; the services
check the rest) and what it answers (the schema's contract)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from cases.constants import IdType
from onewindow.api_fields import TextField
from onewindow.api_schema import WHITESPACE_CLASS

from ..constants import ApplicationState
from ..models import Round
from ..services.applications import NAME_MAX_LENGTH, NOTE_MAX_LENGTH

# Four letters or digits; blanks around them are trimmed (the same reading in Python and
# in the schema's ECMA-262 pattern).
ID_SUFFIX_PATTERN = rf"^[{WHITESPACE_CLASS}]*[0-9A-Za-z]{{4}}[{WHITESPACE_CLASS}]*$"
ID_SUFFIX_HELP = _("申请人证件号码的最后四位（不区分大小写，如身份证末位 X）")

# --- in ------------------------------------------------------------------------------------


class LotteryRoundCreateSerializer(serializers.Serializer):
    code = TextField(max_length=30, help_text=_("轮次代码：2至30个大写字母、数字或连字符"))
    name = TextField(max_length=100)
    quota = serializers.IntegerField(min_value=1, max_value=2_147_483_647)
    applications_open = serializers.DateTimeField()
    applications_close = serializers.DateTimeField()
    seed_sha256 = TextField(
        max_length=64,
        help_text=_("摇号种子的SHA-256（64位十六进制），现在公布，摇号时公布种子本身"),
    )
    rule_set = TextField(
        max_length=40,
        required=False,
        help_text=_("资格规则代码；省略时使用系统中唯一的一套资格规则（有多套时必须指定）"),
    )


class LotteryApplicantInSerializer(serializers.Serializer):
    id_type = serializers.ChoiceField(choices=[IdType.RESIDENT_ID, IdType.USCC])
    id_number = TextField(max_length=30)
    name = TextField(max_length=NAME_MAX_LENGTH)
    phone = TextField(max_length=20, required=False, allow_blank=True, default="")


class LotteryApplicationCreateSerializer(serializers.Serializer):
    applicant = LotteryApplicantInSerializer()


class LotteryAppealSerializer(serializers.Serializer):
    id_suffix = serializers.RegexField(
        ID_SUFFIX_PATTERN,
        help_text=ID_SUFFIX_HELP,
        error_messages={"invalid": _("请提供证件号码的最后四位（id_suffix）。")},
    )
    note = TextField(
        max_length=NOTE_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("复核理由（可不填）"),
    )


# --- out -----------------------------------------------------------------------------------


class LotteryRoundSerializer(serializers.ModelSerializer):
    rule_set = serializers.SlugRelatedField(slug_field="code", read_only=True)
    seed = serializers.SerializerMethodField(help_text=_("摇号种子（十六进制），摇号后公布"))
    pool_sha256 = serializers.SerializerMethodField(help_text=_("当前公布的资格池文件的SHA-256"))
    is_open = serializers.SerializerMethodField()

    class Meta:
        model = Round
        fields = [
            "code",
            "name",
            "rule_set",
            "quota",
            "applications_open",
            "applications_close",
            "is_open",
            "seed_sha256",
            "seed",
            "pool_sha256",
            "pool_entries",
            "pool_published_at",
            "drawn_at",
        ]
        read_only_fields = fields

    def get_seed(self, round_: Round) -> str | None:
        return round_.seed or None

    def get_pool_sha256(self, round_: Round) -> str | None:
        return round_.pool_sha256 or None

    def get_is_open(self, round_: Round) -> bool:
        return round_.is_open()


class LotteryApplicationCreatedSerializer(serializers.Serializer):
    application_no = serializers.CharField()
    lottery_code = serializers.CharField()
    state = serializers.ChoiceField(choices=ApplicationState.choices)


class LotteryAlreadyAppliedSerializer(serializers.Serializer):
    detail = serializers.CharField()
    application_no = serializers.CharField(help_text=_("该申请人在本轮已有的申请编号"))


class LotteryReasonSerializer(serializers.Serializer):
    rule = serializers.CharField(allow_blank=True, help_text=_("未通过的规则代码"))
    registry = serializers.CharField(allow_blank=True, help_text=_("规则读取的共享数据库代码"))
    message = serializers.CharField()


class LotteryApplicationSerializer(serializers.Serializer):
    application_no = serializers.CharField()
    round = serializers.CharField(help_text=_("轮次代码"))
    applicant_masked = serializers.CharField()
    state = serializers.ChoiceField(choices=ApplicationState.choices)
    state_display = serializers.CharField()
    weight = serializers.IntegerField(help_text=_("摇号时的号数（权重）"))
    lottery_code = serializers.CharField()
    reasons = LotteryReasonSerializer(many=True)


class LotteryAppealResultSerializer(serializers.Serializer):
    application_no = serializers.CharField()
    state = serializers.ChoiceField(choices=ApplicationState.choices)
    state_display = serializers.CharField()
    reasons = LotteryReasonSerializer(many=True)


class LotteryResultSerializer(serializers.Serializer):
    """The answer's contract, for the OpenAPI schema; the view streams the same JSON (the
    winners straight from the database, however large the quota)."""

    round = serializers.CharField()
    quota = serializers.IntegerField()
    seed_sha256 = serializers.CharField()
    seed = serializers.CharField(
        allow_null=True, help_text=_("摇号种子（十六进制），摇号前为 null")
    )
    pool_sha256 = serializers.CharField(allow_null=True)
    pool_entries = serializers.IntegerField()
    drawn_at = serializers.DateTimeField(allow_null=True)
    winners = serializers.ListField(
        child=serializers.CharField(), help_text=_("中签的摇号编码，按中签顺位排列")
    )
