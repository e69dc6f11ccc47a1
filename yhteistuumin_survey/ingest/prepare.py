"""Read and normalise one table file: the part of ingest that needs no database.

It runs in the ingest process, and, when the batch holds long table files and ``ingest_paths``
has more than one process (the default on two cores), also in a worker process started fresh
(``ingest/pipeline.py``: a new interpreter that imports only reading and normalising) while
the main process stores what comes back, batch by batch, in the order of the files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

from ..errors import InputError, SurveyError, stop_if_interrupted
from ..outcomes import en as said
from .detect import Detector
from .records import ParsedFile, RawRecord

if TYPE_CHECKING:
    from ..normalise import NormalisedPractice

#: A record's practice: normalised, None (not normalised: not a practice) or why it failed.
Outcome = Union["NormalisedPractice", str, None]
#: One record ready to store: its index in the file, the record and its practice.
Row = tuple[int, RawRecord, Outcome]

#: Records normalised and stored together. A long export goes through in batches of this
#: many rows (normalised, then stored, then let go), so that no process holds the whole
#: export's answers, practices and rows to insert at once.
BATCH_ROWS = 250


class Unfinished(Exception):
    """The rows of a file stopped coming (a worker process failed or died on the way)."""


@dataclass
class Prepared:
    """A table file read; ``error`` when it could not be read at all.

    Its rows come batch by batch (``batches``), in the order they are stored: responses by
    their time (``RawRecord.order_key``; a correction after what it corrects), the rest in
    the file's order. They are normalised as the batch is taken (``normalise``), or were
    already (``practices``), or come from a worker process as it normalises them
    (``stream``)."""

    parsed: ParsedFile | None = None
    # Per record, when normalised already: the practice, None (not normalised: incomplete),
    # or a reason (failed).
    practices: list[Outcome] | None = None
    error: str | None = None
    normalise: Callable[[RawRecord], Outcome] | None = None
    stream: Iterator[list[Row]] | None = None

    def batches(self, size: int | None = None) -> Iterator[list[Row]]:
        """The records with their practices, ``size`` (``BATCH_ROWS``) at a time, in the
        order they are stored; each record is let go once its batch is taken."""
        if self.stream is not None:
            yield from self.stream
            return
        for batch in self.record_batches(size):
            yield [(index, record, self._practice(index, record)) for index, record in batch]

    def record_batches(self, size: int | None = None) -> Iterator[list[tuple[int, RawRecord]]]:
        """The records (not normalised), ``size`` at a time, in the order they are stored;
        each is let go from the file once its batch is taken."""
        size = size or BATCH_ROWS
        if self.parsed is None:
            return
        records: list[Any] = self.parsed.records
        order = stored_order(records)
        for start in range(0, len(order), size):
            batch: list[tuple[int, RawRecord]] = []
            for index in order[start:start + size]:
                batch.append((index, records[index]))
                records[index] = None
            yield batch

    def _practice(self, index: int, record: RawRecord) -> Outcome:
        if self.practices is not None:
            practice = self.practices[index]
            self.practices[index] = None
            return practice
        assert self.normalise is not None
        return self.normalise(record)

    def normalised(self) -> Prepared:
        """This file with every record normalised now (``batches`` then only hands out)."""
        if self.practices is None and self.parsed is not None and self.normalise is not None:
            self.practices = [self.normalise(record) for record in self.parsed.records]
        return self


def stored_order(records: list[RawRecord]) -> list[int]:
    """The records' indexes in the order they are stored (``RawRecord.order_key``, stable)."""
    return sorted(range(len(records)), key=lambda index: records[index].order_key())


class Reader:
    """The survey, vocabulary and header profiles of a workspace, loaded once per process."""

    def __init__(self, workspace: Any, source: str,
                 structures: tuple[Path, ...] | list[Path] = (), limits: Any = None) -> None:
        from ..normalise import load_vocabulary, normalise_answers
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
        # Kept here, not imported in ``normalise``: an import statement there cost 0.5-0.9 us
        # on each of a long export's rows.
        self.normalise_answers = normalise_answers

    def read(self, path: Path, display: str) -> ParsedFile:
        """Read a table file with the reader its content calls for (or the forced one)."""
        from ..tables import read_table_file
        from .detect import CONTACT_LIST
        from .forms import read_response_table
        from .limesurvey import flag_choice_codes
        from .questionnaire import read_questionnaire

        sheets = read_table_file(path, limits=self.limits)
        if not any(any(cell not in (None, "") for row in s.rows for cell in row) for s in sheets):
            raise InputError(said("file-no-data", file=display))
        detection = self.detector.detect(sheets, self.source)
        if detection is None:
            raise InputError(self._nothing_recognised(path, display))
        if detection.format == CONTACT_LIST:
            raise InputError(said("contact-list-given", file=display, columns=detection.reason))
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

    @staticmethod
    def _nothing_recognised(path: Path, display: str) -> str:
        """Why no reader took a file: a text file under a workbook's name (read as a CSV
        table, as a CSV export saved as .xlsx is) is no spreadsheet, and the sender has the
        workbook itself; any other file holds no survey questions that were recognised."""
        from ..tables import SPREADSHEET_SUFFIXES, sniff_kind

        if path.suffix.lower() in SPREADSHEET_SUFFIXES and sniff_kind(path) == "text":
            return said("not-a-spreadsheet", file=display, what="a text file")
        return said("no-questions-recognised", file=display)

    def _read_limesurvey(self, path: Path, sheets: Any, profile: Any, mapper: Any) -> Any:
        """Read a LimeSurvey export through a structure: one given with --structure, one
        beside the export, or our own survey's codes; None when none explains it."""
        from .limesurvey import bind, our_structure, read_limesurvey, structures_beside

        structures = [*self.structures, *structures_beside(path)]
        bound = [bind(s, self.survey, self.detector.mapper()) for s in structures]
        return read_limesurvey(sheets, survey=self.survey, profile=profile,
                               structures=[*bound, our_structure(self.survey)], mapper=mapper)

    def prepare(self, path: Path, display: str) -> Prepared:
        """Read a file; expected problems become ``error``, never an exception. Its records
        are normalised batch by batch as they are taken (``Prepared.batches``)."""
        try:
            parsed = self.read(path, display)
        except SurveyError as exc:
            return Prepared(error=str(exc).replace(str(path), display))
        except Exception as exc:  # noqa: BLE001 - one broken file must never stop the batch
            stop_if_interrupted(exc)  # a reader's error raised while Ctrl-C was handled
            return Prepared(error=f"{display}: unexpected {type(exc).__name__} while reading; the "
                                  "file is kept under outputs/received; please report it")
        return Prepared(parsed=parsed, normalise=self.normalise)

    def normalise(self, record: RawRecord) -> Outcome:
        """Normalise one record's answers: its practice, None when it is not a practice (an
        incomplete row), or the reason it failed. Storing needs only the raw answers' JSON
        text: the cells and the answers are let go here, not held for a whole export."""
        practice: Outcome = None
        if record.status == "practice":
            try:
                practice = self.normalise_answers(
                    record.answers, survey=self.survey, vocabulary=self.vocabulary,
                    default_language=record.language or "fi",
                    language_known=record.language is not None)
            except Exception as exc:  # noqa: BLE001 - keep the raw row, report it
                practice = f"cannot normalise ({type(exc).__name__}); kept raw"
        record.raw_json, record.raw, record.answers = record.raw_text(), {}, {}
        return practice
