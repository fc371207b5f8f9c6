"""Every factory builds a row that passes its model's validation."""

import pytest

from departments.identifiers import validate_resident_id, validate_uscc
from tests import factories


@pytest.mark.django_db
@pytest.mark.parametrize(
    "factory_class",
    [
        factories.DepartmentFactory,
        factories.CertificateTypeFactory,
        factories.RegistryFactory,
        factories.RegistryRecordFactory,
        factories.SharingAgreementFactory,
        factories.MaterialTypeFactory,
        factories.ServiceItemFactory,
        factories.MaterialRequirementFactory,
        factories.BundleFactory,
        factories.ApplicantFactory,
        factories.OrganisationFactory,
        factories.CaseFactory,
        factories.ApprovalFactory,
        factories.CertificateFactory,
        factories.CaseMaterialFactory,
        factories.DeliveryFactory,
        factories.VisitFactory,
    ],
)
def test_factory_builds_a_valid_row(factory_class):
    instance = factory_class()
    # django-fsm's protected state fields refuse the re-assignment clean_fields() does.
    instance.full_clean(exclude=["state", "status"])
    assert instance.pk is not None


def test_generated_numbers_pass_the_validators():
    for n in range(200):
        validate_resident_id(factories.resident_id(n))
        validate_uscc(factories.uscc(n))
