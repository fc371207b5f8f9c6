"""Serializer fields for what the API takes in."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class TextField(serializers.CharField):
    """A text field that takes text only. DRF's ``CharField`` also takes a JSON number and
    keeps its digits (``"phone": 13800138000``), where the schema says a string: here that
    is refused, with DRF's own message for it ("不是有效的字符串。")."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)
