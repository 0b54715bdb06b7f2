/*
 * coursepack preview shell: sidebar navigation, the unit frame, the LMS panel, live reload and
 * the error overlay. Everything from the course reaches the page through textContent (or as
 * server-escaped HTML for the sidebar), never as markup built here.
 *
 * Live reload: the server sends one "change" event per reload ({generation, units, outline,
 * errors}); the frame reloads when its unit changed, at the same scroll position. Before a
 * frame loads a unit, it first unloads the previous page (about:blank), so that page's
 * Terminate reaches the learner record it belongs to; then lms.js installs the unit's API.
 * window.cpPreview exposes the state for tests and the benchmark.
 */
(function () {
  "use strict";
  var initial = JSON.parse(document.getElementById("pv-state").textContent);
  var frame = document.getElementById("pv-frame");
  var versionSelect = document.getElementById("pv-version");
  var version = versionSelect.value;
  var current = null;
  var preview = window.cpPreview = { generation: initial.generation, loads: 0, events: [], current: null };

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }

  function unitIds() {
    return Array.prototype.map.call(document.querySelectorAll("#pv-sidebar a[data-unit]"), function (a) {
      return a.getAttribute("data-unit");
    });
  }

  function parseHash() {
    var h = decodeURIComponent(location.hash.replace(/^#/, ""));
    if (h.indexOf("unit=") === 0) return { kind: "unit", id: h.slice(5) };
    if (h === "overview") return { kind: "overview" };
    var ids = unitIds();
    return ids.length ? { kind: "unit", id: ids[0] } : { kind: "overview" };
  }

  function frameScroll() {
    try { return frame.contentWindow.scrollY || 0; } catch (e) { return 0; }
  }

  /* Load `target` in the frame; keepScroll restores the current scroll position afterwards. */
  function show(target, options) {
    options = options || {};
    var scroll = options.keepScroll ? frameScroll() : 0;
    if (target.kind === "unit" && unitIds().indexOf(target.id) < 0) target = { kind: "overview" };
    var src = target.kind === "unit"
      ? (version === "2004" ? "/scorm2004" : "/scorm12") + "/sco/" + encodeURIComponent(target.id) + ".html"
      : "/_preview/overview";
    current = target;
    preview.current = target;
    frame.onload = function () {
      frame.onload = function () {
        frame.onload = null;
        try { frame.contentWindow.scrollTo(0, scroll); } catch (e) { /* */ }
        preview.loads++;
        renderPanel();
      };
      if (options.reset) window.cpLms.reset();
      if (target.kind === "unit") window.cpLms.open(version, target.id, renderPanel);
      frame.src = src;
    };
    frame.src = "about:blank";
    highlight();
  }

  function highlight() {
    var ids = unitIds();
    Array.prototype.forEach.call(document.querySelectorAll("#pv-sidebar a"), function (a) {
      var on = current && ((current.kind === "unit" && a.getAttribute("data-unit") === current.id) ||
        (current.kind === "overview" && a.getAttribute("data-page") === "overview"));
      if (on) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
    });
    var at = current && current.kind === "unit" ? ids.indexOf(current.id) : -1;
    document.getElementById("pv-prev").disabled = at < 0;
    document.getElementById("pv-next").disabled = at >= ids.length - 1;
  }

  function step(delta) {
    var ids = unitIds();
    var at = current && current.kind === "unit" ? ids.indexOf(current.id) : -1;
    var next = at + delta;
    if (next < 0 && delta < 0) { location.hash = "overview"; return; }
    if (next >= 0 && next < ids.length) location.hash = "unit=" + encodeURIComponent(ids[next]);
  }

  // ---------------------------------------------------------------- the LMS panel

  function frameData() {
    try {
      var node = frame.contentDocument.getElementById("cp-data");
      return node ? JSON.parse(node.textContent) : null;
    } catch (e) { return null; }
  }

  function fill(tbody, rows) {
    while (tbody.firstChild) tbody.removeChild(tbody.firstChild);
    rows.forEach(function (cells) {
      var tr = el("tr");
      cells.forEach(function (c) { tr.appendChild(el("td", c)); });
      tbody.appendChild(tr);
    });
  }

  function renderPanel() {
    document.getElementById("pv-lms-version").textContent = "SCORM " + version;
    var record = current && current.kind === "unit" ? window.cpLms.record(version, current.id) : null;
    var cmi = record ? record.cmi : {};
    var v = function (k) { return Object.prototype.hasOwnProperty.call(cmi, k) ? cmi[k] : "—"; };
    var data = frameData();
    var outcomeOf = {};
    (data && data.objectives || []).forEach(function (o) { outcomeOf[o.id] = o.o; });
    var problemOf = {};
    (data && data.problems || []).forEach(function (p) { problemOf[p.iid] = p.id; });
    var summary = version === "2004"
      ? [["Completion", v("cmi.completion_status")], ["Success", v("cmi.success_status")],
         ["Score (scaled)", v("cmi.score.scaled")], ["Score (raw)", v("cmi.score.raw")],
         ["Entry", v("cmi.entry")], ["Location", v("cmi.location")]]
      : [["Lesson status", v("cmi.core.lesson_status")], ["Score (raw)", v("cmi.core.score.raw")],
         ["Entry", v("cmi.core.entry")], ["Location", v("cmi.core.lesson_location")]];
    summary.push(["Sessions", record ? record.sessions : 0]);
    var dl = document.getElementById("pv-lms-summary");
    while (dl.firstChild) dl.removeChild(dl.firstChild);
    summary.forEach(function (pair) {
      dl.appendChild(el("dt", pair[0]));
      var dd = el("dd", pair[1]);
      dd.setAttribute("data-field", pair[0]);
      dl.appendChild(dd);
    });
    var objectives = [];
    for (var n = 0; cmi["cmi.objectives." + n + ".id"] !== undefined; n++) {
      var b = "cmi.objectives." + n + ".";
      var id = cmi[b + "id"];
      var status = version === "2004"
        ? [cmi[b + "success_status"], cmi[b + "completion_status"]].filter(Boolean).join(", ")
        : cmi[b + "status"] || "";
      objectives.push([outcomeOf[id] || id, status, cmi[b + "score.raw"] || ""]);
    }
    fill(document.querySelector("#pv-objectives tbody"), objectives);
    var interactions = [];
    for (var k = 0; cmi["cmi.interactions." + k + ".id"] !== undefined; k++) {
      var ib = "cmi.interactions." + k + ".";
      var iid = cmi[ib + "id"];
      interactions.push([problemOf[iid] || iid, cmi[ib + (version === "2004" ? "learner_response" : "student_response")] || "",
        cmi[ib + "result"] || ""]);
    }
    fill(document.querySelector("#pv-interactions tbody"), interactions);
    document.getElementById("pv-suspend").textContent = cmi["cmi.suspend_data"] || "";
    var errors = document.getElementById("pv-lms-errors");
    while (errors.firstChild) errors.removeChild(errors.firstChild);
    (record ? record.log : []).forEach(function (e) {
      /* Asking for a value not set yet (403 in 2004) is how a SCO probes; not a fault. */
      if (e.code === "0" || (e.code === "403" && /GetValue$/.test(e.call) && version === "2004")) return;
      var text = e.call + "(" + e.element + (e.value ? ", " + JSON.stringify(e.value) : "") + ") → " +
        e.code + " " + (window.cpLms.messages[e.code] || "");
      errors.appendChild(el("li", text));
    });
  }

  // ---------------------------------------------------------------- errors and live reload

  function showErrors(list) {
    var overlay = document.getElementById("pv-overlay");
    var ol = document.getElementById("pv-errors");
    while (ol.firstChild) ol.removeChild(ol.firstChild);
    list.forEach(function (d) {
      var li = el("li");
      li.appendChild(el("code", d.location, "pv-where"));
      li.appendChild(document.createTextNode(": " + d.message));
      if (d.hint) li.appendChild(el("p", d.hint, "pv-fix"));
      ol.appendChild(li);
    });
    overlay.hidden = list.length === 0;
  }

  function replaceOutline() {
    return fetch("/_preview/outline", { cache: "no-store" }).then(function (r) { return r.text(); }).then(function (html) {
      document.getElementById("pv-sidebar").innerHTML = html;   // server-rendered, autoescaped
      var nav = document.querySelector("#pv-sidebar nav[data-title]");
      if (nav) {
        document.querySelector(".pv-title").textContent = nav.getAttribute("data-title");
        document.title = nav.getAttribute("data-title") + " · coursepack preview";
      }
      highlight();
    });
  }

  function onChange(change) {
    preview.generation = change.generation;
    preview.events.push(change);
    showErrors(change.errors);
    if (change.errors.length) return;
    var reload = function () {
      if (current && (change.outline || (current.kind === "unit" && change.units.indexOf(current.id) >= 0) ||
          current.kind === "overview")) {
        show(current, { keepScroll: true });
      }
    };
    if (change.outline) replaceOutline().then(reload); else reload();
  }

  /* A link inside a unit page to another unit's page (sco/<id>.html) loads it in the frame
     directly; route it through show() so the new unit gets its own learner record and API. */
  frame.addEventListener("load", function () {
    var path = "";
    try { path = frame.contentWindow.location.pathname; } catch (e) { return; }
    var m = path.match(/\/sco\/([^\/]+)\.html$/);
    var id = m ? decodeURIComponent(m[1]) : null;
    if (id && current && (current.kind !== "unit" || current.id !== id) && unitIds().indexOf(id) >= 0) {
      location.hash = "unit=" + encodeURIComponent(id);
    }
  });

  var source = new EventSource("/_preview/events");
  source.addEventListener("change", function (e) { onChange(JSON.parse(e.data)); });
  source.addEventListener("open", function () { preview.connected = true; });

  document.getElementById("pv-prev").addEventListener("click", function () { step(-1); });
  document.getElementById("pv-next").addEventListener("click", function () { step(1); });
  document.getElementById("pv-reset").addEventListener("click", function () { show(current, { reset: true }); });
  versionSelect.addEventListener("change", function () { version = versionSelect.value; show(current); });
  window.addEventListener("hashchange", function () { show(parseHash()); });

  showErrors(initial.errors);
  show(parseHash());
})();
