"""Certificates issued per second by one worker: render the PDF (WeasyPrint, embedded CJK
font, QR code, seal stamp) and seal it (PAdES with the department's key), or with
``--format ofd`` lay out the OFD and seal it with the department's SM2 seal.

    python -m bench.certificates                 # 30 certificates, embedded SQLite
    python -m bench.certificates --count 100
    python -m bench.certificates --format ofd    # the OFD with its SM2 seal (issue_ofd)
    python -m bench.certificates --profile       # also print where the time goes (cProfile)

It works in a throw-away directory: a fresh SQLite database, the demo catalogue and
people, and demo seals (``init_seals``). It creates the certificate rows, then times
``certificate_render_and_sign`` — the body of the ``issue_pdf`` job — one after
another in this one process, as one worker process runs them, after one warm-up
(font and library loading, and the PDF page of the certificate type laid out, which
every later certificate of that type and day reuses). The first and last PDFs are validated against the demo
root before the figures are printed. Not a test: copy the figures into the README.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import platform
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=30)
    parser.add_argument("--format", choices=("pdf", "ofd"), default="pdf")
    parser.add_argument(
        "--profile", action="store_true", help="print the 25 costliest calls (cumulative)"
    )
    arguments = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="onewindow-bench-certificates-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "onewindow.settings.dev",
        "DEBUG": "false",
        "DATABASE_URL": f"sqlite:///{work / 'bench.sqlite3'}",
        "SEALS_DIR": str(work / "seals"),
        "MEDIA_ROOT": str(work / "media"),
    }
    env.pop("REDIS_URL", None)
    for command in (["migrate", "-v0"], ["load_demo", "--force"], ["init_seals"]):
        subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.utils import timezone

    from cases.constants import HolderKind
    from cases.models import Applicant
    from certificates.models import Certificate
    from certificates.ofd.seal import authority_public_key, department_public_key
    from certificates.ofd.verify import ofd_check
    from certificates.services.ofd import certificate_ofd_render_and_seal
    from certificates.services.rendering import certificate_render_and_sign
    from certificates.signing import pdf_check_signature
    from departments.models import CertificateType, RegistryRecord

    settings.MEDIA_ROOT = str(work / "media")
    certificate_type = CertificateType.objects.get(code="BUSINESS_LICENCE")
    record = RegistryRecord.objects.filter(registry__code="LEGAL_PERSON").first()
    holder, _ = Applicant.objects.get_or_create(
        id_type="uscc",
        id_number=record.subject_id,
        defaults={"kind": "organisation", "name": record.data["name"]},
    )
    today = timezone.localdate()
    rows = [
        Certificate.objects.create(
            number=f"BENCH-{today.year}-{number:06d}",
            certificate_type=certificate_type,
            holder=holder,
            holder_kind=HolderKind.ORGANISATION,
            issuing_department=certificate_type.issuing_department,
            valid_from=today,
            data={"item_name": "企业设立登记", "holder_name": holder.name},
        )
        for number in range(arguments.count + 1)
    ]
    issue = (
        certificate_ofd_render_and_seal
        if arguments.format == "ofd"
        else certificate_render_and_sign
    )
    issue(certificate_id=rows[0].pk)  # warm-up: fonts, libraries, the seal loaded
    seconds = []
    profile = cProfile.Profile() if arguments.profile else None
    for row in rows[1:]:
        started = time.perf_counter()
        if profile:
            profile.runcall(issue, certificate_id=row.pk)
        else:
            issue(certificate_id=row.pk)
        seconds.append(time.perf_counter() - started)
    if profile:
        pstats.Stats(profile, stream=sys.stderr).sort_stats("cumulative").print_stats(25)
    for row in (rows[1], rows[-1]):
        row.refresh_from_db()
        if arguments.format == "ofd":
            with row.ofd_document.file.open("rb") as stream:
                verdict = ofd_check(
                    data=stream.read(),
                    public_key=department_public_key(department_code=row.issuing_department.code),
                    authority_public_key=authority_public_key(),
                )
            assert verdict.is_genuine, verdict
            continue
        with row.pdf.open("rb") as stream:
            verdict = pdf_check_signature(pdf=stream.read())
        assert verdict.is_valid, verdict
    last_file = rows[-1].ofd_document.file if arguments.format == "ofd" else rows[-1].pdf
    total = sum(seconds)
    print(
        json.dumps(
            {
                "format": arguments.format,
                "certificates": arguments.count,
                "per_second_one_worker": round(arguments.count / total, 2),
                "median_ms": round(statistics.median(seconds) * 1000),
                "p95_ms": round(sorted(seconds)[int(0.95 * (len(seconds) - 1))] * 1000),
                f"{arguments.format}_kib": round(Path(last_file.path).stat().st_size / 1024, 1),
                "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                f"Python {platform.python_version()}",
            },
            ensure_ascii=False,
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
