"""The certificate-flow network of the catalogue (the Chengdu method, seed article 001).

Item network: item B *needs* a certificate that item A produces (one of B's
material requirements is a material type satisfied by A's certificate type)
→ one flow B → A. When several items produce the same certificate, each of
them is a source (the article's Step 2). An item never flows to itself.

- in-degree of an item: how many flows leave it (certificates it needs from
  other items); out-degree: how many flows reach it (items that need its
  certificate). Both are given over all flows and over cross-department flows
  only, the network the article analyses.
- top items: the 20 items with the highest cross-department out-degree and the
  share of all cross-department flows they carry (65.9 % in Chengdu).
- department network: undirected; the edge between departments X and Y weighs
  m + n, m flows from X's items to Y's, n from Y's to X's.
- ties: the edges sorted by weight, heaviest first, and the flows cut into
  (approximate) thirds: an edge whose first flow falls in the first third of
  all flows is a high tie, in the second a medium tie, in the last a low tie.
  The heaviest edge is therefore always a high tie.

Everything is computed from the catalogue on each call; nothing is stored.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _

from departments.models import Department, MaterialRequirement, ServiceItem

TOP_ITEMS = 20


class TieStrength(TextChoices):
    HIGH = "high", _("关联度高")
    MEDIUM = "medium", _("关联度中")
    LOW = "low", _("关联度低")


@dataclass
class ItemDegree:
    code: str
    name: str
    department_code: str
    department_name: str
    certificate_code: str | None
    certificate_name: str | None
    in_degree: int = 0
    out_degree: int = 0
    cross_in_degree: int = 0
    cross_out_degree: int = 0


@dataclass(frozen=True)
class Flow:
    """Item ``consumer`` needs the certificate ``certificate_code`` that item ``producer`` issues."""

    consumer: str
    producer: str
    certificate_code: str
    consumer_department: str
    producer_department: str

    @property
    def is_cross_department(self) -> bool:
        return self.consumer_department != self.producer_department


@dataclass
class DepartmentTie:
    """An undirected edge of the department network: ``weight = m + n``."""

    department_a: str
    department_b: str
    a_to_b: int  # m: flows from A's items to certificates of B's items
    b_to_a: int  # n
    strength: str = TieStrength.LOW

    @property
    def weight(self) -> int:
        return self.a_to_b + self.b_to_a

    @property
    def strength_label(self) -> str:
        return str(TieStrength(self.strength).label)


@dataclass
class CatalogueNetwork:
    items: list[ItemDegree]
    flows: list[Flow]
    department_names: dict[str, str]
    ties: list[DepartmentTie] = field(default_factory=list)
    excluded_certificates: tuple[str, ...] = ()
    top_count: int = TOP_ITEMS

    @property
    def flow_count(self) -> int:
        return len(self.flows)

    @property
    def cross_department_flow_count(self) -> int:
        return sum(1 for flow in self.flows if flow.is_cross_department)

    @property
    def intra_department_flow_count(self) -> int:
        return self.flow_count - self.cross_department_flow_count

    @property
    def items_with_cross_out_degree(self) -> int:
        return sum(1 for item in self.items if item.cross_out_degree > 0)

    @property
    def top_items(self) -> list[ItemDegree]:
        ranked = sorted(
            (item for item in self.items if item.cross_out_degree > 0),
            key=lambda item: (-item.cross_out_degree, -item.out_degree, item.code),
        )
        return ranked[: self.top_count]

    @property
    def top_items_flow_count(self) -> int:
        return sum(item.cross_out_degree for item in self.top_items)

    @property
    def top_items_share(self) -> float | None:
        """Share of all cross-department flows the top items carry (None without any flow)."""
        total = self.cross_department_flow_count
        return self.top_items_flow_count / total if total else None

    def ties_of_strength(self, strength: str) -> list[DepartmentTie]:
        return [tie for tie in self.ties if tie.strength == strength]

    def strength_summary(self) -> list[dict[str, object]]:
        return [
            {
                "strength": strength.value,
                "label": strength.label,
                "ties": len(self.ties_of_strength(strength)),
                "flows": sum(tie.weight for tie in self.ties_of_strength(strength)),
            }
            for strength in TieStrength
        ]


def _classify_ties(ties: list[DepartmentTie]) -> None:
    """Cut the flows into thirds, heaviest edges first (``ties`` arrive sorted); an
    edge is never split: it goes to the third in which its first flow falls."""
    total = sum(tie.weight for tie in ties)
    cumulative = 0
    for tie in ties:
        if cumulative * 3 < total:
            tie.strength = TieStrength.HIGH
        elif cumulative * 3 < 2 * total:
            tie.strength = TieStrength.MEDIUM
        else:
            tie.strength = TieStrength.LOW
        cumulative += tie.weight


def catalogue_network(
    *, exclude_certificates: Iterable[str] = (), top: int = TOP_ITEMS
) -> CatalogueNetwork:
    """The network of the active items of the catalogue, computed now.

    ``exclude_certificates`` leaves out routine certificates that every company
    item asks for (the article leaves out the business licence, 营业执照, for
    that reason); by default every certificate counts.
    """
    excluded = tuple(sorted(set(exclude_certificates)))
    items = list(
        ServiceItem.objects.filter(is_active=True)
        .select_related("department", "produces")
        .order_by("code")
    )
    degrees = {
        item.pk: ItemDegree(
            code=item.code,
            name=item.name,
            department_code=item.department.code,
            department_name=item.department.name,
            certificate_code=item.produces.code if item.produces else None,
            certificate_name=item.produces.name if item.produces else None,
        )
        for item in items
    }
    producers: dict[int, list[int]] = defaultdict(list)
    for item in items:
        if item.produces_id is not None and item.produces.code not in excluded:
            producers[item.produces_id].append(item.pk)
    needs = (
        MaterialRequirement.objects.filter(
            item__is_active=True, material_type__satisfied_by__isnull=False
        )
        .values_list("item_id", "material_type__satisfied_by_id")
        .distinct()
    )
    flows: set[Flow] = set()
    for consumer_id, certificate_id in needs:
        for producer_id in producers.get(certificate_id, ()):
            if producer_id == consumer_id:
                continue
            consumer, producer = degrees[consumer_id], degrees[producer_id]
            flows.add(
                Flow(
                    consumer=consumer.code,
                    producer=producer.code,
                    certificate_code=producer.certificate_code or "",
                    consumer_department=consumer.department_code,
                    producer_department=producer.department_code,
                )
            )
    by_code = {degree.code: degree for degree in degrees.values()}
    directed: dict[tuple[str, str], int] = defaultdict(int)
    for flow in flows:
        by_code[flow.consumer].in_degree += 1
        by_code[flow.producer].out_degree += 1
        if flow.is_cross_department:
            by_code[flow.consumer].cross_in_degree += 1
            by_code[flow.producer].cross_out_degree += 1
            directed[(flow.consumer_department, flow.producer_department)] += 1
    ties: dict[tuple[str, str], DepartmentTie] = {}
    for (source, target), count in directed.items():
        a, b = sorted((source, target))
        tie = ties.setdefault(
            (a, b), DepartmentTie(department_a=a, department_b=b, a_to_b=0, b_to_a=0)
        )
        if source == a:
            tie.a_to_b += count
        else:
            tie.b_to_a += count
    ordered_ties = sorted(
        ties.values(), key=lambda tie: (-tie.weight, tie.department_a, tie.department_b)
    )
    _classify_ties(ordered_ties)
    return CatalogueNetwork(
        items=[degrees[item.pk] for item in items],
        flows=sorted(flows, key=lambda flow: (flow.consumer, flow.producer)),
        department_names=dict(Department.objects.values_list("code", "name")),
        ties=ordered_ties,
        excluded_certificates=excluded,
        top_count=top,
    )
