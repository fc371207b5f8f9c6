"""The lottery's forms: they check the shape of what was typed; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.constants import IdType
from citizens.forms import id_suffix_field
from departments.models import Registry

from .models import RuleSet
from .rules import rule_set_problems
from .services.applications import NOTE_MAX_LENGTH


class RuleSetAdminForm(forms.ModelForm):
    """The rule set as JSON. ``RuleSet.clean`` reports what is wrong with the rules and
    the weight; this form adds what only the database knows: a rule naming a registry
    that does not exist."""

    class Meta:
        model = RuleSet
        fields = ("code", "name", "department", "rules", "weight")
        widgets = {
            "rules": forms.Textarea(attrs={"rows": 24, "cols": 100, "spellcheck": "false"}),
            "weight": forms.Textarea(attrs={"rows": 3, "cols": 100, "spellcheck": "false"}),
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        rules, weight = cleaned.get("rules"), cleaned.get("weight")
        if "rules" in self.errors or "weight" in self.errors:
            return cleaned
        own = set(rule_set_problems(rules=rules, weight=weight))
        codes = set(Registry.objects.values_list("code", flat=True))
        for problem in rule_set_problems(rules=rules, weight=weight, registry_codes=codes):
            if problem not in own:
                self.add_error("rules", problem)
        return cleaned


class DrawForm(forms.Form):
    seed = forms.CharField(
        label=_("摇号种子（十六进制）"),
        max_length=256,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "size": 70}),
    )


class AppealDecisionForm(forms.Form):
    DECISIONS = (("eligible", _("资格审核通过")), ("ineligible", _("维持审核未通过")))

    decision = forms.ChoiceField(label=_("复核决定"), choices=DECISIONS, widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("决定理由"),
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )

    @property
    def is_eligible(self) -> bool:
        return self.cleaned_data["decision"] == "eligible"


class AppealForm(forms.Form):
    note = forms.CharField(
        label=_("复核理由（选填）"),
        max_length=NOTE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class LookupForm(forms.Form):
    application_no = forms.CharField(
        label=_("申请编号"),
        max_length=40,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )
    id_suffix = id_suffix_field()


class WindowApplicationForm(forms.Form):
    """A lottery application taken at the window or by a village agent."""

    round_code = forms.ChoiceField(label=_("轮次"))
    id_type = forms.ChoiceField(label=_("证件类型"), choices=IdType.choices)
    id_number = forms.CharField(label=_("证件号码"), max_length=18)
    name = forms.CharField(label=_("姓名/名称"), max_length=200)
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)

    def __init__(self, *args: Any, rounds: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["round_code"].choices = [(round_.code, str(round_)) for round_ in rounds]
