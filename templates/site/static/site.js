// Search and filters of the knowledge bank. Without JavaScript every card shows and the
// controls stay hidden. Full-text search uses the Pagefind index built with the site (one
// bundle per shard of practices, merged here); opened from disk, where Pagefind cannot load,
// a plain text match over the cards stands in and a note says so. A classic script (not a
// module), so that it runs from disk too; Pagefind is loaded with a dynamic import().
{  // a block: the names below stay out of the page's global scope
  const form = document.getElementById("finder");
  const list = document.getElementById("cards");
  const count = document.getElementById("count");

  if (form && list) {
    const cards = Array.from(list.querySelectorAll(":scope > li.card"));
    const byUrl = new Map(cards.map((card) => [card.dataset.url, card]));
    const query = form.querySelector("#q");
    const selects = Array.from(form.querySelectorAll("select[data-facet]"));
    const base = new URL(form.dataset.root || ".", document.baseURI);
    const empty = document.getElementById("empty");
    let pagefind = null;
    let pagefindState = "unloaded";
    let generation = 0;

    const fold = (text) => text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();

    const say = (n) => {
      const template = n === 1 ? form.dataset.countOne : form.dataset.countMany;
      count.textContent = template.replace("{n}", String(n));
      if (empty) empty.hidden = n !== 0;
    };

    // The search and the filters live in the address (?q=…&keyword=…), so that a result can
    // be shared, reloaded and reached again with the back button.
    const remember = () => {
      const params = new URLSearchParams();
      if (query.value.trim()) params.set("q", query.value.trim());
      for (const select of selects) if (select.value) params.set(select.dataset.facet, select.value);
      const search = params.toString();
      const wanted = search ? `?${search}` : location.pathname.split("/").pop() || "./";
      // replaceState: a card opened from the result and the back button lead to this result.
      if ((search ? `?${search}` : "") !== location.search) history.replaceState(null, "", wanted);
    };

    const restore = () => {
      const params = new URLSearchParams(location.search);
      query.value = params.get("q") || "";
      for (const select of selects) {
        const value = params.get(select.dataset.facet) || "";
        select.value = Array.from(select.options).some((o) => o.value === value) ? value : "";
      }
    };

    const chosen = () => {
      const filters = {};
      for (const select of selects) if (select.value) filters[select.dataset.facet] = select.value;
      return filters;
    };

    const fits = (card, filters) => Object.entries(filters).every(
      ([facet, value]) => (card.dataset[facet] || "").split(" ").includes(value));

    const show = (ordered) => {
      const visible = new Set(ordered);
      for (const card of cards) card.hidden = !visible.has(card);
      for (const card of ordered) list.appendChild(card);
    };

    const restoreOrder = () => {
      for (const card of cards) list.appendChild(card);
    };

    async function loadPagefind() {
      if (pagefindState !== "unloaded") return pagefind;
      pagefindState = "loading";
      const shards = (form.dataset.shards || "").split(/\s+/).filter(Boolean);
      try {
        if (!shards.length || location.protocol === "file:") throw new Error("no index");
        const first = new URL(`pagefind/${shards[0]}/`, base);
        const module = await import(new URL("pagefind.js", first).href);
        await module.options({ basePath: first.pathname, baseUrl: base.pathname });
        for (const shard of shards.slice(1)) {
          await module.mergeIndex(new URL(`pagefind/${shard}/`, base).pathname, { baseUrl: base.pathname });
        }
        await module.init();
        pagefind = module;
        pagefindState = "ready";
      } catch (error) {
        pagefindState = "failed";
      }
      return pagefind;
    }

    // Cards by their page id in the search index. Ids are short hashes: should two pages of
    // different shards share one, the result's own data (its URL) tells them apart.
    const byId = new Map();
    for (const card of cards) {
      const id = card.dataset.pf;
      if (id) byId.set(id, [...(byId.get(id) || []), card]);
    }

    const cardOfUrl = (url) => {
      const path = new URL(url, location.href).pathname.replace(/index\.html$/, "");
      const name = path.split("/").filter(Boolean).pop();
      return name ? byUrl.get(`${name}/`) : undefined;
    };

    async function cardsOf(results) {
      const found = [];
      for (const result of results) {
        const candidates = byId.get(result.id) || [];
        if (candidates.length === 1) found.push(candidates[0]);
        else if (candidates.length > 1) {
          const card = cardOfUrl((await result.data()).url);
          if (card) found.push(card);
        }
      }
      return found;
    }

    async function update(record = true) {
      if (record) remember();
      const run = ++generation;
      const filters = chosen();
      const term = query.value.trim();
      if (!term) {
        restoreOrder();
        const fitting = cards.filter((card) => fits(card, filters));
        show(fitting);
        say(fitting.length);
        return;
      }
      const engine = await loadPagefind();
      if (run !== generation) return;
      if (!engine) {
        const words = fold(term).split(/\s+/).filter(Boolean);
        const fitting = cards.filter((card) => fits(card, filters)
          && words.every((word) => fold(card.textContent).includes(word)));
        restoreOrder();
        show(fitting);
        say(fitting.length);
        return;
      }
      const search = await engine.search(term);
      if (run !== generation || !search) return;
      const found = (await cardsOf(search.results)).filter((card) => fits(card, filters));
      if (run !== generation) return;
      show(found);  // in the order of relevance
      say(found.length);
    }

    let timer = 0;
    query.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(update, 250); });
    for (const select of selects) select.addEventListener("change", () => update());
    form.addEventListener("submit", (event) => { event.preventDefault(); update(); });
    form.addEventListener("reset", () => setTimeout(() => update(), 0));
    if (location.protocol === "file:") {
      const note = document.getElementById("from-disk");
      if (note) note.hidden = false;
    }
    window.addEventListener("popstate", () => { restore(); update(false); });
    form.hidden = false;
    if (location.search) { restore(); update(false); }
  }
}
