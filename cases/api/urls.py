from django.urls import path

from .approvals import ApprovalDecisionView, ApprovalListView

urlpatterns: list = [
    path("approvals/", ApprovalListView.as_view(), name="approval-list"),
    path(
        "approvals/<int:pk>/decision/",
        ApprovalDecisionView.as_view(),
        name="approval-decision",
    ),
]
