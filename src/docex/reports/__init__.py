"""Reports for people and for other validators, built from the one report model.

Every report here is a rendering of :class:`docex.signatures.report.ValidationReport` and
nothing else: no verdict is re-derived, no field is looked up elsewhere, so the JSON, the
ETSI XML and the PDF always say the same thing.

- :mod:`docex.reports.etsi_xml`: the ETSI TS 119 102-2 signature validation report (XML).
- :mod:`docex.reports.pdf`: a PDF validation report a person can hand to a court.

The modules import lxml and reportlab; import them where a report is asked for, not at
start-up (the CLI's fast path never needs them).
"""
