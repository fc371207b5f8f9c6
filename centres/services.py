"""Writing the network: a centre with its queues and windows, created or brought in line
with a description (the demo, or an operator's import)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from . import demo
from .constants import CentreLevel
from .models import Centre, Queue, ServiceWindow, default_opening_hours


@dataclass
class NetworkCounts:
    centres: int = 0
    centres_created: int = 0
    queues: int = 0
    windows: int = 0


def _centre_sync(
    *, code: str, parent: Centre | None, level: str, name: str, address: str, phone: str
) -> tuple[Centre, bool]:
    hours = default_opening_hours()
    if level == CentreLevel.CITY:
        hours["6"] = [list(interval) for interval in demo.CITY_SATURDAY]
    centre = Centre.objects.filter(code=code).first()
    created = centre is None
    if centre is None:
        centre = Centre(code=code, parent=parent, level=level, opening_hours=hours)
    centre.name, centre.address, centre.phone = name, address, phone
    centre.full_clean(exclude=["path"])
    centre.save()
    return centre, created


def network_demo_load() -> NetworkCounts:
    """The demo network (``centres/demo.py``): safe to run again, it keeps what exists
    and adds what is missing."""
    counts = NetworkCounts()
    with transaction.atomic():
        by_code: dict[str, Centre] = {}
        for code, parent_code, level, name, address, phone in demo.CENTRES:
            centre, created = _centre_sync(
                code=code,
                parent=by_code.get(parent_code) if parent_code else None,
                level=level,
                name=name,
                address=address,
                phone=phone,
            )
            by_code[code] = centre
            counts.centres += 1
            counts.centres_created += created
            queues = {
                queue_code: Queue.objects.get_or_create(
                    centre=centre, code=queue_code, defaults={"name": queue_name}
                )[0]
                for queue_code, queue_name in demo.QUEUES[level]
            }
            counts.queues += len(queues)
            for number, queue_codes in demo.WINDOWS[level]:
                window, _created = ServiceWindow.objects.get_or_create(centre=centre, number=number)
                window.queues.set([queues[queue_code] for queue_code in queue_codes])
                counts.windows += 1
    return counts
