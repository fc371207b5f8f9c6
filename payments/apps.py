from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    """Fees paid online, waived with a reason, refunded on denial.

    Sits above ``cases``: it holds a case with a fee in review through a conclusion
    guard, and nothing below imports it."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "payments"
    verbose_name = _("缴费")

    def ready(self) -> None:
        """Wiring: the guard on the fan-in, and the outbox jobs that conclude a settled
        case and refund a denied one."""
        from cases.services.guards import conclusion_guard_register
        from cases.services.jobs import job_handler_register

        from .constants import CONCLUDE_JOB, REFUND_JOB
        from .services.refunds import payment_refund_job
        from .services.settlement import payment_conclude_case_job, payment_conclusion_guard

        conclusion_guard_register(payment_conclusion_guard)
        job_handler_register(kind=CONCLUDE_JOB, function=payment_conclude_case_job)
        job_handler_register(kind=REFUND_JOB, function=payment_refund_job)
