from ..unlock import UnlockCommand


class Command(UnlockCommand):
    help = "Reset all access attempts and lockouts for given usernames (recorded as unlocks)"

    def add_arguments(self, parser):
        parser.add_argument("username", nargs="+", type=str)

    def handle(self, *args, **options):
        self.report(sum(self.unlock(username=username) for username in options["username"]))
