"""Benchmark a national round's ingest against a baseline that only reads the same files.

Run: .venv/bin/python bench/ingest.py [--questionnaires 308] [--rows 5000] [--rounds 5]
[--data DIR]

Input (generated once into --data, default a temporary folder): the questionnaires of every
municipality built by ``survey build``'s builder and filled in with openpyxl (two practices
each), a Microsoft Forms export (.xlsx) and a Google Forms "Download responses" CSV of --rows
rows each. Each phase runs in its own process so that peak memory is its own:

* baseline: pandas reads every file (python-calamine for the workbooks, every sheet) and
  nothing else;
* ingest: ``ingest_paths`` into a fresh copy of a new workspace's SQLite database (made once
  per run in a process of its own, migrated and the register loaded, as ``yhteistuumin init``
  makes it before a round's first ingest): store the files, read (python-calamine), normalise,
  resolve municipalities, write practices; then the same input again (re-ingest). Creating
  the database is not ingest's work: the migrations (Alembic and the schema's history, about
  30 MB) would otherwise sit in the measured process, which no ingest of a real round loads.

The two phases run alternately, --rounds times, in the same run. Prints min and median of
each, the ratio ingest / baseline (target <= 2.0, median), the re-ingest speed-up (target
>= 10, first round) and the peak memory of each phase's whole process tree (its worker
processes included), plus ``BENCH`` lines for ``bench/summary.py``. Each phase's CPU seconds
(its own and its workers') are printed too: on a shared machine they vary less than the
elapsed time. The whole tree's memory is the larger of the sum of the tree's resident memory
sampled every 10 ms from outside and ``getrusage`` (the phase's own peak plus its largest
worker's); with worker processes the sum of their proportional memory (PSS, shared pages
counted once) is printed beside it.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _report import emit, spread, tree_peak_mb  # noqa: E402

TITLES = ("Kulttuurikaveri", "Kirjastoauto kylille", "Taidetta terveysasemille", "Lukupiiri",
          "Kesäteatteri", "Museoseikkailu", "Runoilta", "Kuorolaulu senioreille", "Taidekoulu",
          "Elokuvakerho", "Tanssitunti", "Käsityöpaja", "Musiikkiluokka", "Sanataidekoulu")
GROUPS = ("Lapset", "Nuoret", "Ikääntyneet", "Perheet", "Kaikki asukkaat", "Kunnan työntekijät")
WORDS = ("kulttuuri", "yhteistyö", "lapset", "kirjasto", "musiikki", "taide", "liikunta",
         "osallisuus", "hyvinvointi", "vapaaehtoiset", "koulut", "kylät")
LOREM = ("Toiminta järjestetään yhdessä paikallisten yhdistysten kanssa ja se on kaikille "
         "avointa. Osallistujat ovat antaneet hyvää palautetta ja toiminta jatkuu ensi vuonna. ")


def _answers(rng: random.Random, number: int, municipality: str) -> dict[str, str]:
    title = f"{rng.choice(TITLES)}: {rng.choice(WORDS)} {municipality} {number}"
    return {
        "municipalities": municipality, "title": title,
        "keywords": ", ".join(rng.sample(WORDS, 3)),
        "goal": f"Tavoitteena on {rng.choice(WORDS)} ja {rng.choice(WORDS)}. " + LOREM,
        "summary": LOREM * 2, "implementation": LOREM * 3, "resources": "38\u00a0000,00 € vuodessa",
        "experiences": LOREM, "benefits": LOREM, "contact_name": f"Henkilö {number}",
        "contact_email": f"henkilo{number}@kunta.example.fi",
        "contact_phone": f"040 {number % 1000:03d} {number % 10000:04d}",
        "publish_consent": rng.choice(("Kyllä", "Ei")),
    }


def generate(folder: Path, *, questionnaires: int, rows: int) -> None:
    """Write the round's input into ``folder`` (skipped when it is already there)."""
    done = folder / ".complete"
    if done.exists():
        return
    from openpyxl import Workbook, load_workbook
    from sqlmodel import Session

    from yhteistuumin_survey.config import load_settings
    from yhteistuumin_survey.db.engine import open_database
    from yhteistuumin_survey.questionnaire import build_questionnaires
    from yhteistuumin_survey.register import ensure_register
    from yhteistuumin_survey.survey import workspace_survey
    from yhteistuumin_survey.workspace import Workspace, init_workspace

    rng = random.Random(2024)
    folder.mkdir(parents=True, exist_ok=True)
    build_ws = Workspace(init_workspace(folder / "build-workspace").root)
    engine = open_database(f"sqlite:///{folder / 'build.sqlite'}")
    ensure_register(engine, workspace=build_ws)
    settings = load_settings(build_ws.root, env={})
    with Session(engine, expire_on_commit=False) as session:
        from sqlmodel import select

        from yhteistuumin_survey.db.models import Municipality

        codes = [m.code for m in session.exec(select(Municipality).where(
            Municipality.active == True).order_by(Municipality.code))][:questionnaires]  # noqa: E712
        names = {m.code: m.name_fi for m in session.exec(select(Municipality))}
        built = build_questionnaires(build_ws, session=session, settings=settings,
                                     survey=workspace_survey(build_ws), only=codes)
        session.commit()
    target = folder / "input" / "questionnaires"
    target.mkdir(parents=True, exist_ok=True)
    for index, item in enumerate(built.built):
        workbook = load_workbook(item.path)
        sheets = [s for s in workbook.worksheets if str(s.cell(row=1, column=3).value or "")
                  .startswith("practice:")]
        for number, sheet in enumerate(sheets[:2]):
            answers = _answers(rng, index * 10 + number, names[item.code])
            tick = rng.choice(("children", "young_people", "older_people", "families"))
            for row in sheet.iter_rows():
                key = row[2].value if len(row) > 2 else None
                if key in answers:
                    row[1].value = answers[key]
                elif key == f"target_group:{tick}":
                    row[1].value = "x"
        workbook.save(target / item.path.name)
    fi_headers = ["Kunta tai kunnat, joissa käytäntö on käytössä", "Käytännön nimi", "Avainsanat",
                  "Kenelle käytäntö on suunnattu?", "Tavoite", "Hyvä käytäntö pähkinänkuoressa",
                  "Toteuttaminen", "Resurssit", "Kokemuksia", "Hyödyt", "Yhteyshenkilön nimi",
                  "Yhteyshenkilön sähköposti", "Yhteyshenkilön puhelinnumero",
                  "Saako yhteyshenkilön nimen ja yhteystiedot julkaista hyvän käytännön "
                  "yhteydessä yhteistuumin.fi-sivustolla?"]
    keys = ["municipalities", "title", "keywords", "target_group", "goal", "summary",
            "implementation", "resources", "experiences", "benefits", "contact_name",
            "contact_email", "contact_phone", "publish_consent"]
    all_names = sorted(names.values())
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Sheet1")
    sheet.append(["ID", "Start time", "Completion time", "Email", "Name", "Last modified time",
                  *fi_headers])
    for number in range(1, rows + 1):
        answers = _answers(rng, 100000 + number, rng.choice(all_names))
        answers["target_group"] = ";".join(rng.sample(GROUPS, 2)) + ";"
        sheet.append([number, f"3/{1 + number % 28}/2024 9:{number % 60:02d}:00",
                      f"3/{1 + number % 28}/2024 10:{number % 60:02d}:00",
                      "anonymous", None, None, *[answers[k] for k in keys]])
    (folder / "input" / "forms").mkdir(parents=True, exist_ok=True)
    workbook.save(folder / "input" / "forms" / "msforms-5000.xlsx")
    with (folder / "input" / "forms" / "googleforms-5000.csv").open("w", encoding="utf-8",
                                                                    newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL)
        writer.writerow(["Timestamp", "Email Address", *fi_headers])
        for number in range(1, rows + 1):
            answers = _answers(rng, 200000 + number, rng.choice(all_names))
            answers["target_group"] = ";".join(rng.sample(GROUPS, 2))
            writer.writerow([f"2022/11/{1 + number % 28:02d} 10:39:{number % 60:02d} PM GMT+1",
                             f"vastaaja{number}@kunta.example.fi", *[answers[k] for k in keys]])
    done.write_text("ok\n")


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in (folder / "input").rglob("*") if p.is_file())


def phase_baseline(folder: Path) -> dict[str, float]:
    import pandas as pd

    started, cpu = time.perf_counter(), _cpu()
    cells = 0
    for path in _files(folder):
        if path.suffix == ".csv":
            cells += pd.read_csv(path).size
        else:
            for frame in pd.read_excel(path, sheet_name=None, engine="calamine").values():
                cells += frame.size
    return {"seconds": time.perf_counter() - started, "cpu": _cpu() - cpu, "cells": cells}


def phase_setup(ready: Path) -> dict[str, float]:
    """Make the workspace and its database (migrated, the register loaded) that every ingest
    round starts from, as ``yhteistuumin init`` does once before a round's ingests."""
    from yhteistuumin_survey.db.engine import open_database
    from yhteistuumin_survey.register import ensure_register
    from yhteistuumin_survey.workspace import Workspace, init_workspace

    workspace = Workspace(init_workspace(ready / "ws").root)
    engine = open_database(f"sqlite:///{ready / 'ingest.sqlite'}")
    ensure_register(engine, workspace=workspace)
    engine.dispose()
    return {}


def phase_ingest(folder: Path, ready: Path, workers: int | None = None, again: bool = False
                 ) -> dict[str, float]:
    from sqlmodel import Session

    from yhteistuumin_survey.config import load_settings
    from yhteistuumin_survey.db.engine import open_database
    from yhteistuumin_survey.ingest import ingest_paths
    from yhteistuumin_survey.workspace import Workspace

    work = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    shutil.copytree(ready, work, dirs_exist_ok=True)  # a fresh copy of the set-up workspace
    workspace = Workspace(work / "ws")
    engine = open_database(f"sqlite:///{work / 'ingest.sqlite'}")  # at the newest schema
    settings = load_settings(workspace.root, env={})
    paths = [folder / "input"]
    with Session(engine, expire_on_commit=False) as session:
        started, cpu = time.perf_counter(), _cpu()
        first = ingest_paths(paths, session=session, workspace=workspace, settings=settings,
                             workers=workers)
        first_seconds, first_cpu = time.perf_counter() - started, _cpu() - cpu
    result: dict = {"seconds": first_seconds, "cpu": first_cpu, "counts": first.counts,
                    "rusage_mb": tree_peak_mb()}
    if again:
        # The ingest's memory is taken above, before the re-ingest: a worker process started
        # by the re-ingest (and stopped, nothing being new) counts, in getrusage, the memory
        # of the process that started it (Linux counts the parent's pages until the child's
        # exec) as its own peak, which no process ever had (the sampled sum shows it).
        with Session(engine, expire_on_commit=False) as session:
            started = time.perf_counter()
            repeat = ingest_paths(paths, session=session, workspace=workspace,
                                  settings=settings, workers=workers)
            result.update(again=time.perf_counter() - started, again_counts=repeat.counts)
    shutil.rmtree(work, ignore_errors=True)
    return result


def _cpu() -> float:
    """CPU seconds (user + system) of this process and of its finished worker processes."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _tree(pid: int) -> list[int]:
    """The process and its descendants (Linux /proc; the threads' children lists)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                todo.extend(int(p) for p in task.read_text().split())
            except OSError:
                continue
    return found


def _proc_kb(pid: int, file: str, key: str) -> int:
    """One ``key: N kB`` line of ``/proc/PID/FILE``, in kB (0 when the process is gone)."""
    try:
        for line in Path(f"/proc/{pid}/{file}").read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


#: A page's size in kB, for ``/proc/PID/statm``'s counts of pages.
_PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def _rss_kb(pid: int) -> int:
    """Resident memory in kB (0 when the process is gone): ``statm``'s second count, the
    same figure as ``status``'s VmRSS, read from a line of a few numbers instead of a page
    of fields."""
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * _PAGE_KB
    except (OSError, IndexError, ValueError):
        return 0


def _pss_kb(pid: int) -> int:
    """Proportional memory: each page shared with other processes counted in shares (RSS
    summed over the tree counts a page two processes map, such as a library's, twice)."""
    return _proc_kb(pid, "smaps_rollup", "Pss:")


def _child(phase: str, folder: Path, workers: int | None = None, again: bool = False,
           ready: Path | None = None) -> dict:
    """Run one phase in a new process; its result, with the peak memory of its whole tree.

    The tree's memory is sampled from outside every 10 ms: the sum of the resident memory of
    the phase's process and of every process under it (worker processes). The result's
    ``tree_mb`` is the larger of that sampled sum and the phase's own peak plus its largest
    worker's peak (``getrusage``), so neither a short spike nor a worker is missed.
    """
    extra = ["--workers", str(workers)] if workers else []
    extra += ["--again"] if again else []
    extra += ["--ready", str(ready)] if ready else []
    process = subprocess.Popen([sys.executable, __file__, "--phase", phase, "--data",
                                str(folder), *extra], stdout=subprocess.PIPE, text=True)
    peak_kb = pss_kb = processes = samples = 0
    tree: list[int] = []
    while process.poll() is None:
        # The sampling takes CPU from the two cores the ingest runs on (the baseline reads
        # in one process, with a core to spare): every 10 ms, finding the tree (a read for
        # each thread of each process) and each process's status page took 0.11-0.13 s of
        # CPU in an ingest of 2 s, and the ingest's median went from 2.02 to 2.15 s. The
        # tree is found again every 100 ms (a worker starts once, at the beginning); the
        # resident memory is read every 10 ms, from ``statm`` (0.05-0.07 s of CPU so).
        if samples % 10 == 0:
            tree = _tree(process.pid)
            processes = max(processes, len(tree))
            # With one process PSS is no news. Reading it walks every page of every
            # process: every 10 ms it took a good part of a core from the two the phase
            # ran on; it is read every 0.5 s.
            if len(tree) > 1 and samples % 50 == 0:
                pss_kb = max(pss_kb, sum(_pss_kb(pid) for pid in tree))
        peak_kb = max(peak_kb, sum(_rss_kb(pid) for pid in tree))
        samples += 1
        time.sleep(0.01)
    out = process.stdout.read() if process.stdout else ""
    if process.returncode:
        raise SystemExit(f"the {phase} phase failed ({process.returncode})")
    result = json.loads(out.strip().splitlines()[-1])
    result["sampled_mb"] = peak_kb / 1024
    result["pss_mb"] = pss_kb / 1024 or None
    result["processes"] = processes
    result["tree_mb"] = max(result["rusage_mb"], result["sampled_mb"])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questionnaires", type=int, default=308)
    parser.add_argument("--rows", type=int, default=5000)
    # Five rounds: on a shared 2-core machine one round of either phase can take half as
    # long again as the next (seen: ingest 5.3-7.4 s, pandas 2.3-3.2 s in one run); the
    # median of five is less at the mercy of one such round than the median of three.
    parser.add_argument("--rounds", type=int, default=5,
                        help="rounds of baseline then ingest, alternately (default 5)")
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--phase", choices=("baseline", "setup", "ingest"), default=None)
    parser.add_argument("--ready", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--again", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=None,
                        help="processes that read (ingest_paths' workers; default: its default, "
                             "two on a machine with two cores)")
    args = parser.parse_args()
    folder = args.data or Path(tempfile.gettempdir()) / \
        f"yhteistuumin-bench-ingest-{args.questionnaires}-{args.rows}"
    if args.phase:
        if args.phase == "baseline":
            result = phase_baseline(folder)
        elif args.phase == "setup":
            result = phase_setup(args.ready)
        else:
            result = phase_ingest(folder, args.ready, args.workers, args.again)
        result.setdefault("rusage_mb", tree_peak_mb())
        print(json.dumps(result))
        return
    started = time.perf_counter()
    generate(folder, questionnaires=args.questionnaires, rows=args.rows)
    files = _files(folder)
    size = sum(p.stat().st_size for p in files) / 1e6
    print(f"input: {len(files)} files, {size:.1f} MB in {folder} "
          f"(generated/checked in {time.perf_counter() - started:.1f} s)")
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at the start")
    ready = Path(tempfile.mkdtemp(prefix="bench-ingest-ready-"))
    _child("setup", folder, ready=ready)
    bases, ours = [], []
    for number in range(args.rounds):
        bases.append(_child("baseline", folder))
        ours.append(_child("ingest", folder, args.workers, again=number == 0, ready=ready))
        print(f"round {number + 1}: pandas + calamine {bases[-1]['seconds']:6.2f} s "
              f"(cpu {bases[-1]['cpu']:5.2f} s) {bases[-1]['tree_mb']:5.0f} MB | ingest "
              f"{ours[-1]['seconds']:6.2f} s (cpu {ours[-1]['cpu']:5.2f} s) "
              f"{ours[-1]['tree_mb']:5.0f} MB (RSS summed {ours[-1]['sampled_mb']:.0f}, "
              f"getrusage {ours[-1]['rusage_mb']:.0f}"
              + (f", PSS summed {ours[-1]['pss_mb']:.0f}" if ours[-1]["pss_mb"] else "")
              + f"; {ours[-1]['processes']} process(es)); load {os.getloadavg()[0]:.2f}",
              flush=True)
    base_s = spread([b["seconds"] for b in bases])
    our_s = spread([o["seconds"] for o in ours])
    base_cpu = spread([b["cpu"] for b in bases])
    our_cpu = spread([o["cpu"] for o in ours])
    base_mb = max(b["tree_mb"] for b in bases)
    our_mb = max(o["tree_mb"] for o in ours)
    ratio = our_s["median"] / base_s["median"]
    print(f"baseline (pandas + calamine, read only): min {base_s['min']:6.2f} s  median "
          f"{base_s['median']:6.2f} s  tree peak {base_mb:.0f} MB ({int(bases[0]['cells'])} cells)")
    print(f"ingest (read, normalise, resolve, store): min {our_s['min']:6.2f} s  median "
          f"{our_s['median']:6.2f} s  tree peak {our_mb:.0f} MB  {ours[0]['counts']}")
    print(f"cpu seconds (this process and its workers): baseline median {base_cpu['median']:.2f}, "
          f"ingest median {our_cpu['median']:.2f}: ratio "
          f"{our_cpu['median'] / base_cpu['median']:.2f}")
    print(f"re-ingest of the same input: {ours[0]['again']:.2f} s  {ours[0]['again_counts']}")
    print(f"ratio ingest / baseline (median): {ratio:.2f} (target <= 2.0); "
          f"memory {our_mb / base_mb:.2f} (target <= 2.0)")
    speedup = ours[0]["seconds"] / ours[0]["again"]
    print(f"re-ingest speed-up: {speedup:.1f}x (target >= 10)")
    emit("ingest", "time ingest / pandas+calamine (median)", ratio=ratio, target=2.0,
         ours=our_s, baseline=base_s)
    emit("ingest", "cpu ingest / pandas+calamine (median)",
         ratio=our_cpu["median"] / base_cpu["median"], target=2.0, ours=our_cpu,
         baseline=base_cpu)
    emit("ingest", "memory ingest / pandas+calamine (tree)", ratio=our_mb / base_mb, target=2.0,
         ours_mb=our_mb, baseline_mb=base_mb)
    emit("ingest", "re-ingest speed-up", ratio=speedup, target=10.0, better="higher")
    shutil.rmtree(ready, ignore_errors=True)
    if os.environ.get("BENCH_STRICT") and (ratio > 2.0 or speedup < 10):
        sys.exit(1)


if __name__ == "__main__":
    main()
