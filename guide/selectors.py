"""Reads of the public service guide: the search, the home page's lists, an item's and a
bundle's page, each in a fixed number of queries whatever the catalogue's size.

The search is a substring match per word, which is Chinese-aware as it is: Chinese is
written without spaces, so "餐馆" must find "我要开餐馆" and "营业执照" the items that ask
for one. ``icontains`` does that on SQLite and on PostgreSQL alike, with no extension.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _
from pypinyin import Style, lazy_pinyin

from departments.models import (
    Bundle,
    BundleItem,
    Department,
    MaterialRequirement,
    MaterialType,
    ServiceItem,
)

SEARCH_MAX_WORDS = 5
PINYIN_INITIALS = re.compile(r"[a-zA-Z]{2,}")


@dataclass(frozen=True)
class GuideSearchResult:
    items: list[ServiceItem]
    bundles: list[Bundle]


@dataclass(frozen=True)
class GuideMaterial:
    """One material as the guide shows it: whether the applicant has to bring it at all."""

    material_type: MaterialType
    is_required: bool
    note: str
    is_held_by_government: bool
    source: str
    reuse_hint: str


def _requirements_prefetch() -> Prefetch:
    return Prefetch(
        "requirements",
        queryset=MaterialRequirement.objects.select_related(
            "material_type__satisfied_by__issuing_department",
            "material_type__verifiable_by__department",
        ).order_by("position", "id"),
    )


def _words(query: str) -> list[str]:
    return query.split()[:SEARCH_MAX_WORDS]


@functools.lru_cache(maxsize=4096)
def name_initials(name: str) -> str:
    """The pinyin initials of the Chinese characters of ``name``: 我要开餐馆 → wykcg."""
    syllables = lazy_pinyin(name, style=Style.FIRST_LETTER, errors="ignore")
    return "".join(syllable[0] for syllable in syllables if syllable).lower()


def _by_initials(word: str, names: QuerySet) -> Q:
    # Initials are not stored: the catalogue is a few thousand names at most, read as
    # (id, name) pairs in one query, and each name's initials are computed once a process.
    if not PINYIN_INITIALS.fullmatch(word):
        return Q(pk__in=[])
    wanted = word.lower()
    return Q(
        pk__in=[pk for pk, name in names.values_list("pk", "name") if wanted in name_initials(name)]
    )


def _item_word_filter(word: str) -> Q:
    by_material = MaterialRequirement.objects.filter(material_type__name__icontains=word).values(
        "item_id"
    )
    return (
        Q(name__icontains=word)
        | Q(description__icontains=word)
        | Q(code__iexact=word)
        | Q(department__name__icontains=word)
        | Q(pk__in=by_material)
        | _by_initials(word, ServiceItem.objects.filter(is_active=True))
    )


def _matching_items(words: Iterable[str]) -> QuerySet[ServiceItem]:
    items = ServiceItem.objects.filter(is_active=True)
    for word in words:
        items = items.filter(_item_word_filter(word))
    return items


def guide_search(*, query: str) -> GuideSearchResult:
    """Active items and bundles whose name, department or materials hold every word of
    ``query`` (a word of Latin letters also as the names' pinyin initials); a bundle also
    matches through any of its items. A fixed number of queries per word."""
    words = _words(query)
    if not words:
        return GuideSearchResult(items=[], bundles=[])
    items = _matching_items(words).select_related("department").order_by("department__code", "code")
    bundles = Bundle.objects.all()
    for word in words:
        through_items = BundleItem.objects.filter(
            item__is_active=True, item__in=_matching_items([word])
        ).values("bundle_id")
        bundles = bundles.filter(
            Q(name__icontains=word)
            | Q(description__icontains=word)
            | Q(code__iexact=word)
            | Q(pk__in=through_items)
            | _by_initials(word, Bundle.objects.all())
        )
    bundles = bundles.prefetch_related(_bundle_items_prefetch()).order_by("code")
    return GuideSearchResult(items=list(items), bundles=list(bundles))


def _bundle_items_prefetch(*, with_requirements: bool = False) -> Prefetch:
    bundle_items = BundleItem.objects.filter(item__is_active=True).select_related(
        "item__department", "item__produces"
    )
    if with_requirements:
        bundle_items = bundle_items.prefetch_related(
            Prefetch("item__requirements", queryset=_requirements_prefetch().queryset)
        )
    return Prefetch("bundle_items", queryset=bundle_items.order_by("position"))


def guide_departments() -> list[Department]:
    """The active departments that have active items, each with ``guide_items`` in code
    order. Two queries."""
    return list(
        Department.objects.filter(is_active=True, items__is_active=True)
        .distinct()
        .prefetch_related(
            Prefetch(
                "items",
                queryset=ServiceItem.objects.filter(is_active=True).order_by("code"),
                to_attr="guide_items",
            )
        )
        .order_by("code")
    )


def guide_bundles() -> list[Bundle]:
    """Every "one thing" bundle with its active items in order. Two queries."""
    return list(Bundle.objects.prefetch_related(_bundle_items_prefetch()).order_by("code"))


def guide_item_get(*, code: str) -> ServiceItem | None:
    """An active item with its department, product, materials and the bundles it is part
    of (``guide_bundles``). Three queries."""
    return (
        ServiceItem.objects.filter(is_active=True, code=code)
        .select_related("department", "produces")
        .prefetch_related(
            _requirements_prefetch(),
            Prefetch("bundles", queryset=Bundle.objects.order_by("code"), to_attr="guide_bundles"),
        )
        .first()
    )


def guide_bundle_get(*, code: str) -> Bundle | None:
    """A bundle with its active items in order and every item's materials. Three queries."""
    return (
        Bundle.objects.filter(code=code)
        .prefetch_related(_bundle_items_prefetch(with_requirements=True))
        .first()
    )


def _material_source(material_type: MaterialType) -> tuple[bool, str]:
    # The sources the intake tries first, in its order (cases.services.intake.resolution):
    # a valid certificate in the library, then a registry read through the sharing gateway.
    certificate_type = material_type.satisfied_by
    registry = material_type.verifiable_by
    sources = []
    if certificate_type is not None:
        sources.append(
            _("调取电子证照库中您有效的「%(certificate)s」（%(department)s颁发）。")
            % {
                "certificate": certificate_type.name,
                "department": certificate_type.issuing_department.name,
            }
        )
    if registry is not None:
        sources.append(
            _("由%(department)s「%(registry)s」共享核验。")
            % {"department": registry.department.name, "registry": registry.name}
        )
    if not sources:
        return False, _("请上传扫描件或拍照件，或到窗口提交原件。")
    return True, "".join(sources)


def _guide_material(
    requirement: MaterialRequirement,
    *,
    is_required: bool,
    produced_by: ServiceItem | None = None,
) -> GuideMaterial:
    material_type = requirement.material_type
    is_held, source = _material_source(material_type)
    if produced_by is not None:
        # Another item of the same case makes it (the intake's ``produced_in_case``).
        is_held = True
        source = _("由本件事中的「%(item)s」办结后直接取用。") % {"item": produced_by.name}
    reuse_hint = ""
    if not is_held and material_type.reuse_validity_days:
        reuse_hint = _("%(days)s天内在本平台提交过的，可直接复用。") % {
            "days": material_type.reuse_validity_days
        }
    return GuideMaterial(
        material_type=material_type,
        is_required=is_required,
        note=requirement.note,
        is_held_by_government=is_held,
        source=source,
        reuse_hint=reuse_hint,
    )


def guide_item_materials(*, item: ServiceItem) -> list[GuideMaterial]:
    """The item's materials in order, each with its source. No query when the item came
    from ``guide_item_get``."""
    return [
        _guide_material(requirement, is_required=requirement.is_required)
        for requirement in item.requirements.all()
    ]


def guide_bundle_materials(*, bundle: Bundle) -> list[GuideMaterial]:
    """The materials of all the bundle's items, each type once (the bundle is one case):
    required when any item requires it; one that another of its items produces need not
    be brought. No query when the bundle came from ``guide_bundle_get``."""
    items = [bundle_item.item for bundle_item in bundle.bundle_items.all()]
    producers = {item.produces_id: item for item in items if item.produces_id is not None}
    first: dict[int, MaterialRequirement] = {}
    required: dict[int, bool] = {}
    needed_by: dict[int, set[int]] = {}
    for item in items:
        for requirement in item.requirements.all():
            type_id = requirement.material_type_id
            first.setdefault(type_id, requirement)
            required[type_id] = required.get(type_id, False) or requirement.is_required
            needed_by.setdefault(type_id, set()).add(item.pk)
    materials = []
    for type_id, requirement in first.items():
        producer = producers.get(requirement.material_type.satisfied_by_id)
        if producer is not None and producer.pk in needed_by[type_id]:
            producer = None  # an item needing its own product (a renewal) cannot make it
        materials.append(
            _guide_material(requirement, is_required=required[type_id], produced_by=producer)
        )
    return materials


def guide_sitemap_item_codes() -> QuerySet[ServiceItem]:
    return ServiceItem.objects.filter(is_active=True).only("code").order_by("code")


def guide_sitemap_bundle_codes() -> QuerySet[Bundle]:
    return Bundle.objects.only("code").order_by("code")
