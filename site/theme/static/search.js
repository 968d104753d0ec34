// The search page: asks the Pagefind index written at build time and lists
// what it finds. Loaded on the search page only. Without JavaScript, or when
// the site was built without an index, the page's list of all pages remains.
(function () {
  "use strict";
  var form = document.querySelector("[data-search]");
  var box = document.getElementById("search-results");
  if (!form || !box) return;
  var input = form.elements.q;
  var engine = null;
  var asked = 0;

  function say(text) {
    box.textContent = "";
    var p = document.createElement("p");
    p.textContent = text;
    box.appendChild(p);
  }

  function load() {
    // The index lives beside the site; its own code decides which language
    // to read from the page's lang attribute.
    engine = engine || import("/pagefind/pagefind.js").then(function (pf) {
      return Promise.resolve(pf.options({ excerptLength: 24 })).then(function () { return pf; });
    });
    return engine;
  }

  function show(results) {
    box.textContent = "";
    var heading = document.createElement("p");
    heading.textContent = results.length
      ? box.getAttribute("data-found").replace("{n}", results.length)
      : box.getAttribute("data-none");
    box.appendChild(heading);
    if (!results.length) return;
    var list = document.createElement("ol");
    list.className = "results";
    results.forEach(function (r) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = r.url;
      a.textContent = (r.meta && r.meta.title) || r.url;
      var p = document.createElement("p");
      // Pagefind escapes the page text and adds only <mark> around matches.
      p.innerHTML = r.excerpt;
      li.appendChild(a);
      li.appendChild(p);
      list.appendChild(li);
    });
    box.appendChild(list);
  }

  function run(query) {
    var ticket = ++asked;
    if (!query) { box.textContent = ""; return; }
    say(box.getAttribute("data-searching"));
    load()
      .then(function (pf) { return pf.search(query); })
      .then(function (found) {
        return Promise.all(found.results.slice(0, 20).map(function (r) { return r.data(); }));
      })
      .then(function (results) { if (ticket === asked) show(results); })
      .catch(function () { if (ticket === asked) say(box.getAttribute("data-unavailable")); });
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var q = input.value.trim();
    history.replaceState(null, "", q ? "?q=" + encodeURIComponent(q) : location.pathname);
    run(q);
  });

  // The header's search box sends visitors here with ?q=.
  var start = new URLSearchParams(location.search).get("q");
  if (start) { input.value = start; run(start.trim()); }
})();
