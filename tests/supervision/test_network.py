"""The certificate-flow network: degrees, top items, department ties, on catalogues with known answers."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from departments.constants import Role
from departments.models import ServiceItem
from departments.services.catalogue import catalogue_import
from supervision.selectors.network import (
    DepartmentTie,
    TieStrength,
    _classify_ties,
    catalogue_network,
)
from tests.factories import (
    CertificateTypeFactory,
    DepartmentFactory,
    MaterialRequirementFactory,
    MaterialTypeFactory,
    ServiceItemFactory,
    StaffFactory,
)
from tests.sign_in import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_catalogue():
    """Departments A, B, C. Flows (consumer → producer):
    A2→A1 (within A), B1→A1, C1→A1, C1→B1, B2→A1, B2→A2, A1→B1; B1 needing its own
    certificate is no flow, and an inactive item's needs do not count."""
    a, b, c = (DepartmentFactory(code=code) for code in "ABC")
    t1 = CertificateTypeFactory(code="T1", issuing_department=a)
    t2 = CertificateTypeFactory(code="T2", issuing_department=b)
    t3 = CertificateTypeFactory(code="T3", issuing_department=a)
    m1 = MaterialTypeFactory(code="M1", satisfied_by=t1)
    m1b = MaterialTypeFactory(code="M1B", satisfied_by=t1)  # a second material, same certificate
    m2 = MaterialTypeFactory(code="M2", satisfied_by=t2)
    m3 = MaterialTypeFactory(code="M3", satisfied_by=t3)
    plain = MaterialTypeFactory(code="PLAIN")
    a1 = ServiceItemFactory(code="A1", department=a, produces=t1)
    a2 = ServiceItemFactory(code="A2", department=a, produces=t3)
    b1 = ServiceItemFactory(code="B1", department=b, produces=t2)
    b2 = ServiceItemFactory(code="B2", department=b)
    c1 = ServiceItemFactory(code="C1", department=c)
    gone = ServiceItemFactory(code="C9", department=c, is_active=False)
    for item, materials in [
        (a1, [m2]),
        (a2, [m1]),
        (b1, [m1, m2]),
        (b2, [m1, m3]),
        (c1, [m1, m1b, m2, plain]),
        (gone, [m1, m2]),
    ]:
        for material in materials:
            MaterialRequirementFactory(item=item, material_type=material)


def degrees(network):
    return {
        item.code: (item.in_degree, item.out_degree, item.cross_in_degree, item.cross_out_degree)
        for item in network.items
    }


def test_item_degrees_on_a_hand_made_catalogue(small_catalogue):
    network = catalogue_network()
    assert network.flow_count == 7
    assert network.intra_department_flow_count == 1
    assert network.cross_department_flow_count == 6
    # (in, out, cross in, cross out)
    assert degrees(network) == {
        "A1": (1, 4, 1, 3),
        "A2": (1, 1, 0, 1),
        "B1": (1, 2, 1, 2),
        "B2": (2, 0, 2, 0),
        "C1": (2, 0, 2, 0),
    }
    assert network.items_with_cross_out_degree == 3


def test_top_items_and_the_share_of_cross_department_flows_they_carry(small_catalogue):
    network = catalogue_network()
    assert [item.code for item in network.top_items] == ["A1", "B1", "A2"]
    assert network.top_items_share == 1.0
    top_two = catalogue_network(top=2)
    assert [item.code for item in top_two.top_items] == ["A1", "B1"]
    assert top_two.top_items_flow_count == 5
    assert top_two.top_items_share == pytest.approx(5 / 6)


def test_department_network_weighs_both_directions(small_catalogue):
    network = catalogue_network()
    ties = {(tie.department_a, tie.department_b): tie for tie in network.ties}
    assert set(ties) == {("A", "B"), ("A", "C"), ("B", "C")}
    assert (ties["A", "B"].a_to_b, ties["A", "B"].b_to_a, ties["A", "B"].weight) == (1, 3, 4)
    assert (ties["A", "C"].a_to_b, ties["A", "C"].b_to_a, ties["A", "C"].weight) == (0, 1, 1)
    assert (ties["B", "C"].a_to_b, ties["B", "C"].b_to_a, ties["B", "C"].weight) == (0, 1, 1)
    assert [tie.department_a + tie.department_b for tie in network.ties] == ["AB", "AC", "BC"]
    assert [tie.strength for tie in network.ties] == ["high", "low", "low"]


def test_excluding_a_routine_certificate_removes_its_flows(small_catalogue):
    network = catalogue_network(exclude_certificates=["T1"])
    assert network.flow_count == 3  # C1→B1, B2→A2, A1→B1
    assert degrees(network)["A1"] == (1, 0, 1, 0)


@pytest.mark.parametrize(
    ("weights", "expected"),
    [
        ([3, 3, 3], ["high", "medium", "low"]),
        ([5, 1, 1, 1, 1, 1], ["high", "medium", "medium", "low", "low", "low"]),
        ([1], ["high"]),
    ],
)
def test_ties_split_into_thirds_of_the_flows(weights, expected):
    ties = [
        DepartmentTie(department_a=f"X{index}", department_b="Y", a_to_b=weight, b_to_a=0)
        for index, weight in enumerate(weights)
    ]
    _classify_ties(ties)
    assert [tie.strength for tie in ties] == expected
    assert TieStrength(ties[0].strength).label


def test_an_empty_catalogue_has_no_share():
    network = catalogue_network()
    assert network.flow_count == 0
    assert network.top_items_share is None
    assert network.ties == []


def test_demo_catalogue_figures_are_computed_from_the_catalogue():
    catalogue_import(path=Path(settings.BASE_DIR) / "departments" / "demo" / "catalogue.yaml")
    network = catalogue_network()
    assert network.cross_department_flow_count > 0
    assert sum(item.out_degree for item in network.items) == network.flow_count
    assert sum(item.in_degree for item in network.items) == network.flow_count
    assert sum(tie.weight for tie in network.ties) == network.cross_department_flow_count
    by_code = {item.code: item for item in network.items}
    # The business licence (A002) is what most other departments' items ask for.
    assert network.top_items[0].department_code == "A"
    licence_flows = by_code["A002"].cross_out_degree
    assert licence_flows > 0
    # Not stored: change the catalogue and the figures follow.
    ServiceItem.objects.filter(code="A002").update(is_active=False)
    after = catalogue_network()
    assert "A002" not in {item.code for item in after.items}
    assert after.cross_department_flow_count == network.cross_department_flow_count - licence_flows


def test_catalogue_network_command_prints_the_figures(small_catalogue):
    out = StringIO()
    call_command("catalogue_network", stdout=out)
    text = out.getvalue()
    assert "Certificate flows: 7" in text
    assert "cross-department: 6" in text
    assert "They carry 6 of 6 cross-department flows: 100.0%" in text
    assert "A   B      1   3    4  high" in text
    assert "A1          A        1    4     1      3" in text


def test_network_page_shows_tables_and_a_drawn_graph(client, small_catalogue):
    sign_in(client, StaffFactory(role=Role.SUPERVISOR))
    response = client.get(reverse("supervision:network"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "<svg" in body and "<line" in body
    assert "关联度高" in body
    assert "<script" not in body


def test_network_page_is_for_supervisors_only(client, small_catalogue):
    url = reverse("supervision:network")
    assert client.get(url).status_code == 302
    sign_in(client, StaffFactory(role=Role.CLERK))
    assert client.get(url).status_code == 403
