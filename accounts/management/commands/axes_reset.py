from ..unlock import UnlockCommand


class Command(UnlockCommand):
    help = "Reset all access attempts and lockouts (recorded as an unlock)"

    def handle(self, *args, **options):
        self.report(self.unlock())
