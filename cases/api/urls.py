from django.urls import path

from .approvals import ApprovalDecisionView, ApprovalListView
from .cases import CaseCollectionView, CaseDetailView
from .deliveries import CaseDeliveryCreateView, CourierWebhookView
from .intake import CaseMaterialUploadView, CaseSubmitView

urlpatterns: list = [
    path("approvals/", ApprovalListView.as_view(), name="approval-list"),
    path(
        "approvals/<int:pk>/decision/",
        ApprovalDecisionView.as_view(),
        name="approval-decision",
    ),
    path(
        "cases/<str:tracking_no>/delivery/",
        CaseDeliveryCreateView.as_view(),
        name="case-delivery",
    ),
    path("deliveries/webhook/", CourierWebhookView.as_view(), name="delivery-webhook"),
    # GET lists the caller's cases, POST opens one (the intake).
    path("cases/", CaseCollectionView.as_view(), name="case-create"),
    path("cases/<str:tracking_no>/", CaseDetailView.as_view(), name="case-detail"),
    path(
        "cases/<str:tracking_no>/materials/",
        CaseMaterialUploadView.as_view(),
        name="case-materials",
    ),
    path("cases/<str:tracking_no>/submit/", CaseSubmitView.as_view(), name="case-submit"),
]
