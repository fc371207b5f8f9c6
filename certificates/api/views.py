from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from certificates.models import Certificate

from ..forms import upload_kind
from ..selectors import (
    certificate_effective_status,
    certificate_get_by_token,
    certificate_public_view,
)
from ..services.ofd import ofd_upload_check
from ..signing import pdf_check_signature
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


class DocumentVerificationRequestSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=_("电子证照PDF或OFD文件"))

    def validate_file(self, upload):
        try:
            self.document_kind = upload_kind(upload)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from error
        return upload


class DocumentVerificationSerializer(serializers.Serializer):
    genuine = serializers.BooleanField()
    reason = serializers.CharField()
    number = serializers.CharField(allow_blank=True)
    type = serializers.CharField(allow_blank=True)
    status = serializers.CharField(allow_blank=True)


class CertificateDocumentVerifyView(APIView):
    """Public: is this file (PDF or OFD) a genuine certificate, unchanged since it was
    sealed, and what is the certificate's status now? Reads only."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [CertificateVerifyThrottle]
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": DocumentVerificationRequestSerializer},
        responses={200: DocumentVerificationSerializer},
    )
    def post(self, request) -> Response:
        serializer = DocumentVerificationRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data["file"].read()
        if serializer.document_kind == "ofd":
            result = ofd_upload_check(data=data)
            answer = {"genuine": result.genuine, "reason": result.reason}
            certificate = result.certificate
            status_now = result.status
        else:
            answer, certificate = pdf_upload_answer(data=data)
            status_now = (
                certificate_effective_status(certificate=certificate) if certificate else ""
            )
        return Response(
            DocumentVerificationSerializer(
                {
                    **answer,
                    "number": certificate.number if certificate else "",
                    "type": certificate.certificate_type.name if certificate else "",
                    "status": status_now,
                }
            ).data
        )


def pdf_upload_answer(*, data: bytes) -> tuple[dict, Certificate | None]:
    """A PDF without a token: the seal's bottom line, and the certificate whose stored
    PDF has this very SHA-256."""
    check = pdf_check_signature(pdf=data)
    certificate = (
        Certificate.objects.select_related("certificate_type")
        .filter(pdf_sha256=check.sha256)
        .first()
    )
    if not check.is_valid:
        reason = check.problems[0] if check.problems else _("签名未通过核验。")
        return {"genuine": False, "reason": reason}, certificate
    if certificate is None:
        return {
            "genuine": False,
            "reason": _("签名有效，但该文件不是系统签发存档的PDF文件。"),
        }, None
    if certificate.seal_fingerprint and check.signer_fingerprint != certificate.seal_fingerprint:
        return {"genuine": False, "reason": _("签名的不是颁发部门的印章。")}, certificate
    return {
        "genuine": True,
        "reason": _("文件与签发的电子证照一致，电子印章签名有效。"),
    }, certificate
