from django import forms
from django.utils.translation import gettext_lazy as _

from cases.constants import RatingLevel
from centres.models import Centre


def id_suffix_field() -> forms.CharField:
    """The last four characters of the ID number that prove a lookup is the holder's
    (case tracking, a lottery application)."""
    return forms.CharField(
        label=_("证件号码后四位"),
        min_length=4,
        max_length=4,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
        error_messages={
            "min_length": _("请输入证件号码的最后四位。"),
            "max_length": _("请输入证件号码的最后四位。"),
        },
    )


class TrackForm(forms.Form):
    tracking_no = forms.CharField(
        label=_("办件编号"),
        max_length=30,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )
    id_suffix = id_suffix_field()


class SignInForm(forms.Form):
    id_number = forms.CharField(
        label=_("居民身份证号码或统一社会信用代码"),
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "characters"}),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("短信验证码"),
        max_length=10,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9]*"}
        ),
    )


class RatingForm(forms.Form):
    level = forms.TypedChoiceField(
        label=_("评价"),
        choices=RatingLevel.choices,
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("意见"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class SupplementUploadForm(forms.Form):
    material_type = forms.CharField(widget=forms.HiddenInput)
    file = forms.FileField(label=_("文件（PDF、JPEG 或 PNG）"))


class _CodesField(forms.MultipleChoiceField):
    """Catalogue codes; the intake service says which are unknown, in its own words."""

    def valid_value(self, value: str) -> bool:
        return True


class ApplyStartForm(forms.Form):
    items = _CodesField(required=False)
    bundle = forms.CharField(required=False, max_length=40)
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)
    # Where the case is handled; none chosen: the city centre.
    centre = forms.ModelChoiceField(
        queryset=Centre.objects.filter(is_active=True),
        to_field_name="code",
        required=False,
        error_messages={"invalid_choice": _("所选的办理中心不存在或已停用。")},
    )

    def clean(self):  # type: ignore[no-untyped-def]
        cleaned = super().clean()
        if not cleaned.get("items") and not cleaned.get("bundle"):
            raise forms.ValidationError(_("请选择一个事项或一件事。"))
        if cleaned.get("items") and cleaned.get("bundle"):
            raise forms.ValidationError(_("请选择一件事，或者选择单个事项，不要同时选择。"))
        return cleaned


class ApplyUploadForm(forms.Form):
    material_type = forms.CharField(widget=forms.HiddenInput, max_length=40)
    # Empty files reach the intake service, which says so in its own words.
    file = forms.FileField(label=_("文件（PDF、JPEG 或 PNG）"), allow_empty_file=True)


class SubmitForm(forms.Form):
    submit_key = forms.UUIDField(widget=forms.HiddenInput)


class SignUpForm(forms.Form):
    """Sign-up: the shape is checked by the sign-up service, in its own words."""

    name = forms.CharField(
        label=_("姓名"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    id_number = forms.CharField(
        label=_("居民身份证号码"),
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    phone = forms.CharField(
        label=_("手机号码"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )


class ActForForm(forms.Form):
    credit_code = forms.CharField(
        label=_("单位统一社会信用代码"),
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )


class DelegationGrantForm(forms.Form):
    credit_code = forms.CharField(
        label=_("单位统一社会信用代码"),
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    delegate_name = forms.CharField(label=_("被授权人姓名"), max_length=100)
    delegate_id_number = forms.CharField(
        label=_("被授权人居民身份证号码"),
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    valid_until = forms.DateField(
        label=_("有效期至"),
        widget=forms.DateInput(attrs={"placeholder": "2027-06-30", "inputmode": "numeric"}),
        error_messages={"invalid": _("请按“年-月-日”填写有效期，例如 2027-06-30。")},
    )
