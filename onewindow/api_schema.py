"""The OpenAPI schema's project-wide rules (drf-spectacular's ``DEFAULT_SCHEMA_CLASS``).

Every answer an operation can give is in the schema, each with its JSON body. The views
declare the answers of their own (a 409, a courier's 401); these rules add the ones DRF
gives by itself: 400 for an operation that takes a body, 401 where a token or session
is read, 403 where a permission is checked, 404 for an object in the path (or a page
past the end of a list), 415 for a body in a media type the operation does not read,
429 where a throttle counts. An error answer is ``{"detail": "..."}``, or for bad input
a message list per field (nested as the input is).

And a text field's request schema says what its serializer refuses: a blank value,
one of only whitespace (trimmed away first), a NUL character.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import mixins, serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import SAFE_METHODS, AllowAny

# The characters str.strip() removes (str.isspace()), as a regular-expression class that
# reads the same in ECMA-262 (OpenAPI's patterns) and Python: DRF trims them off a text
# field before it checks that the field is not blank.
WHITESPACE_CLASS = (
    r"\t\n\r\u000b\u000c\u001c-\u001f\u0020\u0085\u00a0\u1680\u2000-\u200a"
    r"\u2028\u2029\u202f\u205f\u3000"
)
# DRF refuses a NUL character in any text field (ProhibitNullCharactersValidator). One
# or more characters: drf-spectacular states a blank-allowed field with a pattern as
# "this pattern, or empty" (oneOf), so the pattern must not match the empty value too.
WITHOUT_NUL_PATTERN = r"^[^\u0000]+$"
# ... and a non-blank, trimmed field needs one character that is not whitespace.
NOT_BLANK_PATTERN = rf"^[^\u0000]*[^\u0000{WHITESPACE_CLASS}][^\u0000]*$"

FIELD_ERRORS_COMPONENT = "FieldErrors"
FIELD_ERRORS_SCHEMA = {
    "type": "object",
    "description": _("字段名 → 该字段的错误说明；嵌套的字段（及列表的第几项）以同样的形式嵌套。"),
    "additionalProperties": {
        "anyOf": [
            {"type": "array", "items": {"type": "string"}},
            {"$ref": f"#/components/schemas/{FIELD_ERRORS_COMPONENT}"},
        ]
    },
}

STANDARD_ERRORS = {
    400: _("请求有误：每个字段一条说明，或 detail 说明原因；未作任何改变"),
    401: _("未提供或无效的身份凭证（请求头 Authorization: Token <token>）"),
    403: _("无权执行此操作"),
    404: _("未找到：地址中的对象不存在或无权查看"),
    415: _("不支持的请求内容类型（Content-Type）"),
    429: _("请求过于频繁，请稍后再试（见 Retry-After 响应头）"),
}


class ErrorDetailSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text=_("出错原因"))


class AutoSchema(SpectacularAutoSchema):
    # After drf-spectacular has built the operation: ``extend_schema(responses=...)``
    # replaces get_response_serializers(), so the declared answers are complete there.
    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        responses = operation["responses"]
        for code, response in responses.items():
            # An error answer declared without a body has the standard one.
            if code.isdigit() and int(code) >= 400 and "content" not in response:
                response["content"] = self._error_content(int(code))
        for code in self._error_statuses(takes_body="requestBody" in operation):
            responses.setdefault(
                str(code),
                {"description": STANDARD_ERRORS[code], "content": self._error_content(code)},
            )
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _error_statuses(self, *, takes_body: bool) -> list[int]:
        view = self.view
        authenticators = view.get_authenticators()
        checks_permission = any(
            not isinstance(permission, AllowAny) for permission in view.get_permissions()
        )
        checks_csrf = self.method not in SAFE_METHODS and any(
            isinstance(authenticator, SessionAuthentication) for authenticator in authenticators
        )
        has_object = "{" in self.path
        pages = (
            self.method == "GET"
            and isinstance(view, mixins.ListModelMixin)
            and getattr(view, "pagination_class", None) is not None
        )
        statuses = {
            400: takes_body,
            401: bool(authenticators),
            403: checks_permission or checks_csrf,
            404: has_object or pages,  # DRF answers a page past the end with 404
            415: takes_body,
            429: bool(view.get_throttles()),
        }
        return [code for code, applies in statuses.items() if applies]

    def _error_content(self, code: int) -> dict[str, Any]:
        detail = self.resolve_serializer(ErrorDetailSerializer(), "response").ref
        if code != 400:
            return {"application/json": {"schema": detail}}
        self.registry.register_on_missing(
            ResolvedComponent(
                name=FIELD_ERRORS_COMPONENT,
                type=ResolvedComponent.SCHEMA,
                object=FIELD_ERRORS_COMPONENT,
                schema=FIELD_ERRORS_SCHEMA,
            )
        )
        field_errors = {"$ref": f"#/components/schemas/{FIELD_ERRORS_COMPONENT}"}
        return {"application/json": {"schema": {"anyOf": [detail, field_errors]}}}


class CharFieldSchema(OpenApiSerializerFieldExtension):
    """A text field in a request: what its validation refuses is in its schema too, so a
    client (and Schemathesis) knows that ``""`` or ``"  "`` is no id_number. Exact
    ``CharField`` only: its subclasses (e-mail, URL, regex fields) state their own format."""

    target_class = "rest_framework.fields.CharField"

    def map_serializer_field(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        field = self.target
        schema = auto_schema._map_serializer_field(field, direction, bypass_extensions=True)
        if direction != "request" or field.read_only:
            return schema
        if field.allow_blank:
            schema["pattern"] = WITHOUT_NUL_PATTERN
        else:
            schema["minLength"] = max(schema.get("minLength", 0), 1)
            schema["pattern"] = NOT_BLANK_PATTERN if field.trim_whitespace else WITHOUT_NUL_PATTERN
        return schema


class TextFieldSchema(CharFieldSchema):
    target_class = "onewindow.api_fields.TextField"
