"""What is published for anyone to check the draw: the pool file, and the result (seed,
hashes, winners) that re-runs over it (``tools/verify_draw.py``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from django.core.files.storage import default_storage
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from onewindow.api_schema import ErrorDetailSerializer

from ...models import Application, Round
from ..serializers import LotteryResultSerializer
from .common import TAGS, json_response, round_or_404

WINNERS_CHUNK = 10_000


class CSVRenderer(BaseRenderer):
    """Lets a client ask for ``text/csv``; the pool view answers with the file itself."""

    media_type = "text/csv"
    format = "csv"
    charset = "us-ascii"

    def render(
        self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None
    ) -> bytes:
        return data if isinstance(data, bytes) else str(data).encode()


class RoundPoolView(APIView):
    """`GET /api/v1/lottery/rounds/<code>/pool/` (public): the pool file as published —
    ``lottery_code,weight`` lines sorted by lottery code — with its SHA-256 in
    ``X-Pool-SHA256``. Published after the verification and again after an appeal that
    changes it; the draw freezes it."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer, CSVRenderer]

    @extend_schema(
        tags=TAGS,
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR,
                description=gettext_lazy(
                    "资格池文件：每行“摇号编码,号数”，按摇号编码排序；响应头 X-Pool-SHA256 为其SHA-256"
                ),
            ),
            404: OpenApiResponse(
                ErrorDetailSerializer,
                description=gettext_lazy("轮次不存在，或资格池尚未公布（资格审核完成后公布）"),
            ),
        },
    )
    def get(self, request: Request, code: str) -> HttpResponse:
        round_ = Round.objects.filter(code=code).only("code", "pool_file", "pool_sha256").first()
        if round_ is None:
            return json_response(
                {"detail": _("未找到该摇号轮次。")}, status_code=status.HTTP_404_NOT_FOUND
            )
        if not round_.pool_file:
            return json_response(
                {"detail": _("本轮资格池尚未公布：资格审核完成后公布。")},
                status_code=status.HTTP_404_NOT_FOUND,
            )
        response = FileResponse(
            default_storage.open(round_.pool_file, "rb"),
            content_type="text/csv; charset=us-ascii",
            as_attachment=True,
            filename=f"{round_.code}-pool.csv",
        )
        response["X-Pool-SHA256"] = round_.pool_sha256
        response["ETag"] = f'"{round_.pool_sha256}"'
        return response


class RoundResultView(APIView):
    """`GET /api/v1/lottery/rounds/<code>/result/` (public): the seed (once drawn), both
    hashes and the winners' lottery codes in draw order — everything needed to re-run the
    draw over the downloaded pool (``tools/verify_draw.py``)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(tags=TAGS, responses={200: LotteryResultSerializer})
    def get(self, request: Request, code: str) -> StreamingHttpResponse:
        round_ = round_or_404(code)
        return StreamingHttpResponse(_result_stream(round_), content_type="application/json")


def _result_stream(round_: Round) -> Iterator[bytes]:
    """The result's JSON, the winners streamed from the database in draw order (one
    query, read in chunks: a quota of 100,000 never sits in memory at once)."""
    when = serializers.DateTimeField()
    head = {
        "round": round_.code,
        "quota": round_.quota,
        "seed_sha256": round_.seed_sha256,
        "seed": round_.seed or None,
        "pool_sha256": round_.pool_sha256 or None,
        "pool_entries": round_.pool_entries,
        "drawn_at": when.to_representation(round_.drawn_at) if round_.drawn_at else None,
    }
    text = json.dumps(head, ensure_ascii=False, separators=(",", ":"))
    yield (text[:-1] + ',"winners":[').encode()
    if round_.drawn_at is not None:
        codes = (
            Application.objects.filter(round=round_, draw_rank__isnull=False)
            .order_by("draw_rank")
            .values_list("lottery_code", flat=True)
            .iterator(chunk_size=WINNERS_CHUNK)
        )
        batch: list[str] = []
        for index, lottery_code in enumerate(codes):
            batch.append(("," if index else "") + json.dumps(lottery_code))
            if len(batch) == WINNERS_CHUNK:
                yield "".join(batch).encode()
                batch = []
        yield "".join(batch).encode()
    yield b"]}"
