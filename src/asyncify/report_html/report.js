/* asyncify's HTML report: builds the page from the embedded JSON (no network). */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var mig = data.migration, sum = data.summary, g = data.graph;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else if (key === "class") node.className = attrs[key];
      else node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }
  function pct(x) { return (Math.round(x * 1000) / 10) + "%"; }
  function codeLink(code) {
    var url = data.docs[code];
    return url ? el("a", { class: "code", href: url, title: "what " + code + " means" }, [code])
      : el("span", { class: "code" }, [code]);
  }

  // -- summary ------------------------------------------------------------------------
  document.getElementById("generated").textContent =
    sum.files + " files, " + mig.functions + " functions";
  var figures = [
    ["files", sum.files, "files"],
    ["changed", sum.changed, "files to rewrite"],
    ["functions", mig.functions, "functions"],
    ["reaching_blocking", mig.reaching_blocking, "reach blocking I/O"],
    ["async", mig.async, "become async"],
    ["kept_sync", mig.kept_sync, "kept synchronous"],
    ["coverage", mig.coverage, "coverage (async ÷ reaching)"],
    ["findings", sum.findings, "findings"]
  ];
  if (sum.errors) figures.push(["errors", sum.errors, "files or paths that could not be processed"]);
  var box = document.getElementById("figures");
  figures.forEach(function (f) {
    var shown = f[0] === "coverage" ? mig.coverage_percent + "%" : String(f[1]);
    box.appendChild(el("div", { class: "figure " + f[0].replace("_sync", ""), "data-figure": f[0] }, [
      el("span", { class: "value", "data-value": String(f[1]) }, [shown]),
      el("span", { class: "name" }, [f[2]])
    ]));
  });
  var bar = el("div", { class: "bar", title: "coverage " + mig.coverage_percent + "%" },
    [el("span", { style: "width:" + (mig.coverage * 100) + "%" })]);
  box.parentNode.insertBefore(bar, box.nextSibling);
  var byCode = Object.keys(mig.kept_sync_by_code);
  if (byCode.length) {
    var rows = byCode.map(function (code) {
      return el("tr", { "data-code": code }, [
        el("td", {}, [codeLink(code)]),
        el("td", { class: "num" }, [String(mig.kept_sync_by_code[code])])
      ]);
    });
    document.getElementById("kept-by-code").appendChild(el("table", { class: "list" }, [
      el("caption", { class: "note", text: "Functions kept synchronous, by the code of what keeps them" }),
      el("tr", {}, [el("th", { text: "code" }), el("th", { text: "functions" })])
    ].concat(rows)));
  }

  // -- blockers -----------------------------------------------------------------------
  var blockers = document.getElementById("blockers-body");
  if (!mig.blockers.length) {
    blockers.appendChild(el("p", { class: "empty", text: "Nothing keeps a function that reaches blocking I/O synchronous." }));
  } else {
    var top = mig.blockers[0].weight;
    var table = el("table", { class: "list", id: "blockers-table" }, [el("tr", {}, [
      el("th", { text: "#" }), el("th", { text: "keeps sync" }), el("th", { text: "code" }),
      el("th", { text: "where" }), el("th", { text: "what" })
    ])]);
    mig.blockers.forEach(function (b, i) {
      table.appendChild(el("tr", { "data-weight": String(b.weight), "data-code": b.code }, [
        el("td", { class: "num", text: String(i + 1) }),
        el("td", { class: "num" }, [
          el("span", { class: "weight-bar", style: "width:" + Math.max(4, 80 * b.weight / top) + "px" }),
          String(b.weight)
        ]),
        el("td", {}, [codeLink(b.code)]),
        el("td", { text: b.path + ":" + b.line }),
        el("td", {}, [b.message, el("details", { class: "kept-list" }, [
          el("summary", { text: b.functions.length + " function" + (b.functions.length === 1 ? "" : "s") + " kept synchronous" }),
          el("div", { class: "code", text: b.functions.join(", ") })
        ])])
      ]));
    });
    blockers.appendChild(table);
  }

  // -- progress (--baseline) ----------------------------------------------------------
  if (data.progress) {
    var p = data.progress, section = document.getElementById("progress");
    section.hidden = false;
    var body = document.getElementById("progress-body");
    var t = el("table", { class: "list", id: "progress-table" }, [
      el("tr", {}, [el("th", { text: "" }), el("th", { text: "baseline" }), el("th", { text: "now" })])
    ]);
    [["coverage", "coverage"], ["async", "become async"], ["reaching_blocking", "reach blocking I/O"],
     ["functions", "functions"]].forEach(function (f) {
      var then = p.then[f[0]], now = p.now[f[0]];
      var percent = { then: p.then.coverage_percent, now: p.now.coverage_percent };
      var show = function (x, when) {
        if (x === null || x === undefined) return "–";
        if (f[0] !== "coverage") return String(x);
        return typeof percent[when] === "number" ? percent[when] + "%" : pct(x);
      };
      var cls = then === null || then === undefined || now === then ? "" : now > then ? "up" : "down";
      t.appendChild(el("tr", { "data-figure": f[0] }, [el("td", { text: f[1] }),
        el("td", { class: "num", text: show(then, "then") }),
        el("td", { class: "num " + cls, text: show(now, "now") })]));
    });
    body.appendChild(t);
    if (p.blockers.length) {
      var bt = el("table", { class: "list" }, [el("tr", {}, [el("th", { text: "code" }), el("th", { text: "where" }),
        el("th", { text: "what" }), el("th", { text: "kept sync then" }), el("th", { text: "now" })])]);
      p.blockers.forEach(function (b) {
        var cls = b.now < b.then ? "up" : b.now > b.then ? "down" : "";
        bt.appendChild(el("tr", {}, [el("td", {}, [codeLink(b.code)]), el("td", { text: b.path + ":" + b.line }),
          el("td", { text: b.message }), el("td", { class: "num", text: String(b.then) }),
          el("td", { class: "num " + cls, text: b.now ? String(b.now) : "fixed" })]));
      });
      body.appendChild(bt);
    }
  }

  // -- call graph ---------------------------------------------------------------------
  var N = g.nodes, modules = g.modules;
  var members = modules.map(function () { return []; });
  var functionCount = 0;
  N.forEach(function (n, i) {
    if (n.status !== "api") { members[n.m].push(i); functionCount += 1; }
  });
  var expanded = new Set();
  if (functionCount <= data.collapseAbove || modules.length === 1) {
    modules.forEach(function (_, k) { expanded.add(k); });
  }
  var names = document.getElementById("function-names");
  var byLabel = {};
  N.forEach(function (n, i) {
    if (n.status === "api") return;
    byLabel[n.label] = i;
    if (i < 5000) names.appendChild(el("option", { value: n.label }));
  });

  function rep(i) {
    var n = N[i];
    return n.status === "api" || expanded.has(n.m) ? "n" + i : "m" + n.m;
  }
  function short(label) { var k = label.indexOf(":"); return k < 0 ? label : label.slice(k + 1); }
  function sizeOf(label) { return { w: Math.min(300, 14 + 7 * label.length), h: 22 }; }

  function elements() {
    var els = [];
    modules.forEach(function (name, k) {
      if (expanded.has(k)) {
        els.push({ group: "nodes", data: { id: "m" + k, label: name, full: name, kind: "module", k: k }, classes: "module open" });
        members[k].forEach(function (i) {
          var label = short(N[i].label), size = sizeOf(label);
          els.push({ group: "nodes", data: { id: "n" + i, parent: "m" + k, label: label, full: N[i].label, idx: i,
            w: size.w, h: size.h },
            classes: N[i].status });
        });
      } else {
        var count = { async: 0, kept: 0 };
        members[k].forEach(function (i) { if (count[N[i].status] !== undefined) count[N[i].status] += 1; });
        var label = name + "\n" + members[k].length + " fn · " + count.async + " async · " + count.kept + " kept";
        els.push({ group: "nodes", data: { id: "m" + k, label: label, full: name, kind: "module", k: k,
          w: Math.min(300, 16 + 6.2 * Math.max(name.length, 26)), h: 34 },
          classes: "module collapsed" + (count.kept ? " has-kept" : count.async ? " has-async" : "") });
      }
    });
    N.forEach(function (n, i) {
      if (n.status === "api") {
        var size = sizeOf(n.label);
        els.push({ group: "nodes", data: { id: "n" + i, label: n.label, full: n.label, idx: i, w: size.w, h: size.h },
          classes: "api" });
      }
    });
    var seen = new Set();
    g.edges.forEach(function (e) {
      var a = rep(e[0]), b = rep(e[1]), id = a + ">" + b;
      if (a === b || seen.has(id)) return;
      seen.add(id);
      els.push({ group: "edges", data: { id: id, source: a, target: b } });
    });
    return els;
  }

  var style = [
    { selector: "node", style: { label: "data(label)", "font-size": 11, "text-valign": "center", "text-halign": "center",
      "background-color": "#b8c0c8", shape: "round-rectangle", width: "data(w)", height: "data(h)", color: "#1d2330",
      "text-wrap": "wrap", "text-max-width": "300px" } },
    { selector: "node.async", style: { "background-color": "#2a9d8f", color: "#fff" } },
    { selector: "node.kept", style: { "background-color": "#e76f51", color: "#fff" } },
    { selector: "node.native", style: { "background-color": "#5b8def", color: "#fff" } },
    { selector: "node.api", style: { "background-color": "#f4a261", shape: "round-tag" } },
    { selector: "node.module", style: { "background-color": "#eef1f5", "border-width": 1, "border-color": "#c5ccd6",
      "font-weight": "bold", color: "#3a4250" } },
    { selector: "node.module.open", style: { "text-valign": "top", "text-halign": "center", "padding": "12px" } },
    { selector: "node.has-kept", style: { "border-color": "#e76f51", "border-width": 3 } },
    { selector: "node.has-async", style: { "border-color": "#2a9d8f", "border-width": 3 } },
    { selector: "edge", style: { width: 1, "line-color": "#b4bcc7", "target-arrow-color": "#b4bcc7",
      "target-arrow-shape": "triangle", "curve-style": "bezier", "arrow-scale": 0.8 } },
    { selector: ".faded", style: { opacity: 0.3 } },
    { selector: "node.chain", style: { "border-width": 3, "border-color": "#1d2330", opacity: 1 } },
    { selector: "edge.chain", style: { width: 3, "line-color": "#1d2330", "target-arrow-color": "#1d2330",
      opacity: 1, "z-index": 9 } }
  ];

  var container = document.getElementById("graph");
  var cy = cytoscape({ container: container, elements: elements(), style: style, wheelSensitivity: 0.4,
    minZoom: 0.05, maxZoom: 4, boxSelectionEnabled: false });
  var selected = null;

  // A layered layout of our own, computed in one pass (thousands of nodes in milliseconds):
  // each open module is a block of columns, callers on the left and the functions nearest
  // their blocking call on the right (a function's column is its distance to that call;
  // functions that reach none stand in the first column); blocks flow in rows; the
  // blocking calls form a last column on the right. Cytoscape draws it ("preset").
  var depthOf = N.map(function (n, i) { return n.status === "api" ? 0 : chainOf(i).length - 1; });
  var COLUMN_GAP = 36, ROW = 30, HEADER = 30, GAP = 50;
  function positions() {
    var at = {}, blocks = [];
    modules.forEach(function (_, k) {
      if (!expanded.has(k)) { blocks.push({ k: k, w: 280, h: 44, open: false }); return; }
      var columns = {};
      members[k].forEach(function (i) { (columns[depthOf[i]] = columns[depthOf[i]] || []).push(i); });
      var order = Object.keys(columns).map(Number).sort(function (a, b) {
        return (a === 0 ? -1 : b === 0 ? 1 : b - a);
      });
      var widths = order.map(function (d) {
        return Math.max.apply(null, columns[d].map(function (i) { return sizeOf(short(N[i].label)).w; }));
      });
      var rows = Math.max.apply(null, order.map(function (d) { return columns[d].length; }));
      var w = widths.reduce(function (a, b) { return a + b + COLUMN_GAP; }, 0);
      blocks.push({ k: k, w: w, h: HEADER + rows * ROW, open: true, order: order, columns: columns, widths: widths });
    });
    var area = blocks.reduce(function (a, b) { return a + (b.w + GAP) * (b.h + GAP); }, 0);
    var rowWidth = Math.max(900, Math.sqrt(area) * 1.6);
    var x = 0, y = 0, rowHeight = 0, right = 0;
    blocks.forEach(function (b) {
      if (x > 0 && x + b.w > rowWidth) { x = 0; y += rowHeight + GAP; rowHeight = 0; }
      if (!b.open) {
        at["m" + b.k] = { x: x + b.w / 2, y: y + b.h / 2 };
      } else {
        var cx = x;
        b.order.forEach(function (d, c) {
          b.columns[d].forEach(function (i, r) {
            at["n" + i] = { x: cx + b.widths[c] / 2, y: y + HEADER + r * ROW + ROW / 2 };
          });
          cx += b.widths[c] + COLUMN_GAP;
        });
      }
      x += b.w + GAP;
      right = Math.max(right, x);
      rowHeight = Math.max(rowHeight, b.h);
    });
    var apis = [];
    N.forEach(function (n, i) { if (n.status === "api") apis.push(i); });
    var step = Math.max(ROW * 1.5, (y + rowHeight) / Math.max(1, apis.length));
    apis.forEach(function (i, r) { at["n" + i] = { x: right + 60, y: r * step + ROW }; });
    return at;
  }
  function layout() {
    var at = positions();
    var run = cy.layout({ name: "preset", fit: true, padding: 20,
      positions: function (node) { return at[node.id()] || { x: 0, y: 0 }; } });
    run.one("layoutstop", function () {
      window.requestAnimationFrame(function () { document.body.setAttribute("data-ready", "1"); });
    });
    run.run();
  }
  function rebuild() {
    document.body.removeAttribute("data-ready");
    cy.elements().remove();
    cy.add(elements());
    layout();
    if (selected !== null) highlight(selected);
  }

  function chainOf(i) {
    var chain = [i], seen = new Set([i]), cur = N[i].via;
    while (cur !== null && cur !== undefined && !seen.has(cur)) {
      chain.push(cur); seen.add(cur); cur = N[cur].via;
    }
    return chain;
  }
  function highlight(i) {
    selected = i;
    cy.elements().removeClass("chain").addClass("faded");
    var list = document.getElementById("chain");
    list.textContent = "";
    function mark(j) {
      var node = cy.getElementById(rep(j));
      node.removeClass("faded").addClass("chain");
      node.ancestors().removeClass("faded");
      return node;
    }
    var why;
    if (N[i].status === "api") {  // a blocking call: the functions that make it
      var callers = g.edges.filter(function (e) { return e[1] === i; }).map(function (e) { return e[0]; });
      mark(i);
      callers.forEach(function (j) {
        mark(j);
        cy.getElementById(rep(j) + ">" + rep(i)).removeClass("faded").addClass("chain");
        list.appendChild(el("li", { class: N[j].status, "data-node": "n" + j, text: N[j].label }));
      });
      why = "a blocking call, made by " + callers.length + " function" + (callers.length === 1 ? "" : "s");
    } else {
      var chain = chainOf(i);
      chain.forEach(function (j, pos) {
        mark(j);
        if (pos > 0) cy.getElementById(rep(chain[pos - 1]) + ">" + rep(j)).removeClass("faded").addClass("chain");
        var text = N[j].status === "api" ? N[chain[pos - 1]].at : N[j].label;
        list.appendChild(el("li", { class: N[j].status, "data-node": "n" + j, text: text }));
      });
      why = N[i].code ? "kept synchronous (" + N[i].code + ")" : chain.length > 1 ? "" : "reaches no blocking call";
    }
    document.getElementById("chain-hint").textContent = N[i].label + (why ? ": " + why : "");
    document.getElementById("chain-panel").setAttribute("data-selected", N[i].label);
  }
  function clear() {
    selected = null;
    cy.elements().removeClass("chain faded");
    document.getElementById("chain").textContent = "";
    document.getElementById("chain-panel").removeAttribute("data-selected");
  }
  cy.on("tap", "node", function (event) {
    var d = event.target.data();
    if (d.kind === "module") {
      if (expanded.has(d.k)) expanded.delete(d.k); else expanded.add(d.k);
      rebuild();
    } else {
      highlight(d.idx);
    }
  });
  cy.on("tap", function (event) { if (event.target === cy) clear(); });
  document.getElementById("expand-all").addEventListener("click", function () {
    modules.forEach(function (_, k) { expanded.add(k); }); rebuild();
  });
  document.getElementById("collapse-all").addEventListener("click", function () {
    expanded.clear(); rebuild();
  });
  document.getElementById("fit").addEventListener("click", function () { cy.fit(undefined, 20); });
  document.getElementById("find").addEventListener("change", function (event) {
    var i = byLabel[event.target.value];
    if (i === undefined) return;
    if (!expanded.has(N[i].m)) { expanded.add(N[i].m); rebuild(); }
    highlight(i);
    cy.center(cy.getElementById("n" + i));
  });
  layout();
  window.asyncifyReport = { cy: cy, select: highlight, chainOf: chainOf, expanded: expanded };
})();
