"""``POST /api/v1/auth/token/``: username and password (and ``otp`` for an account that
signs in with a second factor) for the account's API token.

Under the same lockout as the sign-in page (django-axes: per account and per client
address), answered as JSON: 400 when a field is missing, 401 when the password or the
code is wrong (or the code is missing), 429 when locked out.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ..exceptions import SignInError, SignInLockedError
from ..services import api_token_sign_in


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False)
    otp = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        help_text=gettext_lazy(
            "须使用双重认证的账号（审批、监察人员和系统管理员等）必填："
            "验证器应用当前显示的 6 位动态验证码，或一个未用过的恢复码。"
        ),
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(
        help_text=gettext_lazy("此后请求头写 Authorization: Token <token>")
    )


class SignInErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.ChoiceField(
        choices=[
            "invalid_credentials",
            "otp_required",
            "otp_invalid",
            "otp_not_set_up",
            "locked_out",
        ]
    )


class TokenSignInView(APIView):
    # No session or token needed (and so no CSRF check): this is how one gets a token.
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["auth"],
        summary=gettext_lazy("用账号密码（及动态验证码）换取接口令牌"),
        request=TokenRequestSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(description=gettext_lazy("缺少字段：每个字段一条说明")),
            401: OpenApiResponse(
                SignInErrorSerializer,
                description=gettext_lazy(
                    "用户名或密码错误，或缺少、错误的动态验证码（code 说明是哪一种）"
                ),
            ),
            429: OpenApiResponse(
                SignInErrorSerializer,
                description=gettext_lazy(
                    "失败次数过多：该账号或此网络地址已被暂时锁定，请稍后再试或联系管理员解锁"
                ),
            ),
        },
        examples=[
            OpenApiExample(
                "部门业务系统", value={"username": "system_a", "password": "..."}, request_only=True
            ),
            OpenApiExample(
                "审批人员",
                value={"username": "reviewer_a", "password": "...", "otp": "123456"},
                request_only=True,
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            token = api_token_sign_in(
                request=request,
                username=serializer.validated_data["username"],
                password=serializer.validated_data["password"],
                otp=serializer.validated_data.get("otp", ""),
            )
        except SignInError as error:
            status_code = (
                status.HTTP_429_TOO_MANY_REQUESTS
                if isinstance(error, SignInLockedError)
                else status.HTTP_401_UNAUTHORIZED
            )
            return Response(
                {"detail": str(error), "code": error.code},
                status=status_code,
                headers={"WWW-Authenticate": "Token"} if status_code == 401 else None,
            )
        return Response({"token": token.key})
