import asyncio

import pytest
from pyhanko.sign.validation.qualified.assess import QualificationAssessor
from pyhanko.sign.validation.qualified.eutl_parse import (
    read_qualified_service_definitions,
    trust_list_to_registry_unsafe,
)
from pyhanko.sign.validation.qualified.tsp import (
    CA_QC_URI,
    QTST_URI,
    QcCertType,
    QualifiedServiceInformation,
)
from pyhanko_certvalidator import ValidationContext

from docex.devpki import DevPki
from docex.devpki.trusted_list import STATUS_GRANTED, STATUS_WITHDRAWN, trusted_list_xml


def _services(xml: str) -> list[QualifiedServiceInformation]:
    # The generator's return value lists parsing errors; there must be none.
    generator = read_qualified_service_definitions(xml)
    services: list[QualifiedServiceInformation] = []
    errors = None
    while errors is None:
        try:
            services.append(next(generator))
        except StopIteration as stop:
            errors = stop.value
    assert errors == []
    return services


def test_granted_list_names_root_ca_as_qualified_ca(pki: DevPki) -> None:
    xml = trusted_list_xml(root_ca=pki.cert("root-ca"), tsa=pki.cert("tsa"))
    by_type = {s.base_info.service_type: s for s in _services(xml)}
    assert set(by_type) == {CA_QC_URI, QTST_URI}
    ca = by_type[CA_QC_URI].base_info
    assert [c.dump() for c in ca.provider_certs] == [pki.cert("root-ca").dump()]
    assert ca.additional_info_certificate_type == {QcCertType.QC_ESIGN, QcCertType.QC_ESEAL}
    assert [c.dump() for c in by_type[QTST_URI].base_info.provider_certs] == [
        pki.cert("tsa").dump()
    ]


def test_withdrawn_list_has_no_qualified_ca(pki: DevPki) -> None:
    xml = trusted_list_xml(
        root_ca=pki.cert("root-ca"), tsa=pki.cert("tsa"), ca_status=STATUS_WITHDRAWN
    )
    assert [s.base_info.service_type for s in _services(xml)] == [QTST_URI]
    assert "Svcstatus/withdrawn" in xml


@pytest.mark.parametrize(
    ("status", "label", "qualified"),
    [
        (STATUS_GRANTED, "doctor-ecdsa", True),
        (STATUS_GRANTED, "facility-seal", True),
        (STATUS_GRANTED, "nonqualified", False),
        (STATUS_WITHDRAWN, "doctor-ecdsa", False),
    ],
)
def test_pyhanko_assessor_reads_qualification_from_the_list(
    pki: DevPki, status: str, label: str, qualified: bool
) -> None:
    xml = trusted_list_xml(root_ca=pki.cert("root-ca"), tsa=pki.cert("tsa"), ca_status=status)
    registry, errors = trust_list_to_registry_unsafe(xml)
    assert errors == []
    context = ValidationContext(
        trust_roots=pki.trust_anchors(), other_certs=[pki.cert("issuing-ca")], allow_fetching=False
    )
    [path] = asyncio.run(context.path_builder.async_build_paths(pki.cert(label)))
    result = QualificationAssessor(registry).check_entity_cert_qualified(path)
    assert result.status.qualified is qualified
