// handoff report: search across every session, in the page (no server, no request outside the
// folder). `index.html?q=WORDS` opens with the hits shown. The data are <script> files in
// search/ (Chromium blocks fetch() of local files under file://); each calls handoffSearch.add.
// Everything shown is set with textContent: a log is untrusted text.
(function () {
  "use strict";
  var entries = [];
  window.handoffSearch = { add: function (rows) { entries.push.apply(entries, rows); } };

  function terms(q) {
    return q.toLowerCase().split(/\s+/).filter(function (t) { return t.length > 0; }).slice(0, 12);
  }

  function count(hay, needle, cap) {
    var n = 0, at = hay.indexOf(needle);
    while (at !== -1 && n < cap) { n++; at = hay.indexOf(needle, at + needle.length); }
    return n;
  }

  // Every word must occur; a word in the title weighs 10, in the summary 4, in the body 1 a time
  // (at most 5): a log *about* the words ranks above one that merely mentions them.
  function score(e, words) {
    var total = 0;
    for (var i = 0; i < words.length; i++) {
      var w = words[i];
      var s = (e.t.indexOf(w) !== -1 ? 10 : 0) + (e.s.indexOf(w) !== -1 ? 4 : 0) + count(e.b, w, 5)
        + (e.i.indexOf(w) !== -1 ? 10 : 0);
      if (s === 0) return 0;
      total += s;
    }
    return total;
  }

  function snippet(text, word) {
    var at = text.toLowerCase().indexOf(word);
    if (at === -1) return text.slice(0, 160);
    var start = Math.max(0, at - 60);
    return (start > 0 ? "\u2026" : "") + text.slice(start, at + 100) + "\u2026";
  }

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (cls) node.className = cls;
    return node;
  }

  function show(box, q) {
    var words = terms(q);
    var hits = [];
    for (var i = 0; i < entries.length; i++) {
      var r = entries[i];
      var e = { i: r[1].toLowerCase(), t: r[2].toLowerCase(), s: r[3].toLowerCase(), b: r[7].toLowerCase() };
      var sc = score(e, words);
      if (sc > 0) hits.push({ score: sc, row: r });
    }
    hits.sort(function (a, b) {
      return b.score - a.score || (a.row[5] < b.row[5] ? 1 : a.row[5] > b.row[5] ? -1 : 0);
    });
    var heading = box.querySelector("h2");
    heading.textContent = hits.length + (hits.length === 1 ? " session matches " : " sessions match ") + "\u201c" + q + "\u201d";
    var list = box.querySelector("ol");
    var root = box.getAttribute("data-root") || "";
    hits.slice(0, 100).forEach(function (h) {
      var r = h.row;
      var li = el("li");
      li.setAttribute("data-log-id", r[1]);
      var a = el("a", r[1]);
      a.href = root + "sessions/" + r[0];
      li.appendChild(a);
      li.appendChild(el("span", " " + r[2], "title"));
      li.appendChild(el("span", " \u00b7 " + (r[4] || "?") + " \u00b7 " + (r[5] || ""), "muted"));
      var body = r[3] + " " + r[7];
      li.appendChild(el("div", snippet(body, words[0]), "muted"));
      list.appendChild(li);
    });
    if (hits.length > 100) box.appendChild(el("p", "Showing the first 100.", "muted"));
    box.hidden = false;
  }

  var box = document.getElementById("search-results");
  if (!box) return;
  var q = new URLSearchParams(window.location.search).get("q");
  var input = document.querySelector("header input[name=q]");
  if (input && q) input.value = q;
  if (!q || !terms(q).length) return;
  var shards = (box.getAttribute("data-shards") || "").split(" ").filter(Boolean);
  var pending = shards.length;
  box.hidden = false;
  box.querySelector("h2").textContent = "Searching\u2026";
  if (!pending) { show(box, q); return; }
  shards.forEach(function (src) {
    var s = document.createElement("script");
    s.src = src;
    s.onload = s.onerror = function () { if (--pending === 0) show(box, q); };
    document.body.appendChild(s);
  });
})();
