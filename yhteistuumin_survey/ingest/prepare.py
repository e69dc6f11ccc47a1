"""Read and normalise one table file: the part of ingest that needs no database.

It runs in the ingest process, or, when ``ingest_paths`` is asked for more than one worker and
the batch holds long table files, also in a worker process started fresh (``ingest/pipeline.py``:
a new interpreter that imports only reading and normalising) while the main process stores
what comes back, in the order of the files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError, SurveyError
from .detect import Detector
from .records import ParsedFile

if TYPE_CHECKING:
    from ..normalise import NormalisedPractice


@dataclass
class Prepared:
    """A table file read and normalised; ``error`` when it could not be read at all."""

    parsed: ParsedFile | None = None
    # Per record: the practice, or None (not normalised: incomplete), or a reason (failed).
    practices: list[NormalisedPractice | str | None] = field(default_factory=list)
    error: str | None = None

    def merge(self, parts: list[Prepared]) -> Prepared:
        """Fill in the records that other workers normalised (``parts`` of one file)."""
        for part in parts:
            for index, practice in enumerate(part.practices):
                if practice is not None and index < len(self.practices):
                    self.practices[index] = practice
        return self


class Reader:
    """The survey, vocabulary and header profiles of a workspace, loaded once per process."""

    def __init__(self, workspace: Any, source: str,
                 structures: tuple[Path, ...] | list[Path] = (), limits: Any = None) -> None:
        from ..normalise import load_vocabulary
        from ..survey import workspace_survey
        from ..tables import DEFAULT_LIMITS
        from .limesurvey import load_structures
        from .profiles import load_profiles

        self.survey = workspace_survey(workspace)
        self.vocabulary = load_vocabulary(workspace)
        self.profiles = load_profiles(workspace)
        self.detector = Detector(self.survey, self.profiles)
        self.source = source
        self.structure_paths = tuple(structures)
        # LimeSurvey structures given with --structure; a bad one stops the run before it starts.
        self.structures = load_structures(self.structure_paths)
        self.limits = limits or DEFAULT_LIMITS

    def read(self, path: Path, display: str) -> ParsedFile:
        """Read a table file with the reader its content calls for (or the forced one)."""
        from ..tables import read_table_file
        from .forms import read_response_table
        from .limesurvey import flag_choice_codes
        from .questionnaire import read_questionnaire

        sheets = read_table_file(path, limits=self.limits)
        if not any(any(cell not in (None, "") for row in s.rows for cell in row) for s in sheets):
            raise InputError(f"{display}: the file has no data; ask the sender for the filled file")
        detection = self.detector.detect(sheets, self.source)
        if detection is None:
            raise InputError(f"{display}: no survey questions recognised (neither our "
                             "questionnaire nor a known form export nor question-like headers); "
                             "use --source to force a reader")
        if detection.format == "questionnaire":
            return read_questionnaire(sheets, survey=self.survey, mapper=self.detector.mapper(),
                                      where=display, require_meta=self.source == "questionnaire")
        assert detection.profile is not None
        mapper = self.detector.mapper(detection.profile)
        if detection.profile.name == "limesurvey":
            parsed = self._read_limesurvey(path, sheets, detection.profile, mapper)
            if parsed is not None:
                return parsed
        parsed = read_response_table(sheets, survey=self.survey, profile=detection.profile,
                                     mapper=mapper)
        if detection.profile.name == "limesurvey" and not parsed.records:
            raise InputError(f"{display}: a LimeSurvey export whose columns are question codes "
                             "without their texts; give the survey structure (the survey's .lss "
                             "beside the export, or ingest --structure FILE.lss), or export "
                             "with full question texts")
        flag_choice_codes(parsed, self.survey)
        return parsed

    def _read_limesurvey(self, path: Path, sheets: Any, profile: Any, mapper: Any) -> Any:
        """Read a LimeSurvey export through a structure: one given with --structure, one
        beside the export, or our own survey's codes; None when none explains it."""
        from .limesurvey import bind, our_structure, read_limesurvey, structures_beside

        structures = [*self.structures, *structures_beside(path)]
        bound = [bind(s, self.survey, self.detector.mapper()) for s in structures]
        return read_limesurvey(sheets, survey=self.survey, profile=profile,
                               structures=[*bound, our_structure(self.survey)], mapper=mapper)

    def prepare(self, path: Path, display: str, part: int = 0, parts: int = 1) -> Prepared:
        """Read and normalise a file; expected problems become ``error``, never an exception.

        With ``parts`` > 1 only every ``parts``-th record from ``part`` on is normalised (the
        others are None), so that several workers share a long export; only part 0 returns
        the records themselves.
        """
        from ..normalise import normalise_answers

        try:
            parsed = self.read(path, display)
        except SurveyError as exc:
            return Prepared(error=str(exc).replace(str(path), display))
        except Exception as exc:  # noqa: BLE001 - one broken file must never stop the batch
            return Prepared(error=f"{display}: unexpected {type(exc).__name__} while reading; the "
                                  "file is kept under outputs/received; please report it")
        practices: list[NormalisedPractice | str | None] = []
        for index, record in enumerate(parsed.records):
            if record.status != "practice" or index % parts != part:
                practices.append(None)
            else:
                try:
                    practices.append(normalise_answers(
                        record.answers, survey=self.survey, vocabulary=self.vocabulary,
                        default_language=record.language or "fi",
                        language_known=record.language is not None))
                except Exception as exc:  # noqa: BLE001 - keep the raw row, report it
                    practices.append(f"cannot normalise ({type(exc).__name__}); kept raw")
            if part == 0:
                # Storing needs only the raw answers' JSON text: let the cells and the
                # answers go as soon as they are read, not hold a whole export's twice.
                record.raw_json, record.raw, record.answers = record.raw_text(), {}, {}
        if part != 0:
            return Prepared(practices=practices)
        return Prepared(parsed=parsed, practices=practices)
