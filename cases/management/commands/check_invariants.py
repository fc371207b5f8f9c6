from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from cases.invariants import INVARIANT_LABELS, invariant_counts


class Command(BaseCommand):
    help = "Count what must always be zero in the back office; fail if any is not."

    def handle(self, *args, **options) -> None:
        counts = invariant_counts()
        for name, count in counts.items():
            style = self.style.SUCCESS if count == 0 else self.style.ERROR
            self.stdout.write(style(f"{name:24} {count:8}  {INVARIANT_LABELS[name]}"))
        broken = [name for name, count in counts.items() if count]
        if broken:
            raise CommandError(f"invariants broken: {', '.join(broken)}")
