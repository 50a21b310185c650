"""Signed document formats: the content a signature must be over for each document kind.

The signed content is the record. A referral is a signed FHIR R4 ``ServiceRequest``, an
examination result a ``DiagnosticReport``, a recall, cancellation or receipt a ``Task``
naming the document it acts on, and a medical document (a PDF or any other file) comes
with a signed ``DocumentReference`` manifest that names the file by its SHA-256. Every
routing fact — patient, author, recipient, the referral answered — is read from that
content after the signature over it has been verified (:func:`reading.read_facts`); the
request's own fields may only repeat it.

- :mod:`identifiers` — the identifier systems (patient, RNOKPP, EDRPOU, docex document);
- :mod:`profiles` — one pydantic model per format and version: what docex requires of
  the resource; published as JSON Schema (``docs/schemas/``, the OpenAPI);
- :mod:`facts` — :class:`~facts.SignedFacts`, what a verified content says;
- :mod:`reading` — bytes → facts, refusing anything ambiguous with the JSON path of
  the problem; each resource is also validated as FHIR by ``fhir.resources`` (R4B, the
  R4 release these resources are unchanged in);
- :mod:`building` — the content for each kind from a few values (``docex sign``, the
  demo, tests and benchmarks).

Nothing here reads a database or a signature: this package depends on ``domain`` only.
"""
