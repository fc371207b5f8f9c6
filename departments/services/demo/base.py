"""What the demo load's parts share: the demo catalogue's file and the errors."""

from __future__ import annotations

from pathlib import Path

import departments.demo

CATALOGUE_PATH = Path(departments.demo.__file__).parent / "catalogue.yaml"


class DemoDataError(Exception):
    """The demo data cannot be loaded; the message says why."""


class DemoLoadRefusedError(DemoDataError):
    """``DEBUG`` is off and the load was not forced."""
