// Search and filters of the knowledge bank. The page carries one page of cards and a plain
// pager, so that it loads light at any size and every card is reached without JavaScript. A
// search or a filter loads cards.json (every card's list entry, kept gzipped) once, and the
// Pagefind bundle built with the site for full-text search. The bundle holds one index per
// language, each with its own word rules (Finnish cards stemmed as Finnish, Swedish as
// Swedish); both interfaces search both, each index through its own Pagefind instance, so that
// a query is stemmed with the rules of the index it is looked up in, and the results are
// merged by score here. Opened from disk, where neither can load, the filters and a plain text
// match work over the cards of the page and a note says so. A classic script (not a module),
// so that it runs from disk too; Pagefind is loaded with a dynamic import().
{  // a block: the names below stay out of the page's global scope
  const form = document.getElementById("finder");
  const list = document.getElementById("cards");
  const count = document.getElementById("count");

  if (form && list) {
    const pageCards = Array.from(list.querySelectorAll(":scope > li"));
    const query = form.querySelector("#q");
    const selects = Array.from(form.querySelectorAll("select[data-facet]"));
    const base = new URL(form.dataset.root || ".", document.baseURI);
    const empty = document.getElementById("empty");
    const pager = document.getElementById("pager");
    const more = document.getElementById("more");
    const total = Number(form.dataset.total || pageCards.length);
    const pageLang = document.documentElement.lang;
    const STEP = Number(form.dataset.pageSize || 48);
    let catalogue = null;
    let generation = 0;
    let shown = [];
    let rendered = 0;

    const fold = (text) => text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
    // A query's words, folded, without the quotes or other marks around them: '"kirjasto"'
    // is the word kirjasto (Pagefind reads the quotes as a phrase), and the checks below
    // compare words, not marks.
    const wordsOf = (term) => fold(term).split(/[^\p{L}\p{N}]+/u).filter(Boolean);

    const say = (n) => {
      const template = n === 1 ? form.dataset.countOne : form.dataset.countMany;
      count.textContent = template.replace("{n}", String(n));
      if (empty) empty.hidden = n !== 0;
    };

    // The language switch takes the search and the filters along: their values are the same
    // in both languages (vocabulary ids, codes), and the other list shows the same cards.
    const switchLink = document.querySelector("body > header a[hreflang]");
    const switchHref = switchLink ? switchLink.getAttribute("href").split("?")[0] : "";
    const carry = () => {
      if (switchLink) switchLink.setAttribute("href", switchHref + location.search);
    };

    // The search and the filters live in the address (?q=…&keyword=…), so that a result can
    // be shared, reloaded and reached again with the back button from a card.
    const remember = () => {
      const params = new URLSearchParams();
      if (query.value.trim()) params.set("q", query.value.trim());
      for (const select of selects) if (select.value) params.set(select.dataset.facet, select.value);
      const search = params.toString();
      const wanted = search ? `?${search}` : location.pathname.split("/").pop() || "./";
      // replaceState: a card opened from the result and the back button lead to this result.
      if ((search ? `?${search}` : "") !== location.search) history.replaceState(null, "", wanted);
      carry();
    };

    const restore = () => {
      const params = new URLSearchParams(location.search);
      query.value = params.get("q") || "";
      for (const select of selects) {
        const value = params.get(select.dataset.facet) || "";
        // A shared address may name a place or a keyword that has no card any more: keep it
        // chosen, so the page says that nothing matches, instead of showing every card as
        // if they were its. (Without the options, which did not load, its count is unknown.)
        if (value && !Array.from(select.options).some((o) => o.value === value)) {
          select.add(new Option(select.options.length > 1 ? `${value} (0)` : value, value));
        }
        select.value = value;
      }
    };

    const chosen = () => {
      const filters = {};
      for (const select of selects) if (select.value) filters[select.dataset.facet] = select.value;
      return filters;
    };

    // cards.json has its head on the first line (the labels, the changed page ids, and every
    // entry's page id, in the order of the lines that follow) and one card's entry a line.
    // Its bytes are kept as they came, and an entry decoded and parsed when something needs
    // it: a search needs the cards it found. Decoding and parsing all 5,000 (2 MB) held this
    // thread for 20-200 ms on a cold page. A filter or the plain text match reads them all.
    const decoder = new TextDecoder();
    const catalogueOf = (bytes) => {
      const headEnd = bytes.indexOf(10);  // "\n"
      let data = null;
      try {
        data = JSON.parse(`${decoder.decode(bytes.subarray(0, headEnd))}]}`);
      } catch (error) {
        data = null;
      }
      const ids = data && Array.isArray(data.ids) ? data.ids : [];
      const ends = [];
      for (let at = headEnd; ends.length < ids.length && at >= 0;) {
        at = bytes.indexOf(10, at + 1);
        ends.push(at);
      }
      if (!data || !Array.isArray(data.ids) || ends.includes(-1)) {
        data = JSON.parse(decoder.decode(bytes));  // not one entry a line: read whole
        // An older copy (a browser's cache) had no ids in its head, each entry its own "pf".
        ids.splice(0, ids.length, ...(Array.isArray(data.ids) ? data.ids : data.cards.map((entry) => entry.pf)));
      }
      const byPf = new Map();  // page id -> its entries' numbers (an id can repeat)
      ids.forEach((pf, n) => {
        const same = byPf.get(pf);
        if (same) same.push(n);
        else byPf.set(pf, [n]);
      });
      const parsed = data.cards || [];
      const entryAt = (n) => {
        if (!parsed[n]) {
          const start = n ? ends[n - 1] + 1 : headEnd + 1;
          const end = bytes[ends[n] - 1] === 44 ? ends[n] - 1 : ends[n];  // "," between entries
          parsed[n] = JSON.parse(decoder.decode(bytes.subarray(start, end)));
        }
        return parsed[n];
      };
      let cards = null;
      let byUrl = null;
      delete data.cards;
      data.changed = new Set(data.changed || []);
      data.byPf = { has: (pf) => byPf.has(pf), get: (pf) => (byPf.get(pf) || []).map(entryAt) };
      Object.defineProperty(data, "cards", {
        get: () => cards || (cards = ids.map((pf, n) => entryAt(n))) });
      data.byUrl = { get: (u) => (byUrl || (byUrl = new Map(data.cards.map((e) => [e.u, e])))).get(u) };
      return data;
    };

    // The site keeps cards.json gzipped (a fifth of its bytes), as Pagefind keeps its files.
    // A server that sends it with Content-Encoding: gzip has the browser unpack it already:
    // gzip's first two bytes (1f 8b) tell which came. Without DecompressionStream (browsers
    // before 2023) the list does not load, and the page says the search is not available.
    const unpack = async (bytes) => {
      if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
      const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
      return new Uint8Array(await new Response(stream).arrayBuffer());
    };

    // Each is loaded once; a second caller waits for the same load (a promise, kept).
    // cards.json is fetched at once but read only once `after` settles: reading it holds this
    // thread, and Chromium starts a worker from this thread (Pagefind's would wait), and
    // Pagefind's answers come to it.
    let cataloguePromise = null;
    const loadCatalogue = (after) => cataloguePromise || (cataloguePromise = (async () => {
      try {
        if (location.protocol === "file:") throw new Error("from disk");
        const response = await fetch(new URL("cards.json.gz", base));
        if (!response.ok) throw new Error(String(response.status));
        const bytes = unpack(new Uint8Array(await response.arrayBuffer()));
        bytes.catch(() => null);  // its failure is met below (await), not reported meanwhile
        // At most a second: a Pagefind that never gets ready must not hold up the filters.
        if (after) {
          await Promise.race([after.catch(() => null), new Promise((done) => setTimeout(done, 1000))]);
        }
        catalogue = catalogueOf(await bytes);
      } catch (error) {
        catalogue = null;
      }
      return catalogue;
    })());

    // One Pagefind instance per language of the index. Pagefind loads the index (and the word
    // rules, in its WebAssembly) of the page's <html lang>, and a module keeps one WebAssembly
    // for every index it merges: so each other language gets a module of its own (the same
    // file under another address), told its language the way Pagefind reads it, from
    // <html lang> when it starts. Their results merge by score, as mergeIndex does.
    const modules = new Map();
    const importModule = (lang, first, bundle) => {
      const url = new URL(first ? "pagefind.js" : `pagefind.js?${lang}`, bundle).href;
      if (!modules.has(url)) modules.set(url, import(url));
      return modules.get(url);
    };
    // The script is always the full bundle's: the changes bundle carries no script of its own
    // (publish leaves it out), only the WebAssembly of a language the full index lacks, which
    // Pagefind loads from basePath.
    const startIndex = async (lang, first, bundle, script) => {
      const module = await importModule(lang, first, script);
      // The page language's instance runs in Pagefind's worker, the others on this thread:
      // starting a second worker cost a cold search more than their index does here (side
      // by side, on either site).
      await module.options({ basePath: bundle.pathname, baseUrl: base.pathname, noWorker: !first });
      const html = document.documentElement;
      const own = html.getAttribute("lang");
      html.setAttribute("lang", lang);
      try {
        module.init();  // reads <html lang> before its first await
      } finally {
        html.setAttribute("lang", own);
      }
      return module;
    };

    // Which languages, from which bundle: the full index's from the page, the changes
    // bundle's from its entry file (the list pages do not name them, so that they stay the
    // same from one small republish to the next). The full index's languages start at once,
    // while the entry file loads; the cards changed since the full index, in the changes
    // bundle of the same language, are merged into them once it has come.
    let planned;
    const plan = () => {
      if (planned !== undefined) return planned;
      planned = null;
      if (location.protocol === "file:") return planned;
      const byPage = (a, b) => (b === pageLang) - (a === pageLang);
      const full = (form.dataset.index || "").split(/\s+/).filter(Boolean).sort(byPage);
      const bundle = new URL("pagefind/", base);
      const changes = new URL("pagefind-changes/", base);
      const changed = fetch(new URL("pagefind-entry.json", changes), { cache: "no-cache" })
        .then((response) => (response.ok ? response.json() : {}))
        .then((entry) => Object.keys(entry.languages || {}), () => []);
      // A language only in the changes bundle (none of its cards in the full index yet) is
      // searched there.
      const only = changed.then((langs) => langs.filter((lang) => !full.includes(lang)).sort(byPage));
      const first = full.length ? Promise.resolve(full[0]) : only.then((langs) => langs[0]);
      const starts = new Map();
      const start = (lang) => {
        if (!starts.has(lang)) {
          starts.set(lang, first.then((one) => startIndex(
            lang, lang === one, full.includes(lang) ? bundle : changes, bundle)));
        }
        return starts.get(lang);
      };
      const opens = new Map();
      const open = (lang) => {
        if (!opens.has(lang)) {
          opens.set(lang, (async () => {
            const module = await start(lang);
            if (full.includes(lang) && (await changed).includes(lang)) {
              await module.mergeIndex(changes.pathname, { language: lang, baseUrl: base.pathname });
            }
            return module;
          })());
        }
        return opens.get(lang);
      };
      // Runs `run` for every language, each as soon as it can (the full index's at once).
      const every = (run) => Promise.all([Promise.all(full.map(run)),
                                          only.then((langs) => Promise.all(langs.map(run)))])
        .then(([known, later]) => [...known, ...later]);
      planned = { full, bundle, first, start, open, every };
      return planned;
    };

    // Every language's Pagefind ready (the changes merged): what the card list waits for
    // before it is read.
    const ready = () => {
      const indexes = plan();
      return indexes ? indexes.every(indexes.open) : Promise.resolve(null);
    };

    // The search in every language's index, each as soon as its own is ready (not after the
    // slowest has loaded); null where Pagefind cannot load or there is no index.
    const searchIndexes = (term) => {
      const indexes = plan();
      if (!indexes) return Promise.resolve(null);
      return indexes.every(async (lang) => {
        const engine = await indexes.open(lang);
        return ((await engine.search(term)) || { results: [] }).results;
      }).then((each) => (each.length ? each : null), () => null);
    };
    const loadPagefind = () => {
      const indexes = plan();
      return indexes ? indexes.every(indexes.open).catch(() => null) : Promise.resolve(null);
    };
    // The preload: the page language's index, loaded and ready (the others' modules are only
    // fetched: their WebAssembly and index wait for a sign of searching).
    const preloadFirst = () => {
      const indexes = plan();
      if (!indexes) return null;
      for (const lang of indexes.full.slice(1)) importModule(lang, false, indexes.bundle).catch(() => null);
      return indexes.first.then((lang) => lang && indexes.open(lang))
        .then((engine) => engine && engine.search("")).catch(() => null);
    };

    // When no word of an index starts with a query word, Pagefind matches the longest word
    // that the query word starts with: "i" or "på" of a Swedish card for "ikäihmiset" or
    // "pääkirjastoon", "25" for "2500". An index the query's words are not in would so add
    // every card with a short word to the result. Its best result tells: a result set whose
    // marked words share fewer than four first letters with every query word is left out
    // (all its pages matched through the same short word).
    const sharedStart = (a, b) => {
      let n = 0;
      while (n < a.length && n < b.length && a[n] === b[n]) n += 1;
      return n;
    };
    // The best result's own list entry tells first, without a request: its title,
    // municipalities, keywords and summary are on its page, so in the index, and one of their
    // words starting with a query word means the index had that word to match in full.
    const entryHasWord = (result, words, data) => {
      const entries = data.byPf.get(result.id) || [];
      if (entries.length !== 1) return false;
      const [entry] = entries;
      const own = fold([entry.t, entry.m, entry.k, entry.s].join(" ")).split(/[^\p{L}\p{N}]+/u);
      return own.some((mark) => words.some((word) => mark.startsWith(word)));
    };
    const matchesWords = async (results, words, data) => {
      if (!results.length) return false;
      if (entryHasWord(results[0], words, data)) return true;
      let excerpt = "";
      try {
        excerpt = (await results[0].data()).excerpt || "";
      } catch (error) {
        return true;  // no excerpt to tell by: keep them
      }
      const marked = Array.from(excerpt.matchAll(/<mark>(.*?)<\/mark>/g), (m) => fold(m[1]));
      return !marked.length || marked.some(
        (mark) => words.some((word) => sharedStart(mark, word) >= Math.min(4, word.length)));
    };

    // Each index on its own: the full one and the changes bundle merged into it. A result
    // the card list does not name is a changed card's old version in the full index: its
    // text is gone from the site, and it is left out first.
    const keepMatches = async (each, term, catalogue) => {
      const words = wordsOf(term);
      const changed = catalogue.changed;
      const found = await Promise.all(each.map(async (all) => {
        const results = all.filter((r) => catalogue.byPf.has(r.id));
        const parts = [results.filter((r) => !changed.has(r.id)), results.filter((r) => changed.has(r.id))];
        const kept = await Promise.all(parts.map(
          async (part) => ((await matchesWords(part, words, catalogue)) ? part : [])));
        return kept.flat();
      }));
      return found.flat().sort((a, b) => b.score - a.score);
    };

    // One list entry of cards.json as a card, built with the DOM (never from HTML text).
    const cardOf = (entry) => {
      const labels = catalogue.labels[entry.l] || catalogue.labels.fi;
      const item = document.createElement("li");
      if (entry.l !== pageLang) item.lang = entry.l;
      const title = document.createElement("h2");
      const link = document.createElement("a");
      link.href = new URL(`${entry.u}index.html`, base).href;
      link.textContent = entry.t;
      title.appendChild(link);
      item.appendChild(title);
      const facts = document.createElement("dl");
      for (const [key, value] of [["municipalities", entry.m], ["keywords", entry.k]]) {
        if (!value) continue;
        const term = document.createElement("dt");
        term.textContent = labels[key];
        const data = document.createElement("dd");
        data.textContent = value;
        facts.append(term, data);
      }
      if (facts.firstChild) item.appendChild(facts);
      if (entry.s) {
        const summary = document.createElement("p");
        summary.textContent = entry.s;
        item.appendChild(summary);
      }
      return item;
    };

    // An entry's facets are one string, " r:01 m:091 k:music t:children ", the facet's first
    // letter and the value: one string a card, not four lists, keeps reading cards.json quick.
    // A card of the page carries the same string (data-f).
    const fits = (facets, filters) => Object.entries(filters).every(
      ([facet, value]) => facets.includes(` ${facet[0]}:${value} `));
    const fitsEntry = (entry, filters) => fits(entry.f, filters);
    const fitsCard = (card, filters) => fits(card.dataset.f || "", filters);

    // The count beside each option is of the cards that fit the search and the other
    // filters' choices (the page carries the counts over every card): "Uusimaa (3)" beside a
    // list of a keyword's cards must not send the user to an empty list. An option keeps its
    // label and its count over every card in data-label / data-all.
    const relabel = (option, n) => {
      if (option.dataset.label === undefined) {
        const match = /^(.*) \((\d+)\)$/.exec(option.textContent);
        option.dataset.label = match ? match[1] : option.textContent;
        option.dataset.all = option.textContent;
      }
      option.textContent = n === null ? option.dataset.all : `${option.dataset.label} (${n})`;
    };
    const recount = (facetLists, filters) => {
      for (const select of selects) {
        const facet = select.dataset.facet;
        const others = { ...filters };
        delete others[facet];
        const prefix = `${facet[0]}:`;
        const tally = new Map();
        for (const facets of facetLists) {
          if (!fits(facets, others)) continue;
          for (const token of facets.split(" ")) {
            if (token.startsWith(prefix)) {
              const value = token.slice(prefix.length);
              tally.set(value, (tally.get(value) || 0) + 1);
            }
          }
        }
        for (const option of select.options) if (option.value) relabel(option, tally.get(option.value) || 0);
      }
    };
    const countsOfAll = () => {
      for (const select of selects) {
        for (const option of select.options) if (option.value && option.dataset.all !== undefined) relabel(option, null);
      }
    };

    const showMore = () => {
      const next = shown.slice(rendered, rendered + STEP);
      list.append(...next.map(cardOf));
      rendered += next.length;
      if (more) more.hidden = rendered >= shown.length;
    };

    const showEntries = (entries) => {
      shown = entries;
      rendered = 0;
      list.replaceChildren();
      showMore();
      if (pager) pager.hidden = true;
      say(entries.length);
    };

    const showPage = (cards) => {
      list.replaceChildren(...cards);
      if (more) more.hidden = true;
    };

    async function entriesOf(results) {
      const found = new Set();  // a page in both bundles (changed, then changed back) once
      for (const result of results) {
        const candidates = catalogue.byPf.get(result.id) || [];
        if (candidates.length === 1) found.add(candidates[0]);
        else if (candidates.length > 1) {  // ids are short hashes: the URL tells them apart
          const path = new URL((await result.data()).url, location.href).pathname;
          const name = path.replace(/index\.html$/, "").split("/").filter(Boolean).pop();
          const entry = name ? catalogue.byUrl.get(`${name}/`) : undefined;
          if (entry) found.add(entry);
        }
      }
      return [...found];
    }

    let timer = 0;  // the typing's pending update
    async function update(record = true) {
      // This update reads every field: one still waiting from typing would only start the
      // list again (and drop the cards "more" showed meanwhile).
      clearTimeout(timer);
      if (record) remember();
      const run = ++generation;
      const filters = chosen();
      const term = query.value.trim();
      if (!term && !Object.keys(filters).length) {
        showPage(pageCards);
        if (pager) pager.hidden = false;
        say(total);
        countsOfAll();
        return;
      }
      // The index's search runs side by side with the loading of the card list, which is
      // read once every language's Pagefind is ready.
      const searching = term ? searchIndexes(term) : Promise.resolve(null);
      const data = await loadCatalogue(term ? ready() : null);
      if (run !== generation) return;
      if (!data && location.protocol !== "file:") {
        // Served, but the card list did not load (a network fault): say so and leave this
        // page's cards as they are, never "0" as if nothing matched.
        showPage(pageCards);
        count.textContent = form.dataset.searchError;
        if (empty) empty.hidden = true;
        return;
      }
      if (!data) {  // from disk: the cards of this page
        const words = wordsOf(term);
        const matching = pageCards.filter(
          (card) => words.every((word) => fold(card.textContent).includes(word)));
        const fitting = matching.filter((card) => fitsCard(card, filters));
        showPage(fitting);
        say(fitting.length);
        recount(matching.map((card) => card.dataset.f || ""), filters);
        return;
      }
      let matching = null;  // the cards the search finds, before the filters
      if (term) {
        const each = await searching;
        if (run !== generation) return;
        if (each) {  // only the cards found are read from the card list
          const results = await keepMatches(each, term, data);
          if (run !== generation) return;
          matching = await entriesOf(results);
          if (run !== generation) return;
        } else {
          const words = wordsOf(term);
          matching = data.cards.filter((entry) => words.every(
            (word) => fold([entry.t, entry.m, entry.k, entry.s].join(" ")).includes(word)));
        }
      } else {
        matching = data.cards;
      }
      showEntries(matching.filter((entry) => fitsEntry(entry, filters)));  // in the order of relevance
      recount(matching.map((entry) => entry.f), filters);
    }

    query.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(update, 250); });
    for (const select of selects) select.addEventListener("change", () => update());
    form.addEventListener("submit", (event) => { event.preventDefault(); update(); });
    form.addEventListener("reset", () => setTimeout(() => update(), 0));
    // The focus goes to the first card the button added: the last batch hides the button,
    // and a keyboard user would be sent back to the top of the page.
    if (more) {
      more.addEventListener("click", () => {
        const first = rendered;
        showMore();
        const link = list.children[first] && list.children[first].querySelector("a");
        if (link) link.focus();
      });
    }
    // Whoever reaches for the search box is about to search: load the card list and the index
    // then, while they type, not after the first word.
    const preload = () => { loadPagefind(); loadCatalogue(ready()); };
    query.addEventListener("focus", preload, { once: true });
    query.addEventListener("pointerenter", preload, { once: true });
    // Pagefind's script, WebAssembly and index summary of the page's language (about 150 KB)
    // load as soon as the search form shows (a search sent at once finds them on their way,
    // not yet to start), and the other language's script (45 KB, so that it starts at once
    // on a search), so that the page and its preload stay within 300 KB (about 270 KB at
    // 5,000 cards); the other language's WebAssembly and index (75 KB) and the card list
    // (cards.json, larger) wait for a sign of searching.
    if (location.protocol === "file:") {
      const note = document.getElementById("from-disk");
      if (note) note.hidden = false;
    }
    window.addEventListener("popstate", () => { restore(); update(false); carry(); });
    // The first page carries the filters' options; the others fill theirs from filters.json
    // (one file for every page, kept by the browser) before the form shows.
    const fillOptions = async () => {
      if (!form.dataset.filters) return;
      if (location.protocol === "file:") {  // filters.json cannot load: no empty filters shown
        for (const select of selects) select.closest(".field").hidden = true;
        return;
      }
      try {
        const response = await fetch(new URL(form.dataset.filters, document.baseURI));
        if (!response.ok) return;
        const options = await response.json();
        for (const select of selects) {
          for (const [value, label, n] of options[select.dataset.facet] || []) {
            select.add(new Option(`${label} (${n})`, value));
          }
        }
        // An empty result's most common keywords, as the first page names them: the eight
        // with the most cards, ties in the options' (alphabetical) order.
        const common = empty && empty.querySelector("[data-common]");
        if (common && options.keyword) {
          const top = options.keyword.slice().sort((a, b) => b[2] - a[2]).slice(0, 8);
          top.forEach(([value, label], i) => {
            common.append(i ? ", " : " ");
            const link = document.createElement("a");
            link.href = `?keyword=${encodeURIComponent(value)}`;
            link.textContent = label;
            common.append(link);
          });
          common.hidden = false;
        }
      } catch (error) {
        // the search box still works; the filters stay at "all"
      }
    };
    fillOptions().then(() => {
      form.hidden = false;
      preloadFirst();
      if (location.search) { restore(); update(false); carry(); }
    });
  }
}
