from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError, CommandParser

from payments.exceptions import ProviderUnavailableError
from payments.services.reconcile import payments_reconcile


class Command(BaseCommand):
    help = "Compare one day's gateway statement with our payments and report every mismatch."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--day", required=True, help="the statement's day, YYYY-MM-DD")

    def handle(self, *args: object, **options: object) -> None:
        try:
            day = dt.date.fromisoformat(str(options["day"]))
        except ValueError as error:
            raise CommandError(f"--day must be YYYY-MM-DD, not {options['day']!r}") from error
        try:
            result = payments_reconcile(day=day)
        except ProviderUnavailableError as error:
            raise CommandError(f"could not fetch the statement: {error}") from error
        self.stdout.write(f"{day}: {result.matched} matched")
        for order_id, transaction_id, amount in result.missing_lines:
            self.stdout.write(
                self.style.ERROR(
                    f"missing from the statement: {order_id} {transaction_id} {amount}"
                )
            )
        for line in result.extra_lines:
            self.stdout.write(
                self.style.ERROR(
                    f"in the statement, not ours: {line.order_id} {line.transaction_id} {line.amount}"
                )
            )
        for line, order_id, amount in result.mismatches:
            self.stdout.write(
                self.style.ERROR(
                    f"differs: statement {line.order_id} {line.amount}, ours {order_id} {amount}"
                    f" ({line.transaction_id})"
                )
            )
        if not result.is_clean:
            raise CommandError("the statement does not match our payments")
