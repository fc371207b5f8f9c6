from django.core.management.base import BaseCommand, CommandError

from certificates.exceptions import SealMissingError
from certificates.ofd.seal import sm2_dir, sm2_seals_init
from certificates.seals import seals_dir, seals_init


class Command(BaseCommand):
    help = (
        "Create the demo root CA and one electronic-seal signing key and certificate per "
        "department under SEALS_DIR, and one SM2 key pair and seal per department for the OFD "
        "certificates. Existing keys are kept: running it again changes nothing."
    )

    def handle(self, *args, **options):
        try:
            report = seals_init()
            sm2_report = sm2_seals_init()
        except SealMissingError as error:
            raise CommandError(str(error)) from error
        if report["root"]:
            self.stdout.write(f"root CA created: {report['root'][0]}")
        self.stdout.write(
            f"seals in {seals_dir()}: created {len(report['created'])} "
            f"({', '.join(report['created']) or '-'}), renewed {len(report['renewed'])} "
            f"({', '.join(report['renewed']) or '-'}), kept {len(report['kept'])}"
        )
        self.stdout.write(
            f"SM2 seals in {sm2_dir()}: created {len(sm2_report['created'])}, "
            f"renewed {len(sm2_report['renewed'])}, kept {len(sm2_report['kept'])}"
        )
