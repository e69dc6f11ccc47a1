"""The reviewers' round trip: triage workbooks out (:mod:`.export`), decisions back in (:mod:`.import_`).

Statuses of a practice: ``new``, ``needs-info``, ``approved``, ``rejected``, ``duplicate``.
A workbook holds one row per practice (its current version) with read-only columns (the card
as submitted, flags in plain Finnish) and editable columns (decision, duplicate of, comment,
corrected title, keywords and municipalities). A hidden ``_review_meta`` sheet records the
export and, per practice, the version and its stamp, so that a row made for an older version
is refused on import however the visible columns were edited.

Reviewer-corrected municipalities: the corrected list becomes the effective one; rows of
``PracticeMunicipality`` that it drops get ``superseded = True`` (kept, so the submitted list
stays recoverable), new ones are added with ``source = "reviewer"``.
"""

from __future__ import annotations

from .common import DECISIONS, STATUSES, effective_municipalities, parse_decision
from .export import ExportedFile, ExportResult, export_review
from .import_ import ImportResult, import_review

__all__ = [
    "DECISIONS", "STATUSES", "ExportResult", "ExportedFile", "ImportResult",
    "effective_municipalities", "export_review", "import_review", "parse_decision",
]
