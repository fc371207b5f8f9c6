from ..unlock import UnlockCommand


class Command(UnlockCommand):
    help = "Reset access attempts and lockouts for an IP address and username (recorded)"

    def add_arguments(self, parser):
        parser.add_argument("ip", type=str)
        parser.add_argument("username", type=str)

    def handle(self, *args, **options):
        self.report(self.unlock(ip_address=options["ip"], username=options["username"]))
