"""The reviewers' round trip: triage workbooks out (:mod:`.export`), decisions back in (:mod:`.import_`).

Statuses of a practice: ``new``, ``needs-info``, ``approved``, ``rejected``, ``duplicate``.
A workbook holds one row per practice (its current version) with read-only columns (the card
as submitted, flags in plain Finnish) and editable columns (decision, duplicate of, comment,
corrected title, keywords and municipalities). A hidden ``_review_meta`` sheet records the
export and, per practice, the version and its stamp, so that a row made for an older version
is refused on import however the visible columns were edited.

Reviewer-corrected municipalities (``PracticeMunicipality``): once corrected, every effective
row has ``source = "reviewer"`` (a submitted row the reviewer kept remembers its own source in
``submitted_source``) and every submitted row the correction drops has ``superseded = True``.
So "rows not superseded" and "reviewer rows win when there are any" name the same list, and
the submitted list stays recoverable (:func:`.common.submitted_municipalities`). A new version
from ingest replaces all these rows.
"""

from __future__ import annotations

from .common import DECISIONS, STATUSES, effective_municipalities, parse_decision
from .export import ExportedFile, ExportResult, export_review
from .import_ import ImportResult, import_review

__all__ = [
    "DECISIONS", "STATUSES", "ExportResult", "ExportedFile", "ImportResult",
    "effective_municipalities", "export_review", "import_review", "parse_decision",
]
