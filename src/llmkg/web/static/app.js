/* llmkg web page: canned queries, a SPARQL editor, result tables and charts.
   Plain JS, no libraries, no requests to other hosts: everything comes from this server. */
(function () {
  "use strict";

  var cfgEl = document.getElementById("llmkg-config");
  var CFG = cfgEl ? JSON.parse(cfgEl.textContent) : {};
  var PREFIXES = CFG.prefixes || {};
  var BASE = CFG.base || "https://w3id.org/llmkg/resource/";
  var GRAPH_NS = "https://w3id.org/llmkg/graph/";
  var ONTO_NS = "https://w3id.org/llmkg/ontology#";
  var ONTO_IRI = "https://w3id.org/llmkg/ontology";
  var XSD = "http://www.w3.org/2001/XMLSchema#";
  var QUIET = ["date", "gYear", "gYearMonth", "boolean", "dateTime"];
  var NUMERIC = ["integer", "decimal", "double", "float", "long", "int", "short", "nonNegativeInteger", "positiveInteger"];

  function $(id) { return document.getElementById(id); }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) if (attrs[k] !== undefined && attrs[k] !== null) e.setAttribute(k, attrs[k]);
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  /* ---- IRIs ---------------------------------------------------------------------- */

  function shortIri(iri) {
    var best = null;
    for (var p in PREFIXES) {
      var ns = PREFIXES[p];
      if (iri.indexOf(ns) === 0 && (!best || ns.length > best[1].length)) best = [p, ns];
    }
    if (!best) return iri;
    var local = iri.slice(best[1].length);
    if (!local || /[\s<>"{}|^`\\#?]/.test(local)) return iri;
    return best[0] + ":" + local;
  }

  function localHref(iri) {
    if (iri.indexOf(BASE) === 0 && iri.length > BASE.length) return "/resource/" + encodePath(iri.slice(BASE.length));
    if (iri.indexOf(GRAPH_NS) === 0 && iri.length > GRAPH_NS.length) return "/graph/" + encodePath(iri.slice(GRAPH_NS.length));
    if (iri === ONTO_IRI) return "/ontology";
    if (iri.indexOf(ONTO_NS) === 0) return "/ontology#" + encodeURIComponent(iri.slice(ONTO_NS.length));
    return null;
  }
  function encodePath(s) { return s.split("/").map(function (x) { return encodeURIComponent(decodeSafe(x)); }).join("/"); }
  function decodeSafe(s) { try { return decodeURIComponent(s); } catch (e) { return s; } }

  function hrefFor(iri) {
    var l = localHref(iri);
    if (l) return l;
    if (/^https?:\/\//.test(iri)) return iri;
    return null;
  }

  function humanNumber(n) {
    var a = Math.abs(n);
    var units = [[1e12, "T"], [1e9, "B"], [1e6, "M"], [1e3, "k"]];
    for (var i = 0; i < units.length; i++) {
      if (a >= units[i][0]) {
        var v = n / units[i][0];
        return (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1).replace(/\.0$/, "") : v.toFixed(2).replace(/\.?0+$/, "")) + units[i][1];
      }
    }
    return String(n);
  }

  function isNumericTerm(t) {
    return t && t.type !== "uri" && t.datatype && t.datatype.indexOf(XSD) === 0 &&
      NUMERIC.indexOf(t.datatype.slice(XSD.length)) >= 0;
  }

  function cellFor(t) {
    var td = el("td");
    if (!t) return td;
    if (t.type === "uri") {
      var href = hrefFor(t.value);
      var a = href ? el("a", { href: href, title: t.value }, shortIri(t.value)) : el("span", { title: t.value }, shortIri(t.value));
      if (href && !localHref(t.value)) { a.className = "ext"; a.rel = "noopener noreferrer"; }
      td.appendChild(a);
    } else if (t.type === "bnode") {
      td.appendChild(el("span", { "class": "bnode" }, "_:" + t.value));
    } else if (t.type === "triple") {
      td.textContent = "<< " + [t.value.subject, t.value.predicate, t.value.object].map(function (x) { return x.value; }).join(" ") + " >>";
    } else {
      var n = isNumericTerm(t) ? Number(t.value) : NaN;
      if (isFinite(n) && Math.abs(n) >= 1e4) {
        // 175000000000 reads as 175B; the exact value on hover (and in every download)
        td.appendChild(document.createTextNode(humanNumber(n)));
        td.title = t.value;
      } else {
        td.appendChild(document.createTextNode(t.value));
      }
      if (isNumericTerm(t)) {
        td.className = "num";
      } else if (t["xml:lang"]) {
        td.appendChild(el("span", { "class": "muted" }, " @" + t["xml:lang"]));
      } else if (t.datatype && QUIET.indexOf(t.datatype.slice(XSD.length)) >= 0 && t.datatype.indexOf(XSD) === 0) {
        td.title = shortIri(t.datatype);
      } else if (t.datatype && t.datatype !== XSD + "string") {
        td.appendChild(el("span", { "class": "muted dt", title: t.datatype }, " " + shortIri(t.datatype)));
      }
    }
    return td;
  }

  /* ---- result tables --------------------------------------------------------------- */

  var PAGE_SIZES = [10, 50, 100, 500, 1000, 0];   // 0: all

  function sortKey(t) {
    if (!t) return [2, ""];
    if (isNumericTerm(t)) { var n = Number(t.value); if (isFinite(n)) return [0, n]; }
    var d = t.datatype && t.datatype.indexOf(XSD) === 0 ? t.datatype.slice(XSD.length) : "";
    if (d === "date" || d === "dateTime" || d === "gYear" || d === "gYearMonth") return [0, timeValue(t)];
    return [1, (t.type === "uri" ? shortIri(t.value) : t.value).toLowerCase()];
  }

  function cmp(a, b) {
    if (a[0] !== b[0]) return a[0] - b[0];
    return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
  }

  /* A result table: the rows of the current page only (10,000 rows stay quick), a filter
     box (every cell's text), a page size (10 ... 1000, all), columns sorted by a click on
     their header (numbers and dates by value; a second click reverses). */
  function renderResults(target, data, titles) {
    target.innerHTML = "";
    if (data.boolean !== undefined) {
      target.appendChild(el("p", { "class": "boolean" }, data.boolean ? "true" : "false"));
      return 1;
    }
    var vars = (data.head && data.head.vars) || [];
    var all = (data.results && data.results.bindings) || [];
    var state = { filter: "", size: all.length > 100 ? 100 : 0, page: 0, sortBy: null, desc: false };
    var rows = all;
    var text = null;   // the text of each row, for the filter (made on first use)

    var bar = el("div", { "class": "grid-bar" });
    var filter = el("input", { type: "search", "class": "grid-filter", placeholder: "Filter rows…", "aria-label": "Filter rows" });
    var size = el("select", { "class": "grid-size", "aria-label": "Rows per page" });
    PAGE_SIZES.forEach(function (n) {
      var o = el("option", { value: String(n) }, n ? n + " rows" : "all rows");
      if (n === state.size) o.selected = true;
      size.appendChild(o);
    });
    var prev = el("button", { type: "button", "class": "grid-prev" }, "‹");
    var next = el("button", { type: "button", "class": "grid-next" }, "›");
    var where = el("span", { "class": "grid-where" });
    [filter, size, prev, where, next].forEach(function (x) { bar.appendChild(x); });
    if (all.length > 10) target.appendChild(bar);

    var wrap = el("div", { "class": "results-wrap" });
    var table = el("table", { "class": "results" });
    var thead = el("thead"), htr = el("tr");
    vars.forEach(function (v) {
      var th = el("th", { title: "?" + v + " (click to sort)", "data-var": v }, (titles && titles[v]) || v);
      th.addEventListener("click", function () {
        if (state.sortBy === v) state.desc = !state.desc; else { state.sortBy = v; state.desc = false; }
        state.page = 0;
        apply();
      });
      htr.appendChild(th);
    });
    thead.appendChild(htr);
    table.appendChild(thead);
    var tbody = el("tbody");
    table.appendChild(tbody);
    wrap.appendChild(table);
    target.appendChild(wrap);

    function apply() {
      var f = state.filter.toLowerCase();
      rows = all;
      if (f) {
        if (!text) text = all.map(function (b) {
          return vars.map(function (v) { var t = b[v]; return t ? (t.type === "uri" ? t.value + " " + shortIri(t.value) : t.value) : ""; }).join("\t").toLowerCase();
        });
        rows = all.filter(function (_b, i) { return text[i].indexOf(f) >= 0; });
      }
      if (state.sortBy) {
        var v = state.sortBy, sign = state.desc ? -1 : 1;
        rows = rows.map(function (b, i) { return [sortKey(b[v]), i, b]; })
          .sort(function (a, b) { return sign * cmp(a[0], b[0]) || a[1] - b[1]; })
          .map(function (x) { return x[2]; });
      }
      Array.prototype.forEach.call(htr.children, function (th) {
        th.className = th.getAttribute("data-var") === state.sortBy ? (state.desc ? "sorted desc" : "sorted asc") : "";
      });
      draw();
    }

    function draw() {
      var n = rows.length, per = state.size || n || 1;
      var pages = Math.max(1, Math.ceil(n / per));
      if (state.page >= pages) state.page = pages - 1;
      var from = state.page * per, to = Math.min(n, from + per);
      tbody.textContent = "";
      var frag = document.createDocumentFragment();
      for (var i = from; i < to; i++) {
        var b = rows[i], r = el("tr");
        for (var j = 0; j < vars.length; j++) r.appendChild(cellFor(b[vars[j]]));
        frag.appendChild(r);
      }
      tbody.appendChild(frag);
      where.textContent = n ? (from + 1) + "–" + to + " of " + n + (n < all.length ? " (of " + all.length + ")" : "") : "no rows match";
      prev.disabled = state.page === 0;
      next.disabled = state.page >= pages - 1;
    }

    var timer = null;
    filter.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { state.filter = filter.value.trim(); state.page = 0; apply(); }, 80);
    });
    size.addEventListener("change", function () { state.size = Number(size.value); state.page = 0; draw(); });
    prev.addEventListener("click", function () { state.page--; draw(); });
    next.addEventListener("click", function () { state.page++; draw(); });
    draw();
    return all.length;
  }

  function statusLine(target, n, ms, truncated, maxRows, extra) {
    target.innerHTML = "";
    target.appendChild(document.createTextNode(n + (n === 1 ? " row" : " rows") + (ms !== null ? " · " + ms + " ms, table included" : "") + (extra || "")));
    if (truncated) {
      var note = el("p", { "class": "note trunc" }, "Only the first " + n + " rows are shown: this server returns at most " +
        maxRows + " rows per query. Add a LIMIT/OFFSET, or run the query locally with 'llmkg query'.");
      target.appendChild(note);
    }
  }

  function showError(target, msg) {
    target.innerHTML = "";
    target.appendChild(el("pre", { "class": "msg error" }, msg));
  }

  /* ---- charts (inline SVG) ----------------------------------------------------------- */

  var SVGNS = "http://www.w3.org/2000/svg";
  var COLORS = ["#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#4b5563"];
  function svg(tag, attrs, text) {
    var e = document.createElementNS(SVGNS, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function timeValue(t) {
    if (!t) return null;
    var m = /^(-?\d{4})(?:-(\d{2}))?(?:-(\d{2}))?/.exec(t.value);
    if (!m) return null;
    var dt = t.datatype || "";
    if (t.type === "uri") return null;
    if (dt && [XSD + "date", XSD + "dateTime", XSD + "gYear", XSD + "gYearMonth", XSD + "string"].indexOf(dt) < 0 && !isNumericTerm(t)) return null;
    if (isNumericTerm(t) && !/^\d{4}$/.test(t.value)) return null;
    return Date.UTC(+m[1], m[2] ? +m[2] - 1 : 0, m[3] ? +m[3] : 1);
  }

  function niceTicks(min, max, count) {
    if (min === max) { min -= 1; max += 1; }
    var span = max - min, step = Math.pow(10, Math.floor(Math.log10(span / count)));
    var err = count / span * step;
    if (err <= 0.15) step *= 10; else if (err <= 0.35) step *= 5; else if (err <= 0.75) step *= 2;
    var ticks = [];
    for (var v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push(+v.toPrecision(12));
    return ticks;
  }

  function drawChart(container, meta, data, titles) {
    container.innerHTML = "";
    var chart = meta.chart || {};
    var view = meta.view || "table";
    if (view === "table" || !data || !data.results) return false;
    var vars = data.head.vars;
    var xv = chart.x || vars[0], yv = chart.y || (view === "timeline" ? null : vars[1]), lv = chart.label, sv = chart.series;
    if (!xv) return false;
    if (!yv) return drawTimeline(container, meta, data, titles, xv, lv || vars.filter(function (v) { return v !== xv; })[0], sv);
    var logY = /-log$/.test(view);       // scatter-log, bar-log: the y axis on a log scale
    view = view.replace(/-log$/, "");
    var rows = data.results.bindings;
    var kind = "category";
    if (view !== "bar") {
      if (rows.some(function (b) { return b[xv]; }) && rows.every(function (b) { return !b[xv] || timeValue(b[xv]) !== null; })) kind = "time";
      else if (rows.every(function (b) { return !b[xv] || isFinite(Number(b[xv].value)); })) kind = "number";
    }
    var pts = [];
    rows.forEach(function (b) {
      if (!b[xv] || !b[yv]) return;
      var y = Number(b[yv].value);
      if (!isFinite(y) || (logY && y <= 0)) return;
      var x = kind === "time" ? timeValue(b[xv]) : kind === "number" ? Number(b[xv].value) : b[xv].value;
      if (logY && kind === "number" && x <= 0) return;
      var label = lv && b[lv] ? (b[lv].type === "uri" ? shortIri(b[lv].value) : b[lv].value) : "";
      var series = sv && b[sv] ? (b[sv].type === "uri" ? shortIri(b[sv].value) : b[sv].value) : "";
      pts.push({ x: x, y: y, label: label, series: series, xText: b[xv].type === "uri" ? shortIri(b[xv].value) : b[xv].value,
        href: lv && b[lv] && b[lv].type === "uri" ? hrefFor(b[lv].value) : null });
    });
    if (!pts.length) return false;

    var W = Math.max(520, Math.min(container.clientWidth || 900, 1100)), H = 380;
    var M = { l: 72, r: 24, t: 16, b: 52 };
    // many categories: their labels slanted, with room below, so that none overlaps or is cut
    var nCats = 0;
    if (kind === "category") { var seen = {}; pts.forEach(function (p) { if (!seen[p.x]) { seen[p.x] = 1; nCats++; } }); }
    var slant = kind === "category" && (W - M.l - M.r) / Math.max(1, nCats) < 90;
    if (slant) { M.b = 118; H = 446; }
    var iw = W - M.l - M.r, ih = H - M.t - M.b;
    var root = svg("svg", { viewBox: "0 0 " + W + " " + H, width: W, height: H, role: "img", "class": "chart-svg",
      "aria-label": (meta.title || "chart") + ": " + ((titles && titles[yv]) || yv) + " by " + ((titles && titles[xv]) || xv) });

    // y scale
    var ys = pts.map(function (p) { return p.y; });
    var ymin = Math.min.apply(null, ys), ymax = Math.max.apply(null, ys);
    var yScale, yTicks;
    if (logY) {
      var lo = Math.floor(Math.log10(ymin)), hi = Math.ceil(Math.log10(ymax));
      if (lo === hi) hi += 1;
      yScale = function (v) { return M.t + ih - (Math.log10(v) - lo) / (hi - lo) * ih; };
      yTicks = [];
      var stepE = Math.max(1, Math.ceil((hi - lo) / 8));
      for (var e = lo; e <= hi; e += stepE) yTicks.push(Math.pow(10, e));
    } else {
      if (view === "bar") ymin = Math.min(0, ymin);
      yTicks = niceTicks(ymin, ymax, 6);
      var y0 = Math.min(ymin, yTicks[0]), y1 = Math.max(ymax, yTicks[yTicks.length - 1]);
      if (y0 === y1) y1 = y0 + 1;
      yScale = function (v) { return M.t + ih - (v - y0) / (y1 - y0) * ih; };
    }
    // x scale
    var xScale, xTicks = [], xLabel, logX = false;
    if (kind === "category") {
      var cats = [];
      pts.forEach(function (p) { if (cats.indexOf(p.x) < 0) cats.push(p.x); });
      var band = iw / cats.length;
      xScale = function (v) { return M.l + (cats.indexOf(v) + 0.5) * band; };
      // every k-th label when the bands are narrower than a line of text
      var every = Math.max(1, Math.ceil(13 / band));
      xTicks = cats.filter(function (_c, i) { return i % every === 0; });
      var maxLen = slant ? 20 : 14;
      // too long: its start and its end (what tells "name 07" from "name 08")
      xLabel = function (v) {
        v = String(v);
        if (v.length <= maxLen) return v;
        var tail = Math.floor((maxLen - 1) / 2);
        return v.slice(0, maxLen - 1 - tail) + "…" + v.slice(v.length - tail);
      };
      pts.band = band;
    } else {
      var xs = pts.map(function (p) { return p.x; });
      var x0 = Math.min.apply(null, xs), x1 = Math.max.apply(null, xs);
      if (kind === "time") {
        var ya = new Date(x0).getUTCFullYear(), yb = new Date(x1).getUTCFullYear() + 1;
        x0 = Date.UTC(ya, 0, 1); x1 = Date.UTC(yb, 0, 1);
        var stepY = Math.max(1, Math.ceil((yb - ya) / 12));
        for (var yy = ya; yy <= yb; yy += stepY) xTicks.push(Date.UTC(yy, 0, 1));
        xLabel = function (v) { return String(new Date(v).getUTCFullYear()); };
      } else if (logY && x0 > 0 && x1 / x0 >= 1000) {
        var xlo = Math.floor(Math.log10(x0)), xhi = Math.ceil(Math.log10(x1));
        for (var xe = xlo; xe <= xhi; xe += Math.max(1, Math.ceil((xhi - xlo) / 10))) xTicks.push(Math.pow(10, xe));
        xLabel = humanNumber;
        logX = true;
        xScale = function (v) { return M.l + (Math.log10(v) - xlo) / (xhi - xlo) * iw; };
      } else {
        xTicks = niceTicks(x0, x1, 8);
        x0 = Math.min(x0, xTicks[0]); x1 = Math.max(x1, xTicks[xTicks.length - 1]);
        xLabel = function (v) { return Math.abs(v) >= 1e4 ? humanNumber(v) : String(v); };
      }
      if (!logX) {
        if (x0 === x1) { x1 = x0 + 1; }
        xScale = function (v) { return M.l + (v - x0) / (x1 - x0) * iw; };
      }
    }

    // grid and axes
    var g = svg("g", { "class": "axes" });
    yTicks.forEach(function (t) {
      var y = yScale(t);
      g.appendChild(svg("line", { x1: M.l, x2: M.l + iw, y1: y, y2: y, "class": "grid" }));
      g.appendChild(svg("text", { x: M.l - 8, y: y + 4, "text-anchor": "end", "class": "tick" }, humanNumber(t)));
    });
    xTicks.forEach(function (t) {
      var x = xScale(t);
      g.appendChild(svg("line", { x1: x, x2: x, y1: M.t + ih, y2: M.t + ih + 5, "class": "axis" }));
      var lab = slant
        ? svg("text", { x: x, y: M.t + ih + 14, "text-anchor": "end", "class": "tick x-tick",
                        transform: "rotate(-40 " + x + " " + (M.t + ih + 14) + ")" }, xLabel(t))
        : svg("text", { x: x, y: M.t + ih + 19, "text-anchor": "middle", "class": "tick x-tick" }, xLabel(t));
      lab.appendChild(svg("title", {}, kind === "category" ? String(t) : xLabel(t)));
      g.appendChild(lab);
    });
    g.appendChild(svg("line", { x1: M.l, x2: M.l + iw, y1: M.t + ih, y2: M.t + ih, "class": "axis" }));
    g.appendChild(svg("line", { x1: M.l, x2: M.l, y1: M.t, y2: M.t + ih, "class": "axis" }));
    g.appendChild(svg("text", { x: M.l + iw / 2, y: H - 8, "text-anchor": "middle", "class": "axis-title" }, ((titles && titles[xv]) || xv) + (logX ? " (log scale)" : "")));
    g.appendChild(svg("text", { x: 14, y: M.t + ih / 2, "text-anchor": "middle", "class": "axis-title",
      transform: "rotate(-90 14 " + (M.t + ih / 2) + ")" }, ((titles && titles[yv]) || yv) + (logY ? " (log scale)" : "")));
    root.appendChild(g);

    // series
    var seriesNames = [];
    pts.forEach(function (p) { if (seriesNames.indexOf(p.series) < 0) seriesNames.push(p.series); });
    function color(s) { return COLORS[seriesNames.indexOf(s) % COLORS.length]; }
    var marks = svg("g", { "class": "marks" });
    if (view === "line") {
      seriesNames.forEach(function (s) {
        var sp = pts.filter(function (p) { return p.series === s; }).sort(function (a, b) { return a.x - b.x; });
        marks.appendChild(svg("polyline", { points: sp.map(function (p) { return xScale(p.x) + "," + yScale(p.y); }).join(" "),
          fill: "none", stroke: color(s), "stroke-width": 2 }));
      });
    }
    var showLabels = pts.length <= 60 && lv;
    pts.forEach(function (p) {
      var x = xScale(p.x), y = yScale(p.y), mark;
      if (view === "bar") {
        var bw = Math.max(2, pts.band * 0.7 / Math.max(1, seriesNames.length));
        var off = (seriesNames.indexOf(p.series) - (seriesNames.length - 1) / 2) * bw;
        var base = yScale(logY ? Math.pow(10, Math.floor(Math.log10(ymin))) : Math.max(0, yTicks[0]));
        mark = svg("rect", { x: x + off - bw / 2, y: Math.min(y, base), width: bw, height: Math.abs(base - y), fill: color(p.series) });
      } else {
        mark = svg("circle", { cx: x, cy: y, r: 4.5, fill: color(p.series), "fill-opacity": 0.8, stroke: "#fff", "stroke-width": 1 });
      }
      mark.appendChild(svg("title", {}, (p.label ? p.label + " — " : "") + p.xText + ": " + p.y.toLocaleString("en") + " (" + humanNumber(p.y) + ")"));
      if (p.href) {
        var a = svg("a", { href: p.href });
        a.appendChild(mark);
        mark = a;
      }
      marks.appendChild(mark);
      if (showLabels && p.label && view !== "bar") {
        marks.appendChild(svg("text", { x: x + 7, y: y - 6, "class": "pt-label" }, p.label));
      }
    });
    root.appendChild(marks);

    if (seriesNames.length > 1 || (seriesNames.length === 1 && seriesNames[0])) {
      var lg = svg("g", { "class": "legend" });
      seriesNames.slice(0, 12).forEach(function (s, i) {
        var ly = M.t + 8 + i * 17;
        lg.appendChild(svg("rect", { x: M.l + iw - 150, y: ly - 9, width: 10, height: 10, fill: color(s) }));
        lg.appendChild(svg("text", { x: M.l + iw - 134, y: ly, "class": "tick" }, s || "(none)"));
      });
      root.appendChild(lg);
    }
    container.appendChild(root);
    return true;
  }

  /* ---- a chart for any result: table / bar / scatter / timeline, columns picked ----------- */

  function columnKinds(data) {
    var rows = data.results.bindings.slice(0, 500), out = {};
    data.head.vars.forEach(function (v) {
      var vals = rows.map(function (b) { return b[v]; }).filter(Boolean);
      var kind = "text";
      // whole numbers that all look like years are dates, not amounts
      if (vals.length && vals.every(function (t) { return isNumericTerm(t) && /^(1[89]|2[01])\d\d$/.test(t.value); })) kind = "time";
      else if (vals.length && vals.every(function (t) { return isNumericTerm(t); })) kind = "number";
      else if (vals.length && vals.every(function (t) { return t.type !== "uri" && timeValue(t) !== null && /^\d{4}/.test(t.value); })) kind = "time";
      else if (vals.length && vals.every(function (t) { return t.type === "uri"; })) kind = "iri";
      out[v] = kind;
    });
    return out;
  }

  /* The columns a view takes: y the first numeric column, x the first time column (scatter,
     timeline) or the first other one (bar), the label the first IRI or text column left. */
  function autoView(view, data) {
    var vars = data.head.vars, kinds = columnKinds(data);
    function first(pred, not) { return vars.filter(function (v) { return pred(kinds[v]) && (not || []).indexOf(v) < 0; })[0]; }
    var y = first(function (k) { return k === "number"; });
    var x, label;
    if (view === "timeline") {
      x = first(function (k) { return k === "time"; });
      label = first(function (k) { return k === "iri" || k === "text"; }, [x]);
      return x ? { view: "timeline", chart: { x: x, label: label } } : null;
    }
    if (!y) return null;
    if (view === "scatter") {
      x = first(function (k) { return k === "time"; }) || first(function (k) { return k === "number"; }, [y]);
    } else {
      x = first(function (k) { return k === "iri" || k === "text"; }) || first(function (k) { return k === "time"; });
    }
    if (!x) return null;
    label = first(function (k) { return k === "iri" || k === "text"; }, [x, y]);
    var ys = data.results.bindings.map(function (b) { return b[y] ? Number(b[y].value) : NaN; }).filter(function (n) { return n > 0; });
    var wide = ys.length && Math.max.apply(null, ys) / Math.min.apply(null, ys) >= 1000;   // orders of magnitude: a log axis
    return { view: wide && view !== "timeline" ? view + "-log" : view, chart: { x: x, y: y, label: label } };
  }

  var VIEWS = [["table", "Table"], ["bar", "Bar"], ["scatter", "Scatter"], ["timeline", "Timeline"]];

  function chartSwitcher(container, data, titles, meta) {
    container.innerHTML = "";
    if (!data || !data.results || !data.results.bindings.length) return;
    var bar = el("div", { "class": "view-switch", role: "group", "aria-label": "View" });
    var box = el("div", { "class": "chart-box" });
    container.appendChild(bar);
    container.appendChild(box);
    var start = meta && meta.view && meta.view !== "table" ? meta.view.replace("-log", "").replace("line", "scatter") : "table";
    function show(view) {
      Array.prototype.forEach.call(bar.children, function (b) { b.setAttribute("aria-pressed", String(b.getAttribute("data-view") === view)); });
      box.innerHTML = "";
      if (view === "table") return;
      var m = meta && meta.view && meta.view.indexOf(view) === 0 ? meta : autoView(view, data);
      if (!m || !drawChart(box, { view: m.view, chart: m.chart, title: meta && meta.title }, data, titles)) {
        box.appendChild(el("p", { "class": "muted" }, "This result has no columns for a " + view + " chart."));
      }
    }
    VIEWS.forEach(function (v) {
      var b = el("button", { type: "button", "class": "secondary", "data-view": v[0] }, v[1]);
      b.addEventListener("click", function () { show(v[0]); });
      bar.appendChild(b);
    });
    show(start);
  }

  function drawTimeline(container, meta, data, titles, xv, lv, sv) {
    var pts = [];
    data.results.bindings.forEach(function (b) {
      var x = timeValue(b[xv]);
      if (x === null) return;
      var label = lv && b[lv] ? (b[lv].type === "uri" ? shortIri(b[lv].value) : b[lv].value) : "";
      pts.push({ x: x, label: label, xText: b[xv].value, series: sv && b[sv] ? b[sv].value : "",
        href: lv && b[lv] && b[lv].type === "uri" ? hrefFor(b[lv].value) : null });
    });
    if (!pts.length) return false;
    pts.sort(function (a, b) { return a.x - b.x; });
    var W = Math.max(520, Math.min(container.clientWidth || 900, 1100));
    var M = { l: 24, r: 24, t: 12, b: 40 }, iw = W - M.l - M.r;
    var ya = new Date(pts[0].x).getUTCFullYear(), yb = new Date(pts[pts.length - 1].x).getUTCFullYear() + 1;
    var x0 = Date.UTC(ya, 0, 1), x1 = Date.UTC(yb, 0, 1);
    function xs(v) { return M.l + (v - x0) / (x1 - x0) * iw; }
    var lanes = [], laneH = 16;
    pts.forEach(function (p) {
      var px = xs(p.x), w = 6 + p.label.length * 6.2;
      for (var i = 0; ; i++) { if (lanes[i] === undefined || lanes[i] < px) { lanes[i] = px + w + 6; p.lane = i; break; } }
    });
    var nl = Math.min(lanes.length, 40);
    var H = M.t + nl * laneH + M.b;
    var root = svg("svg", { viewBox: "0 0 " + W + " " + H, width: W, height: H, role: "img", "class": "chart-svg",
      "aria-label": (meta.title || "timeline") });
    var seriesNames = [];
    pts.forEach(function (p) { if (seriesNames.indexOf(p.series) < 0) seriesNames.push(p.series); });
    var g = svg("g", { "class": "axes" });
    var stepY = Math.max(1, Math.ceil((yb - ya) / 12));
    for (var yy = ya; yy <= yb; yy += stepY) {
      var x = xs(Date.UTC(yy, 0, 1));
      g.appendChild(svg("line", { x1: x, x2: x, y1: M.t, y2: H - M.b, "class": "grid" }));
      g.appendChild(svg("text", { x: x, y: H - M.b + 18, "text-anchor": "middle", "class": "tick" }, String(yy)));
    }
    root.appendChild(g);
    pts.forEach(function (p) {
      if (p.lane >= nl) return;
      var y = M.t + p.lane * laneH + laneH / 2, x = xs(p.x);
      var grp = svg("g", {});
      var c = svg("circle", { cx: x, cy: y, r: 4, fill: COLORS[seriesNames.indexOf(p.series) % COLORS.length] });
      c.appendChild(svg("title", {}, p.label + " — " + p.xText));
      grp.appendChild(c);
      grp.appendChild(svg("text", { x: x + 7, y: y + 4, "class": "pt-label" }, p.label));
      if (p.href) { var a = svg("a", { href: p.href }); a.appendChild(grp); grp = a; }
      root.appendChild(grp);
    });
    container.appendChild(root);
    return true;
  }

  /* ---- fetching ---------------------------------------------------------------------- */

  function fetchJson(url, opts) {
    var t0 = performance.now();
    return fetch(url, opts).then(function (r) {
      var ms = Math.round(performance.now() - t0);
      var ctype = r.headers.get("Content-Type") || "";
      var info = { ms: ms, t0: t0, truncated: r.headers.get("X-LLMKG-Truncated") === "true", status: r.status, ctype: ctype };
      if (!r.ok) return r.text().then(function (t) { var e = new Error(t || (r.status + " " + r.statusText)); e.info = info; throw e; });
      if (ctype.indexOf("json") >= 0 && ctype.indexOf("ld+json") < 0) return r.json().then(function (d) { info.data = d; return info; });
      return r.text().then(function (t) { info.text = t; return info; });
    });
  }

  /* ---- the start page ------------------------------------------------------------------- */

  function byName(name) {
    return (CFG.queries || []).filter(function (q) { return q.name === name; })[0];
  }

  function paramsQuery(params) {
    var u = new URLSearchParams();
    Object.keys(params).forEach(function (k) { if (params[k] !== "" && params[k] !== undefined) u.append(k, params[k]); });
    var s = u.toString();
    return s ? "?" + s : "";
  }

  function initIndex() {
    var filter = $("q-filter"), list = $("canned-list");
    if (filter && list) {
      filter.addEventListener("input", function () {
        var words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
        var any = false;
        list.querySelectorAll("li").forEach(function (li) {
          var hay = li.getAttribute("data-search") || "";
          var ok = words.every(function (w) { return hay.indexOf(w) >= 0; });
          li.hidden = !ok;
          any = any || ok;
        });
        list.querySelectorAll("section.cat").forEach(function (sec) {
          sec.hidden = !Array.prototype.some.call(sec.querySelectorAll("li"), function (li) { return !li.hidden; });
        });
        $("no-match").hidden = any;
      });
      list.addEventListener("click", function (ev) {
        var a = ev.target.closest("a[data-canned]");
        if (!a || ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.button !== 0) return;
        ev.preventDefault();
        openCanned(a.getAttribute("data-canned"), {}, true);
      });
    }

    var form = $("sparql-form"), ta = $("sparql");
    if (ta && window.LlmkgEditor) {
      EDITOR = window.LlmkgEditor.create(ta, { prefixes: CFG.prefixes, terms: CFG.terms || [], search: true,
                                               shorten: shortIri, onRun: function () { runSparql(); } });
    }
    if (form) {
      form.addEventListener("submit", function (ev) { ev.preventDefault(); runSparql(); });
      ta.addEventListener("keydown", function (ev) {
        if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); runSparql(); }
      });
      ta.addEventListener("input", updateDownloads);
      updateDownloads();
      $("share").addEventListener("click", function () {
        var url = location.origin + "/?query=" + encodeURIComponent(ta.value);
        history.replaceState(null, "", url);
        copyText(url, $("share"));
      });
    }
    showRecent();
    // what the address says: on arrival, and when the back button returns to a query
    function openFromUrl() {
      var sp = new URLSearchParams(location.search);
      if (sp.get("query") !== null && ta) {
        setQuery(sp.get("query"));
        updateDownloads();
        runSparql(true);
      } else if (sp.get("canned")) {
        var params = {};
        sp.forEach(function (v, k) { if (k !== "canned") params[k] = v; });
        openCanned(sp.get("canned"), params, false);
      }
    }
    window.addEventListener("popstate", openFromUrl);
    openFromUrl();
  }

  /* ---- the queries this browser ran (localStorage), newest first ---------------------------- */

  var HISTORY_KEY = "llmkg.history", HISTORY_MAX = 20;

  function recent() {
    try { return JSON.parse(localStorage.getItem(HISTORY_KEY) || "[]"); } catch (e) { return []; }
  }

  function remember(q) {
    var list = recent().filter(function (x) { return x !== q; });
    list.unshift(q);
    try { localStorage.setItem(HISTORY_KEY, JSON.stringify(list.slice(0, HISTORY_MAX))); } catch (e) { /* private mode */ }
    showRecent();
  }

  function showRecent() {
    var box = $("recent");
    if (!box) return;
    var list = recent();
    box.hidden = !list.length;
    var ol = box.querySelector("ol");
    ol.textContent = "";
    list.forEach(function (q) {
      var first = q.split("\n").filter(function (l) { return l.trim() && !/^\s*PREFIX\s/i.test(l); })[0] || q;
      var a = el("a", { href: "/?query=" + encodeURIComponent(q), title: q }, first.length > 70 ? first.slice(0, 70) + "…" : first);
      a.addEventListener("click", function (ev) {
        if (ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.button !== 0) return;
        ev.preventDefault();
        setQuery(q);
        updateDownloads();
        runSparql();
      });
      var li = el("li");
      li.appendChild(a);
      ol.appendChild(li);
    });
  }

  /* the editor (static/editor.js, CodeMirror) when it loaded, else the plain textarea */
  var EDITOR = null;

  function setQuery(text) {
    $("sparql").value = text;
    if (EDITOR) EDITOR.value = text;
  }

  function copyText(text, button) {
    function done(ok) {
      var old = button.textContent;
      button.textContent = ok ? "Link copied" : "Copy the address bar";
      setTimeout(function () { button.textContent = old; }, 1600);
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { done(true); }, function () { done(false); });
    } else {
      var t = el("textarea"); t.value = text; document.body.appendChild(t); t.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      document.body.removeChild(t);
      done(ok);
    }
  }

  function updateDownloads() {
    var q = $("sparql").value;
    $("dl-csv").href = "/sparql?" + new URLSearchParams({ query: q, format: "csv" }).toString();
    $("dl-json").href = "/sparql?" + new URLSearchParams({ query: q, format: "json" }).toString();
  }

  function runSparql(fromUrl) {
    var q = $("sparql").value;
    var status = $("status"), results = $("results"), chartBox = $("chart");
    chartBox.innerHTML = "";
    status.textContent = "Running…";
    results.setAttribute("aria-busy", "true");
    if (!fromUrl) {
      // a new entry per query run: the back button returns to the previous one
      var url = "/?query=" + encodeURIComponent(q);
      if (location.pathname + location.search !== url) history.pushState({ query: q }, "", url);
      remember(q);
    }
    $("canned-panel").hidden = true;
    $("sparql-form").hidden = false;
    var body = new URLSearchParams({ query: q });
    fetchJson("/sparql", { method: "POST", body: body,
      headers: { "Accept": "application/sparql-results+json, text/turtle;q=0.9" } })
      .then(function (info) {
        results.removeAttribute("aria-busy");
        if (info.data) {
          var n = renderResults(results, info.data, null);
          chartSwitcher(chartBox, info.data, null, null);
          statusLine(status, n, Math.round(performance.now() - info.t0), info.truncated, CFG.maxRows);
        } else {
          results.innerHTML = "";
          results.appendChild(el("pre", { "class": "graph" }, info.text));
          statusLine(status, (info.text.match(/ \.\s*$/gm) || []).length, info.ms, info.truncated, CFG.maxRows, " · Turtle");
        }
      })
      .catch(function (e) {
        results.removeAttribute("aria-busy"); status.textContent = ""; showError(results, e.message);
        if (EDITOR) EDITOR.markError(e.message);
      });
  }

  function openCanned(name, params, run) {
    var q = byName(name);
    var panel = $("canned-panel");
    if (!q || !panel) { location.href = "/queries/" + encodeURIComponent(name); return; }
    panel.hidden = false;
    panel.innerHTML = "";
    $("sparql-form").hidden = true;
    var back = el("button", { type: "button", "class": "secondary back" }, "SPARQL editor");
    back.addEventListener("click", function () {
      panel.hidden = true;
      $("sparql-form").hidden = false;
      history.replaceState(null, "", "/");
    });
    panel.appendChild(back);
    panel.appendChild(el("h2", null, q.title));
    panel.appendChild(el("p", { "class": "meta" }, q.category + (q.view !== "table" ? " · " + q.view : "")));
    (q.description || "").split("\n").forEach(function (par) { if (par.trim()) panel.appendChild(el("p", { "class": "desc" }, par)); });
    var form = el("form", { "class": "params", id: "canned-form" });
    q.params.forEach(function (p) {
      var lab = el("label", { "class": "param" });
      var head = el("span", null, p.name + " ");
      head.appendChild(el("span", { "class": "muted" }, p.type));
      lab.appendChild(head);
      var input = el("input", { name: p.name, placeholder: p.default !== null ? p.default : p.type });
      if (params[p.name] !== undefined) input.value = params[p.name];
      if (p.required) input.required = true;
      lab.appendChild(input);
      if (p.description) lab.appendChild(el("small", { "class": "muted" }, p.description));
      form.appendChild(lab);
    });
    var btn = el("button", { type: "submit", id: "canned-run" }, "Run");
    form.appendChild(btn);
    panel.appendChild(form);
    var links = el("div", { "class": "links" });
    panel.appendChild(links);
    function current() {
      var ps = {};
      form.querySelectorAll("input").forEach(function (i) { if (i.value !== "") ps[i.name] = i.value; });
      return ps;
    }
    function setLinks(ps) {
      links.innerHTML = "";
      var qs = paramsQuery(ps);
      [["Permalink", "/queries/" + name + qs, null], ["CSV", "/queries/" + name + ".csv" + qs, name + ".csv"],
       ["JSON", "/queries/" + name + ".json" + qs, name + ".json"], ["TSV", "/queries/" + name + ".tsv" + qs, name + ".tsv"]]
        .forEach(function (l, i) {
          if (i) links.appendChild(document.createTextNode(" · "));
          var a = el("a", { href: l[1] }, l[0]);
          if (l[2]) { a.setAttribute("download", l[2]); a.className = "dl-" + l[0].toLowerCase(); }
          links.appendChild(a);
        });
      links.appendChild(document.createTextNode(" · "));
      var edit = el("a", { href: "#" }, "Edit the SPARQL");
      edit.addEventListener("click", function (ev) {
        ev.preventDefault();
        loadText(name);
      });
      links.appendChild(edit);
    }
    function go() {
      var ps = current();
      setLinks(ps);
      var qs = paramsQuery(ps);
      history.replaceState(null, "", "/?canned=" + encodeURIComponent(name) + (qs ? "&" + qs.slice(1) : ""));
      var status = $("status"), results = $("results"), chartBox = $("chart");
      status.textContent = "Running…";
      chartBox.innerHTML = "";
      fetchJson("/queries/" + name + ".json" + qs, { headers: { "Accept": "application/sparql-results+json" } })
        .then(function (info) {
          var n = renderResults(results, info.data, q.columns);
          statusLine(status, n, Math.round(performance.now() - info.t0), info.truncated, CFG.maxRows);
          chartSwitcher(chartBox, info.data, q.columns, q);
        })
        .catch(function (e) { status.textContent = ""; chartBox.innerHTML = ""; showError(results, e.message); });
    }
    form.addEventListener("submit", function (ev) { ev.preventDefault(); go(); });
    setLinks(params);
    panel.scrollIntoView({ block: "nearest" });
    if (run !== false || Object.keys(params).length || !q.params.some(function (p) { return p.required; })) go();
  }

  function loadText(name) {
    fetch("/queries/" + name + ".rq").then(function (r) { return r.ok ? r.text() : null; }).then(function (text) {
      if (text === null) return;
      setQuery(text);
      $("canned-panel").hidden = true;
      $("sparql-form").hidden = false;
      updateDownloads();
      if (EDITOR) EDITOR.focus(); else $("sparql").focus();
      $("sparql").scrollIntoView({ block: "nearest" });
    });
  }

  /* ---- entity search, as you type (GET /search) --------------------------------------------- */

  function initSearch() {
    var input = $("search"), list = $("search-hits");
    if (!input || !list) return;
    var timer = null, seq = 0, active = -1;
    function close() { list.hidden = true; list.textContent = ""; active = -1; }
    function show(hits) {
      list.textContent = "";
      active = -1;
      hits.forEach(function (h) {
        var a = el("a", { href: h.href || h.iri });
        a.appendChild(el("span", { "class": "kind" }, h.kind));
        a.appendChild(document.createTextNode(h.label));
        if (h.matched !== h.label) a.appendChild(el("span", { "class": "alias" }, "also: " + h.matched));
        var li = el("li", { role: "option" });
        li.appendChild(a);
        list.appendChild(li);
      });
      if (!hits.length) list.appendChild(el("li", { "class": "none" }, "nothing found"));
      list.hidden = false;
    }
    function move(d) {
      var items = list.querySelectorAll("li[role=option]");
      if (!items.length) return;
      if (active >= 0) items[active].classList.remove("on");
      active = (active + d + items.length) % items.length;
      items[active].classList.add("on");
    }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var q = input.value.trim();
      if (!q) { close(); return; }
      timer = setTimeout(function () {
        var mine = ++seq;
        fetchJson("/search?limit=10&q=" + encodeURIComponent(q), { headers: { Accept: "application/json" } })
          .then(function (info) { if (mine === seq) show(info.data.hits); }).catch(close);
      }, 120);
    });
    input.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown") { move(1); e.preventDefault(); }
      else if (e.key === "ArrowUp") { move(-1); e.preventDefault(); }
      else if (e.key === "Escape") { close(); }
      else if (e.key === "Enter") {
        var items = list.querySelectorAll("li[role=option] a");
        var pick = items[active >= 0 ? active : 0];
        if (pick) { window.location.href = pick.getAttribute("href"); e.preventDefault(); }
      }
    });
    document.addEventListener("click", function (e) { if (!list.contains(e.target) && e.target !== input) close(); });
  }

  /* ---- a canned query's own page ---------------------------------------------------------- */

  function initCannedPage() {
    var data = document.getElementById("llmkg-result");
    var box = document.getElementById("chart");
    if (!data || !box || !CFG.canned) return;
    chartSwitcher(box, JSON.parse(data.textContent), CFG.canned.columns, CFG.canned);
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (document.getElementById("sparql-form") && document.getElementById("canned-panel")) initIndex();
    initCannedPage();
    initSearch();
  });

  window.llmkg = { drawChart: drawChart, renderResults: renderResults, shortIri: shortIri, setQuery: setQuery };
})();
