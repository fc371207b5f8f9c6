from __future__ import annotations

from django.core.management.base import BaseCommand

from payments.services.refunds import payments_refund_sweep


class Command(BaseCommand):
    help = "Start the refund of every paid fee of a denied case (safe to run any time)."

    def handle(self, *args: object, **options: object) -> None:
        self.stdout.write(f"{payments_refund_sweep()} refunds started")
