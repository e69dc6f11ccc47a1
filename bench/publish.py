"""Benchmark `publish`: 5,000 approved practices, a full publish, then a republish after one change.

Prints both times, their ratio (target: the republish takes at most 10% of the full time,
because it rewrites only what changed), the site's total size
and the index page's size. Run: ``.venv/bin/python bench/publish.py [N]``.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path

WORDS = ("kulttuuri kunta yhteistyö lapset nuoret kirjasto musiikki teatteri tanssi taide museo "
         "vertaistuki asukas alue työ tapaaminen kestävä kehitys hanke verkosto ikääntyneet "
         "perheet lukupiiri näyttely konsertti työpaja koulu päiväkoti vapaaehtoiset kylä "
         "yhdistys seurakunta liikunta luonto kotiseutu perinne sirkus elokuva sanataide").split()
TARGETS = ("children", "young_people", "older_people", "families", "all_residents",
           "municipal_staff", "immigrants", "people_with_disabilities")


def text(rng: random.Random, words: int) -> str:
    sentences = []
    while words > 0:
        n = min(words, rng.randint(6, 14))
        sentence = " ".join(rng.choice(WORDS) for _ in range(n))
        sentences.append(sentence.capitalize() + ".")
        words -= n
    return " ".join(sentences)


def create_practices(engine, count: int) -> None:
    """Insert ``count`` approved practices with versions and municipalities in bulk."""
    from sqlalchemy import insert, select

    from yhteistuumin_survey.db.models import (
        Municipality,
        Practice,
        PracticeMunicipality,
        PracticeVersion,
        utcnow,
    )

    rng = random.Random(2026)
    now = utcnow()
    with engine.begin() as connection:
        codes = [row[0] for row in connection.execute(
            select(Municipality.code).where(Municipality.active.is_(True)))]  # type: ignore[attr-defined]
        connection.execute(insert(Practice), [
            {"id": i, "status": "approved", "current_version": 1, "language": "fi",
             "created_at": now, "updated_at": now} for i in range(1, count + 1)])
        connection.execute(insert(PracticeVersion), [{
            "practice_id": i, "version": 1, "title": f"{text(rng, 4)[:-1]} {i}",
            "keywords": rng.sample(WORDS, 4), "target_group": rng.sample(TARGETS, 2),
            "goal": text(rng, 30), "summary": text(rng, 80), "implementation": text(rng, 150),
            "resources": text(rng, 50), "experiences": text(rng, 100), "benefits": text(rng, 50),
            "contact_name": "Testi Henkilö", "contact_email": f"testi{i}@example.fi",
            "contact_phone": "040 123 4567", "publish_consent": i % 2 == 0, "language": "fi",
            "flags": [], "created_at": now} for i in range(1, count + 1)])
        rows = []
        for i in range(1, count + 1):
            for code in rng.sample(codes, rng.choice((1, 1, 1, 2, 3))):
                rows.append({"practice_id": i, "municipality_code": code, "source": "token"})
        connection.execute(insert(PracticeMunicipality), rows)


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def search_time(site: Path) -> None:
    """Serve the site, open the index in Debian's Chromium, search, time the first results.

    Skipped (with a line saying so) where Chromium or Playwright is missing.
    """
    import functools
    import http.server
    import threading

    if not Path("/usr/bin/chromium").exists():
        print("first search:   skipped (no /usr/bin/chromium)")
        return
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("first search:   skipped (no playwright)")
        return

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            page = browser.new_page()
            index = f"http://127.0.0.1:{server.server_address[1]}/index.html"
            page.goto(index)
            page.wait_for_selector("#finder:not([hidden])")
            # From the search to its cards painted (the typing debounce is the page's own wait):
            # cold, with nothing loaded yet; then as a user meets it, the search box focused
            # first (which loads the card list and the index) and the query typed after.
            timing = """async (term) => {
              const count = document.getElementById('count');
              const before = count.textContent;
              const started = performance.now();
              const q = document.getElementById('q');
              q.value = term;
              q.form.dispatchEvent(new Event('submit', {cancelable: true}));
              while (count.textContent === before) await new Promise(r => requestAnimationFrame(r));
              await new Promise(r => requestAnimationFrame(r));
              return performance.now() - started;
            }"""
            cold = page.evaluate(timing, "Korjattu otsikko")
            page.goto(index)  # not reload(): the address now holds the search, which would run
            page.wait_for_selector("#finder:not([hidden])")
            page.focus("#q")
            page.wait_for_timeout(3000)  # a person reads the page and types a word meanwhile
            elapsed = page.evaluate(timing, "Korjattu otsikko")
            found = page.inner_text("#count")
            browser.close()
        print(f"first search:   {elapsed / 1000:7.2f} s  ({found}; target <= 0.5 s: "
              f"{'met' if elapsed <= 500 else 'MISSED'}); cold, before anything loaded: "
              f"{cold / 1000:.2f} s")
    finally:
        server.shutdown()
        server.server_close()


def main() -> int:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    from yhteistuumin_survey.config import load_settings
    from yhteistuumin_survey.db.engine import open_database, session_scope
    from yhteistuumin_survey.db.models import Practice
    from yhteistuumin_survey.publish import publish_site
    from yhteistuumin_survey.register import ensure_register
    from yhteistuumin_survey.workspace import Workspace, init_workspace

    with tempfile.TemporaryDirectory(prefix="bench-publish-") as tmp:
        workspace = Workspace(init_workspace(Path(tmp) / "ws").root)
        engine = open_database(f"sqlite:///{workspace.outputs / 'bench.sqlite'}")
        ensure_register(engine, workspace=workspace)
        settings = load_settings(workspace.root, env={})
        started = time.perf_counter()
        create_practices(engine, count)
        print(f"created {count} approved practices in {time.perf_counter() - started:.1f} s")

        started = time.perf_counter()
        with session_scope(engine) as session:
            full = publish_site(workspace, session=session, settings=settings)
        full_time = time.perf_counter() - started

        with session_scope(engine) as session:
            practice = session.get(Practice, count // 2)
            assert practice is not None
            practice.corrected_title = "Korjattu otsikko: kuntien välinen yhteistyö"
            session.add(practice)

        started = time.perf_counter()
        with session_scope(engine) as session:
            again = publish_site(workspace, session=session, settings=settings)
        re_time = time.perf_counter() - started

        site = full.out
        print(f"full publish:   {full_time:7.2f} s  ({full.practices} practices, "
              f"{len(full.written)} files written, search index in {', '.join(full.languages)})")
        print(f"republish:      {re_time:7.2f} s  ({len(again.written)} written, "
              f"{len(again.removed)} removed, search index "
              f"{'rebuilt' if again.indexed else 'unchanged'})")
        ratio = re_time / full_time
        from _report import emit  # bench/ is this script's folder

        emit("publish", "republish / full publish", ratio=ratio, target=0.10)
        print(f"ratio:          {ratio:7.1%}  (target <= 10%: {'met' if ratio <= 0.10 else 'MISSED'})")
        print(f"site size:      {folder_size(site) / 1e6:7.1f} MB "
              f"(search index {folder_size(site / 'pagefind') / 1e6:.1f} MB)")
        first_load = sum((site / name).stat().st_size for name in (
            "index.html", "static/site.css", "static/site.js", "static/favicon.svg"))
        print(f"index page:     {(site / 'index.html').stat().st_size / 1e6:7.2f} MB "
              f"(first load with its CSS, script and icon: {first_load / 1e3:.0f} KB; "
              f"target <= 300 KB: {'met' if first_load <= 300_000 else 'MISSED'})")
        search_time(site)
        engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
