"""The hall's forms: taking a ticket (kiosk and phone) and the window's actions."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from centres.models import Centre, Queue, ServiceWindow
from departments.identifiers import normalise_identifier, validate_resident_id

from .constants import TicketPriority

TRACKING_SEPARATORS = re.compile(r"[\s,，;；、]+")


class TakeForm(forms.Form):
    """The kiosk's and the phone's form. Only the priorities a person may claim at the
    hall are offered: an appointment priority comes from checking in an appointment."""

    queue = forms.ChoiceField(
        label=_("办理业务"),
        widget=forms.RadioSelect,
        error_messages={
            "required": _("请选择要办理的业务队列。"),
            "invalid_choice": _("没有这个队列，请从列表中选择。"),
        },
    )
    priority = forms.ChoiceField(
        label=_("优先"),
        required=False,
        choices=[
            (TicketPriority.NONE, _("无")),
            (TicketPriority.ELDERLY, TicketPriority.ELDERLY.label),
            (TicketPriority.DISABLED, TicketPriority.DISABLED.label),
        ],
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("优先类别无效，请从列表中选择。")},
    )
    id_number = forms.CharField(
        label=_("身份证号码（选填）"),
        required=False,
        max_length=24,
        help_text=_("填写后，同一人在同一队列当天只能有一个未办结的号。"),
    )

    def __init__(self, *args, centre: Centre, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.queues = {
            queue.code: queue
            for queue in Queue.objects.filter(centre=centre, is_active=True).order_by("code")
        }
        self.fields["queue"].choices = [
            (code, f"{code} {queue.name}") for code, queue in self.queues.items()
        ]

    def clean_priority(self) -> str:
        return self.cleaned_data.get("priority") or TicketPriority.NONE

    def clean_id_number(self) -> str:
        number = normalise_identifier(self.cleaned_data.get("id_number", ""))
        if number:
            validate_resident_id(number)
        return number

    def chosen_queue(self) -> Queue:
        return self.queues[self.cleaned_data["queue"]]


class WindowChoiceForm(forms.Form):
    window = forms.ModelChoiceField(
        label=_("我所在的窗口"),
        queryset=ServiceWindow.objects.none(),
        error_messages={"invalid_choice": _("没有这个窗口，请从列表中选择。")},
    )

    def __init__(self, *args, windows, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["window"].queryset = windows


class DoneForm(forms.Form):
    tracking_numbers = forms.CharField(
        label=_("办理的办件编号"),
        required=False,
        max_length=500,
        help_text=_("多个编号用空格或逗号分隔；仅咨询可不填。"),
    )

    def clean_tracking_numbers(self) -> list[str]:
        text = self.cleaned_data.get("tracking_numbers", "").strip()
        numbers = [number for number in TRACKING_SEPARATORS.split(text) if number]
        return list(dict.fromkeys(numbers))


class TransferForm(forms.Form):
    queue = forms.ModelChoiceField(
        label=_("转到队列"),
        queryset=Queue.objects.none(),
        error_messages={"invalid_choice": _("没有这个队列，请从列表中选择。")},
    )

    def __init__(self, *args, centre_id: int, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["queue"].queryset = Queue.objects.filter(centre_id=centre_id, is_active=True)
