from ..unlock import UnlockCommand


class Command(UnlockCommand):
    help = "Reset all access attempts and lockouts for given IP addresses (recorded as unlocks)"

    def add_arguments(self, parser):
        parser.add_argument("ip", nargs="+", type=str)

    def handle(self, *args, **options):
        self.report(sum(self.unlock(ip_address=ip) for ip in options["ip"]))
