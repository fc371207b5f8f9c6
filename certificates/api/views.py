from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from ..selectors import certificate_get_by_token, certificate_public_view
from ..throttles import CertificateVerifyThrottle


class CertificateVerificationSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    number = serializers.CharField()
    type = serializers.CharField()
    type_code = serializers.CharField()
    holder_masked = serializers.CharField()
    holder_name_masked = serializers.CharField()
    holder_id_masked = serializers.CharField()
    issued_by = serializers.CharField()
    issued_at = serializers.DateTimeField()
    valid_from = serializers.DateField()
    valid_until = serializers.DateField(allow_null=True)
    status = serializers.CharField()
    status_display = serializers.CharField()
    licence_id = serializers.CharField(allow_blank=True)
    version = serializers.IntegerField()
    pdf_sha256 = serializers.CharField(allow_blank=True)
    superseded_by = serializers.SerializerMethodField()

    def get_superseded_by(self, view: dict) -> dict | None:
        newer = view["superseded_by"]
        if newer is None:
            return None
        request = self.context.get("request")
        path = reverse("certificates:verify", args=[newer.verification_token])
        return {
            "number": newer.number,
            "version": newer.version,
            "verify_url": request.build_absolute_uri(path) if request else path,
        }


def not_found() -> Response:
    # One answer for unknown, malformed and tampered tokens alike: no hint which.
    return Response({"detail": _("未找到该电子证照。")}, status=status.HTTP_404_NOT_FOUND)


class CertificateVerifyView(APIView):
    """Public: is this certificate genuine and currently valid? Name and ID number masked."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [CertificateVerifyThrottle]

    @extend_schema(responses={200: CertificateVerificationSerializer})
    def get(self, request, token: str) -> Response:
        certificate = certificate_get_by_token(token=token)
        if certificate is None:
            return not_found()
        serializer = CertificateVerificationSerializer(
            certificate_public_view(certificate=certificate), context={"request": request}
        )
        return Response(serializer.data)
