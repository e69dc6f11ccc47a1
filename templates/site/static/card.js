// A card's facts link each name to the list filtered on it (Espoo -> index.html?municipality=049).
// The page writes each fact's filter values once, on its dd, in the order of the names shown
// (data-m municipalities, data-r regions, data-k keywords, data-t target groups): ten links a
// card were a sixth of a card page. Without JavaScript the names stay text: the list filters
// only with it, so a link would have led to the whole list. A classic script (deferred), so
// that it runs from disk too.
{
  const parameters = { m: "municipality", r: "region", k: "keyword", t: "target" };
  const script = document.currentScript;
  const root = new URL("../", script ? script.src : document.baseURI);
  const list = new URL(document.documentElement.lang === "sv" ? "sv/index.html" : "index.html", root);
  for (const fact of document.querySelectorAll("dl.facts > dd")) {
    for (const [key, parameter] of Object.entries(parameters)) {
      const values = fact.dataset[key];
      if (!values) continue;
      const codes = values.split(" ");
      const names = fact.textContent.split(", ");
      if (names.length !== codes.length) continue;  // publish writes such a fact as links
      fact.textContent = "";
      names.forEach((name, i) => {
        if (i) fact.append(", ");
        const link = document.createElement("a");
        const url = new URL(list);
        url.searchParams.set(parameter, codes[i]);
        link.href = url.href;
        link.textContent = name;
        fact.append(link);
      });
    }
  }
}
