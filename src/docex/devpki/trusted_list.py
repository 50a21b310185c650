"""A minimal ETSI TS 119 612 trusted list naming the dev QTSP.  DEVELOPMENT ONLY.

The list is unsigned: pyHanko's ``read_qualified_service_definitions`` (and
``trust_list_to_registry_unsafe``) parse a list without checking its XML signature,
which is all development needs. A verifier that insists on signed lists must be told
to accept these explicitly.
"""

from __future__ import annotations

import base64
from xml.sax.saxutils import escape

from asn1crypto import x509

TSL_NS = "http://uri.etsi.org/02231/v2#"
_TL_URI = "http://uri.etsi.org/TrstSvc/TrustedList"
CA_QC = "http://uri.etsi.org/TrstSvc/Svctype/CA/QC"
TSA_QTST = "http://uri.etsi.org/TrstSvc/Svctype/TSA/QTST"
TSA_NOT_QUALIFIED = "http://uri.etsi.org/TrstSvc/Svctype/TSA"
STATUS_GRANTED = f"{_TL_URI}/Svcstatus/granted"
STATUS_WITHDRAWN = f"{_TL_URI}/Svcstatus/withdrawn"
_FOR_ESIGNATURES = f"{_TL_URI}/SvcInfoExt/ForeSignatures"
_FOR_ESEALS = f"{_TL_URI}/SvcInfoExt/ForeSeals"

# Fixed dates keep the generated file byte-identical between runs.
_ISSUED = "2026-01-01T00:00:00Z"
_NEXT_UPDATE = "2045-01-01T00:00:00Z"
_GRANTED_SINCE = "2024-01-01T00:00:00Z"
_WITHDRAWN_SINCE = "2026-06-01T00:00:00Z"

_TSP_NAME = "Docex DEV Qualified Trust Service Provider (DEVELOPMENT ONLY)"


def trusted_list_xml(
    *,
    root_ca: x509.Certificate,
    tsa: x509.Certificate,
    ca_status: str = STATUS_GRANTED,
    tsa_type: str = TSA_QTST,
    tsa_since: str = _GRANTED_SINCE,
) -> str:
    """The trusted list: ``root_ca`` as a CA/QC service, ``tsa`` as a QTST service.

    ``ca_status`` is the CA/QC service's current status (granted or withdrawn); the
    time-stamping service stays granted either way, since ``tsa_since`` (ISO 8601), as a
    service of type ``tsa_type`` (``TSA_QTST``, or ``TSA_NOT_QUALIFIED`` for tests of a
    non-qualified time-stamping service).
    """
    since = _GRANTED_SINCE if ca_status == STATUS_GRANTED else _WITHDRAWN_SINCE
    ca_service = _service(
        service_type=CA_QC,
        name="Docex DEV Qualified Root CA - qualified certificates",
        cert=root_ca,
        status=ca_status,
        since=since,
        extensions=(_additional_info(_FOR_ESIGNATURES) + _additional_info(_FOR_ESEALS),),
    )
    tsa_service = _service(
        service_type=tsa_type,
        name="Docex DEV Time-Stamping Authority - qualified time-stamps"
        if tsa_type == TSA_QTST
        else "Docex DEV Time-Stamping Authority - time-stamps",
        cert=tsa,
        status=STATUS_GRANTED,
        since=tsa_since,
        extensions=(),
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<!-- DEVELOPMENT ONLY: an unsigned trusted list for docex's development PKI. -->
<tsl:TrustServiceStatusList xmlns:tsl="{TSL_NS}" Id="docex-dev-tl" \
TSLTag="http://uri.etsi.org/19612/TSLTag">
  <tsl:SchemeInformation>
    <tsl:TSLVersionIdentifier>5</tsl:TSLVersionIdentifier>
    <tsl:TSLSequenceNumber>1</tsl:TSLSequenceNumber>
    <tsl:TSLType>{_TL_URI}/TSLType/EUgeneric</tsl:TSLType>
    <tsl:SchemeOperatorName>
      <tsl:Name xml:lang="en">docex development - NOT A REAL TRUSTED LIST</tsl:Name>
    </tsl:SchemeOperatorName>
    <tsl:SchemeTerritory>UA</tsl:SchemeTerritory>
    <tsl:ListIssueDateTime>{_ISSUED}</tsl:ListIssueDateTime>
    <tsl:NextUpdate>
      <tsl:dateTime>{_NEXT_UPDATE}</tsl:dateTime>
    </tsl:NextUpdate>
  </tsl:SchemeInformation>
  <tsl:TrustServiceProviderList>
    <tsl:TrustServiceProvider>
      <tsl:TSPInformation>
        <tsl:TSPName>
          <tsl:Name xml:lang="en">{escape(_TSP_NAME)}</tsl:Name>
        </tsl:TSPName>
      </tsl:TSPInformation>
      <tsl:TSPServices>
{ca_service}{tsa_service}      </tsl:TSPServices>
    </tsl:TrustServiceProvider>
  </tsl:TrustServiceProviderList>
</tsl:TrustServiceStatusList>
"""


def _additional_info(uri: str) -> str:
    return f"""            <tsl:Extension Critical="false">
              <tsl:AdditionalServiceInformation>
                <tsl:URI xml:lang="en">{uri}</tsl:URI>
              </tsl:AdditionalServiceInformation>
            </tsl:Extension>
"""


def _service(
    *,
    service_type: str,
    name: str,
    cert: x509.Certificate,
    status: str,
    since: str,
    extensions: tuple[str, ...],
) -> str:
    cert_b64 = base64.b64encode(cert.dump()).decode("ascii")
    ext_xml = (
        "          <tsl:ServiceInformationExtensions>\n"
        + "".join(extensions)
        + "          </tsl:ServiceInformationExtensions>\n"
        if extensions
        else ""
    )
    return f"""        <tsl:TSPService>
          <tsl:ServiceInformation>
            <tsl:ServiceTypeIdentifier>{service_type}</tsl:ServiceTypeIdentifier>
            <tsl:ServiceName>
              <tsl:Name xml:lang="en">{escape(name)}</tsl:Name>
            </tsl:ServiceName>
            <tsl:ServiceDigitalIdentity>
              <tsl:DigitalId>
                <tsl:X509Certificate>{cert_b64}</tsl:X509Certificate>
              </tsl:DigitalId>
            </tsl:ServiceDigitalIdentity>
            <tsl:ServiceStatus>{status}</tsl:ServiceStatus>
            <tsl:StatusStartingTime>{since}</tsl:StatusStartingTime>
{ext_xml}          </tsl:ServiceInformation>
        </tsl:TSPService>
"""
