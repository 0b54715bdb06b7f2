/*
 * coursepack SCO runtime: finds the LMS's SCORM API (1.2 "API" or 2004 "API_1484_11"), restores
 * the learner's answers, grades the five problem types like Open edX does, and reports completion,
 * score, success, objectives and interactions. Without an LMS it runs standalone and says so.
 *
 * The page carries its data in <script type="application/json" id="cp-data">; this file is the
 * same for every SCO of a package. No external requests, no dependencies. UI words come from the
 * data's "ui" table (the course language's i18n/<lang>.json) through fmt(), and reach the page only
 * through textContent, never as markup.
 */
(function () {
  "use strict";

  var D = JSON.parse(document.getElementById("cp-data").textContent);
  var V12 = D.v === "1.2";
  var P = D.problems;
  var U = D.units;
  var T = window.COURSEPACK_UI || {};  /* shared/coursepack-ui.js, per package language */

  /* The UI string of "key" with {name} placeholders filled from vars (unknown names stay as is). */
  function fmt(key, vars) {
    var text = Object.prototype.hasOwnProperty.call(T, key) ? String(T[key]) : key;
    return text.replace(/\{(\w+)\}/g, function (whole, name) {
      return vars && Object.prototype.hasOwnProperty.call(vars, name) ? String(vars[name]) : whole;
    });
  }

  // ------------------------------------------------------------------ API discovery

  /* Walk up the frame chain (bounded), then the opener's chain; cross-origin frames throw. */
  function findIn(win) {
    var name = V12 ? "API" : "API_1484_11";
    for (var tries = 0; win && tries < 500; tries++) {
      try {
        if (win[name]) return win[name];
      } catch (e) { /* cross-origin: keep walking */ }
      var parent = null;
      try { parent = win.parent; } catch (e2) { return null; }
      if (!parent || parent === win) return null;
      win = parent;
    }
    return null;
  }

  function discover() {
    var api = findIn(window);
    if (!api) {
      try { if (window.top && window.top.opener) api = findIn(window.top.opener); } catch (e) { /* */ }
    }
    if (!api) {
      try { if (window.opener) api = findIn(window.opener); } catch (e) { /* */ }
    }
    return api;
  }

  // ------------------------------------------------------------------ LMS calls

  var api = null;
  var started = false;
  var finished = false;
  var apiErrors = [];

  function lastError() {
    try { return String(V12 ? api.LMSGetLastError() : api.GetLastError()); } catch (e) { return "101"; }
  }

  function record(call, el, code) {
    apiErrors.push({ call: call, element: el || "", code: code });
  }

  /* GetValue; returns null on error. "quiet" codes are expected (e.g. 403 not initialized). */
  function get(el, quiet) {
    if (!api) return null;
    var v;
    try { v = V12 ? api.LMSGetValue(el) : api.GetValue(el); } catch (e) { record("GetValue", el, "exception"); return null; }
    var code = lastError();
    if (code !== "0" && code !== "") {
      if (!quiet || quiet.indexOf(code) < 0) record("GetValue", el, code);
      return null;
    }
    return v === undefined || v === null ? "" : String(v);
  }

  var written = {};

  /* SetValue, skipped when the value is what we last wrote; returns true on success. */
  function set(el, value) {
    if (!api || finished) return false;
    value = String(value);
    if (written[el] === value) return true;
    var ok;
    try { ok = V12 ? api.LMSSetValue(el, value) : api.SetValue(el, value); } catch (e) { ok = false; }
    var code = lastError();
    if (String(ok) !== "true" || (code !== "0" && code !== "")) {
      record("SetValue", el, code);
      return false;
    }
    written[el] = value;
    return true;
  }

  function commit() {
    if (!api || finished) return;
    var ok;
    try { ok = V12 ? api.LMSCommit("") : api.Commit(""); } catch (e) { ok = false; }
    if (String(ok) !== "true") record("Commit", "", lastError());
  }

  // ------------------------------------------------------------------ learner state

  /*
   * suspend_data is compact JSON: {"a":[...per problem...],"s":"0110"}. A problem is 0 until
   * answered, then [attempts, correct 0/1, hints shown, response]. Responses: choice index, array
   * of indices, or (capped) text. If the text would exceed the LMS limit, responses are dropped
   * first, which keeps grades, attempts and hints.
   */
  var S = { a: [], s: [] };
  for (var i = 0; i < P.length; i++) S.a.push(null);
  for (var j = 0; j < U.length; j++) S.s.push(0);
  var current = 0;

  function encode(dropResponses) {
    var a = S.a.map(function (st) {
      if (!st || (!st.att && !st.hints)) return 0;
      var row = [st.att, st.ok ? 1 : 0, st.hints];
      if (!dropResponses && st.resp !== null && st.resp !== undefined && st.resp !== "") row.push(st.resp);
      return row;
    });
    return JSON.stringify({ a: a, s: S.s.join("") });
  }

  function suspendData() {
    var text = encode(false);
    if (text.length > D.limit) text = encode(true);
    return text;
  }

  function decode(text) {
    if (!text) return;
    var obj;
    try { obj = JSON.parse(text); } catch (e) { return; }
    if (!obj || typeof obj !== "object") return;
    if (Array.isArray(obj.a)) {
      for (var k = 0; k < P.length && k < obj.a.length; k++) {
        var row = obj.a[k];
        if (!Array.isArray(row) || typeof row[0] !== "number" || row[0] < 0) continue;
        S.a[k] = {
          att: Math.floor(row[0]),
          ok: row[1] === 1,
          hints: Math.max(0, Math.min(P[k].hints, Math.floor(Number(row[2]) || 0))),
          resp: row.length > 3 ? row[3] : null
        };
      }
    }
    if (typeof obj.s === "string") {
      for (var m = 0; m < U.length && m < obj.s.length; m++) S.s[m] = obj.s.charAt(m) === "1" ? 1 : 0;
    }
  }

  // ------------------------------------------------------------------ grading

  function normText(s, caseSensitive) {
    s = String(s).replace(/\s+/g, " ").trim();
    return caseSensitive ? s : s.toLowerCase();
  }

  function parseNumber(s) {
    s = String(s).trim();
    if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) return null;
    var n = Number(s);
    return isFinite(n) ? n : null;
  }

  /* Returns true/false, or null when the response is empty or not a number. */
  function grade(p, resp) {
    if (p.type === "single" || p.type === "dropdown") {
      if (resp === null || resp === "" || resp === undefined) return null;
      return p.correct.indexOf(Number(resp)) >= 0;
    }
    if (p.type === "multiple") {
      if (!Array.isArray(resp) || !resp.length) return null;
      if (resp.length !== p.correct.length) return false;
      return resp.every(function (x) { return p.correct.indexOf(x) >= 0; });
    }
    if (p.type === "numeric") {
      var n = parseNumber(resp);
      if (n === null) return null;
      return Math.abs(n - p.answer) <= p.tol + 1e-9 * Math.max(1, Math.abs(p.answer));
    }
    var t = normText(resp || "", p["case"]);
    if (!t) return null;
    return p.answers.some(function (a) { return normText(a, p["case"]) === t; });
  }

  function isFinal(k) {
    var st = S.a[k];
    return !!st && st.att > 0 && (st.ok || (P[k].max > 0 && st.att >= P[k].max));
  }

  function score(indices) {
    var earned = 0, possible = 0, answered = 0;
    indices.forEach(function (k) {
      possible += P[k].w;
      if (S.a[k] && S.a[k].att > 0) {
        answered++;
        if (S.a[k].ok) earned += P[k].w;
      }
    });
    return { earned: earned, possible: possible, answered: answered, all: answered === indices.length };
  }

  // ------------------------------------------------------------------ formats

  function dec(n, places) {
    var f = Math.pow(10, places);
    var s = String(Math.round(n * f) / f);
    if (s.indexOf("e") >= 0) s = n.toFixed(places);
    return s;
  }

  function pad(n, w) { var s = String(n); while (s.length < w) s = "0" + s; return s; }

  function sessionTime(ms) {
    var secs = Math.max(0, ms / 1000);
    var h = Math.floor(secs / 3600), m = Math.floor((secs % 3600) / 60), s = secs % 60;
    if (V12) return pad(h, 4) + ":" + pad(m, 2) + ":" + pad(Math.floor(s), 2) + "." + pad(Math.floor((s % 1) * 100), 2);
    return "PT" + h + "H" + m + "M" + dec(s, 2) + "S";
  }

  var LETTERS = "abcdefghijklmnopqrstuvwxyz";

  function choiceIds(indices) {
    return indices.map(function (x) { return V12 ? (LETTERS.charAt(x) || String(x)) : "c" + x; })
      .join(V12 ? "," : "[,]");
  }

  /* 2004 fill-in strings: no "[,]"/"[.]" delimiters, no leading "{" (read as a language tag). */
  function fillIn(s, max) {
    s = String(s).replace(/\[[,.]\]/g, " ").replace(/[\r\n]+/g, " ");
    if (s.charAt(0) === "{") s = "(" + s.slice(1);
    return s.slice(0, max);
  }

  function numberString(n) {
    if (n === null || !isFinite(n) || Math.abs(n) >= 1e10) return null;
    var s = dec(n, 6);
    return /^-?\d+(\.\d+)?$/.test(s) ? s : null;
  }

  function timeOfDay() {
    var d = new Date();
    return pad(d.getHours(), 2) + ":" + pad(d.getMinutes(), 2) + ":" + pad(d.getSeconds(), 2);
  }

  // ------------------------------------------------------------------ objectives

  var objectiveIndex = {};   // outcome id -> cmi.objectives index

  /* Find each objective by id first (2004 LMSs pre-fill them from the manifest), then append. */
  function setupObjectives() {
    if (!api || !D.objectives.length) return;
    var count = parseInt(get("cmi.objectives._count", ["401", "403"]) || "0", 10) || 0;
    var idsReadable = true;
    var known = {};
    for (var n = 0; n < count; n++) {
      var id = get("cmi.objectives." + n + ".id", ["401", "403", "404"]);
      if (id === null) { idsReadable = false; break; }
      known[id] = n;
    }
    D.objectives.forEach(function (o, pos) {
      if (idsReadable && Object.prototype.hasOwnProperty.call(known, o.id)) {
        objectiveIndex[o.o] = known[o.id];
      } else if (!idsReadable && pos < count) {
        // 1.2 LMSs may make .id write-only: our objectives were appended in this order before.
        objectiveIndex[o.o] = pos;
      } else if (set("cmi.objectives." + count + ".id", o.id)) {
        objectiveIndex[o.o] = count;
        count++;
      }
    });
  }

  function reportObjectives() {
    D.objectives.forEach(function (o) {
      var n = objectiveIndex[o.o];
      if (n === undefined) return;
      var base = "cmi.objectives." + n + ".";
      var assessing = [];
      P.forEach(function (p, k) { if (p.assesses.indexOf(o.o) >= 0) assessing.push(k); });
      if (assessing.length) {
        var sc = score(assessing);
        if (!sc.all) {
          if (V12) set(base + "status", "incomplete");
          else set(base + "completion_status", "incomplete");
          return;
        }
        var ratio = sc.possible > 0 ? sc.earned / sc.possible : 0;
        var passed = ratio >= D.mastery - 1e-9;
        set(base + "score.min", "0");
        set(base + "score.max", "100");
        set(base + "score.raw", dec(ratio * 100, 2));
        if (V12) {
          set(base + "status", passed ? "passed" : "failed");
        } else {
          set(base + "score.scaled", dec(ratio, 4));
          set(base + "success_status", passed ? "passed" : "failed");
          set(base + "completion_status", "completed");
        }
      } else {
        var seen = U.some(function (u, idx) { return S.s[idx] && u.taught.indexOf(o.o) >= 0; });
        if (V12) set(base + "status", seen ? "completed" : "incomplete");
        else set(base + "completion_status", seen ? "completed" : "incomplete");
      }
    });
  }

  // ------------------------------------------------------------------ interactions

  function recordInteraction(k) {
    var p = P[k], st = S.a[k];
    if (!api || !st) return;
    var type = p.type === "numeric" ? "numeric" : p.type === "text" ? "fill-in" : "choice";
    var resp = null;
    if (type === "choice") resp = choiceIds(Array.isArray(st.resp) ? st.resp : [Number(st.resp)]);
    else if (type === "numeric") resp = numberString(parseNumber(st.resp));
    else resp = fillIn(st.resp || "", V12 ? 255 : 250);
    var objective = p.assesses.length ? D.objectives.filter(function (o) { return o.o === p.assesses[0]; })[0] : null;
    var n, base, fresh = true;
    if (V12) {
      n = parseInt(get("cmi.interactions._count") || "0", 10) || 0;  // write-only: journal each attempt
    } else {
      var count = parseInt(get("cmi.interactions._count") || "0", 10) || 0;
      n = count;
      for (var x = 0; x < count; x++) {
        if (get("cmi.interactions." + x + ".id", ["403"]) === p.iid) { n = x; fresh = false; break; }
      }
    }
    base = "cmi.interactions." + n + ".";
    if (!set(base + "id", p.iid)) return;
    if (fresh) {
      if (objective) set(base + "objectives.0.id", objective.id);
      set(base + "type", type);
      if (type === "choice") {
        set(base + "correct_responses.0.pattern", choiceIds(p.correct));
      } else if (type === "numeric") {
        var lo = numberString(p.answer - p.tol), hi = numberString(p.answer + p.tol);
        if (V12) set(base + "correct_responses.0.pattern", numberString(p.answer));
        else if (lo !== null && hi !== null) set(base + "correct_responses.0.pattern", lo + "[:]" + hi);
      } else {
        var answers = V12 ? p.answers.slice(0, 1) : p.answers.slice(0, 10);
        answers.forEach(function (a, i2) {
          var pattern = fillIn(a, 250);
          if (!V12 && p["case"]) pattern = "{case_matters=true}" + pattern;
          set(base + "correct_responses." + i2 + ".pattern", pattern);
        });
      }
      set(base + "weighting", dec(p.w, 4));
      if (!V12) set(base + "description", fillIn(p.title, 250));
    }
    if (V12) set(base + "time", timeOfDay());
    else set(base + "timestamp", new Date().toISOString());
    if (resp !== null) set(base + (V12 ? "student_response" : "learner_response"), resp);
    set(base + "result", st.ok ? "correct" : V12 ? "wrong" : "incorrect");
  }

  // ------------------------------------------------------------------ status and score

  function allProblems() { return P.map(function (_, k) { return k; }); }

  function viewedAll() { return S.s.every(function (x) { return x === 1; }); }

  /* Write score, completion, success, objectives, location and suspend_data; then Commit. */
  function sync() {
    if (!api || finished) return;
    var sc = score(allProblems());
    var hasScore = P.length > 0;
    var complete = viewedAll() && sc.all;
    var ratio = sc.possible > 0 ? sc.earned / sc.possible : 0;
    var passed = ratio >= D.mastery - 1e-9;
    if (hasScore && sc.answered > 0) {
      var pre = V12 ? "cmi.core.score." : "cmi.score.";
      set(pre + "min", "0");
      set(pre + "max", "100");
      set(pre + "raw", dec(ratio * 100, 2));
      if (!V12) set("cmi.score.scaled", dec(ratio, 4));
    }
    if (V12) {
      var status = !complete ? "incomplete" : !hasScore ? "completed" : passed ? "passed" : "failed";
      set("cmi.core.lesson_status", status);
    } else {
      set("cmi.completion_status", complete ? "completed" : "incomplete");
      if (hasScore && complete) set("cmi.success_status", passed ? "passed" : "failed");
    }
    reportObjectives();
    if (D.mode === "course") set(V12 ? "cmi.core.lesson_location" : "cmi.location", String(current));
    set(V12 ? "cmi.suspend_data" : "cmi.suspend_data", suspendData());
    commit();
  }

  // ------------------------------------------------------------------ page

  var startTime = Date.now();
  var forms = [];

  function problemElements() {
    var sections = document.querySelectorAll(".cp-problem");
    var byId = {};
    for (var q = 0; q < sections.length; q++) byId[sections[q].getAttribute("data-problem-id")] = sections[q];
    return P.map(function (p) { return byId[p.id]; });
  }

  function unitOfProblem(k) {
    for (var x = 0; x < U.length; x++) if (U[x].problems.indexOf(k) >= 0) return x;
    return 0;
  }

  function readResponse(k) {
    var p = P[k], el = forms[k];
    if (p.type === "single") {
      var r = el.querySelector("input[type=radio]:checked");
      return r ? Number(r.value) : null;
    }
    if (p.type === "multiple") {
      var boxes = el.querySelectorAll("input[type=checkbox]:checked"), out = [];
      for (var b = 0; b < boxes.length; b++) out.push(Number(boxes[b].value));
      return out;
    }
    if (p.type === "dropdown") {
      var v = el.querySelector("select").value;
      return v === "" ? null : Number(v);
    }
    return el.querySelector("input[type=text]").value.slice(0, p.type === "numeric" ? 32 : 100);
  }

  function writeResponse(k, resp) {
    var p = P[k], el = forms[k];
    if (resp === null || resp === undefined) return;
    if (p.type === "single" || p.type === "multiple") {
      var list = Array.isArray(resp) ? resp : [resp];
      var inputs = el.querySelectorAll("input");
      for (var q = 0; q < inputs.length; q++) inputs[q].checked = list.indexOf(Number(inputs[q].value)) >= 0;
    } else if (p.type === "dropdown") {
      el.querySelector("select").value = String(resp);
    } else {
      el.querySelector("input[type=text]").value = String(resp);
    }
  }

  function renderProblem(k, announce) {
    var p = P[k], el = forms[k], st = S.a[k];
    if (!el) return;
    var status = el.querySelector(".cp-status");
    var attempts = el.querySelector(".cp-attempts");
    var final = isFinal(k);
    var hb = el.querySelector(".cp-hint-button");
    var shown = st ? st.hints : 0;
    var answered = !!st && st.att > 0;
    var hints = el.querySelectorAll(".cp-hint");
    for (var h = 0; h < hints.length; h++) hints[h].hidden = h >= shown;
    if (hb) {
      hb.hidden = shown >= p.hints;
      hb.textContent = fmt("show_hint_n", { n: Math.min(shown + 1, p.hints), total: p.hints });
    }
    var fbs = el.querySelectorAll(".cp-feedback");
    var chosen = answered && st.resp !== null && st.resp !== undefined ? (Array.isArray(st.resp) ? st.resp : [Number(st.resp)]) : [];
    for (var f = 0; f < fbs.length; f++) {
      fbs[f].hidden = !answered || chosen.indexOf(Number(fbs[f].getAttribute("data-choice"))) < 0;
    }
    var expl = el.querySelector(".cp-explanation");
    if (expl) expl.hidden = !final;
    var left = p.max > 0 ? p.max - (st ? st.att : 0) : -1;
    attempts.textContent = p.max > 0 ? fmt("attempts_left", { left: left, max: p.max }) : "";
    var controls = el.querySelectorAll("input, select, .cp-submit");
    for (var c = 0; c < controls.length; c++) controls[c].disabled = final;
    if (answered) {
      status.className = "cp-status " + (st.ok ? "cp-correct" : "cp-incorrect");
      status.textContent = fmt(st.ok ? "correct" : "incorrect") +
        (!st.ok && !final ? " " + fmt("try_again") : "") + (final && !st.ok ? " " + fmt("no_attempts_left") : "");
    } else if (announce) {
      status.className = "cp-status";
      status.textContent = announce;
    }
  }

  function onSubmit(k, ev) {
    ev.preventDefault();
    if (isFinal(k)) return;
    var resp = readResponse(k);
    var result = grade(P[k], resp);
    if (result === null) {
      renderProblem(k, fmt(P[k].type === "numeric" ? "enter_number" : "give_answer"));
      return;
    }
    var prev = S.a[k];
    S.a[k] = { att: (prev ? prev.att : 0) + 1, ok: result, hints: prev ? prev.hints : 0, resp: resp };
    renderProblem(k);
    updateProgress();
    recordInteraction(k);
    sync();
  }

  function onHint(k) {
    var st = S.a[k] || (S.a[k] = { att: 0, ok: false, hints: 0, resp: null });
    var shown = st.hints;
    if (shown >= P[k].hints) return;
    st.hints = shown + 1;
    renderProblem(k);
    sync();
    var hint = forms[k].querySelector('.cp-hint[data-hint="' + shown + '"]');
    if (hint) { hint.setAttribute("tabindex", "-1"); hint.focus(); }
  }

  function updateProgress() {
    var u = U[current];
    var sc = score(u.problems);
    var text = fmt("progress_unit", { n: u.n, total: D.total });
    if (u.problems.length) {
      var count = u.problems.length;
      text += " · " + fmt(count === 1 ? "questions_one" : "questions_other", { answered: sc.answered, count: count });
    }
    document.getElementById("cp-progress").textContent = text;
  }

  function show(index, focus) {
    current = Math.max(0, Math.min(U.length - 1, index));
    var arts = document.querySelectorAll(".cp-unit");
    for (var a = 0; a < arts.length; a++) arts[a].hidden = D.mode === "course" && a !== current;
    S.s[current] = 1;
    var sel = document.getElementById("cp-unit-select");
    if (sel) sel.value = String(current);
    var prev = document.getElementById("cp-prev"), next = document.getElementById("cp-next");
    if (prev) prev.disabled = current === 0;
    if (next) next.disabled = current === U.length - 1;
    updateProgress();
    if (focus) {
      var h = arts[current] && arts[current].querySelector("h1");
      if (h) { h.setAttribute("tabindex", "-1"); h.focus(); }
    }
  }

  function wire() {
    var els = problemElements();
    forms = els.map(function (sec) { return sec ? sec.querySelector("form") : null; });
    forms.forEach(function (form, k) {
      if (!form) return;
      form.addEventListener("submit", function (ev) { onSubmit(k, ev); });
      var hb = form.querySelector(".cp-hint-button");
      if (hb) hb.addEventListener("click", function () { onHint(k); });
    });
    if (D.mode === "course") {
      document.getElementById("cp-prev").addEventListener("click", function () { show(current - 1, true); sync(); });
      document.getElementById("cp-next").addEventListener("click", function () { show(current + 1, true); sync(); });
      document.getElementById("cp-unit-select").addEventListener("change", function (ev) {
        show(Number(ev.target.value), true); sync();
      });
    }
  }

  // ------------------------------------------------------------------ lifecycle

  function start() {
    api = discover();
    wire();
    var location = "";
    if (api) {
      var ok;
      try { ok = V12 ? api.LMSInitialize("") : api.Initialize(""); } catch (e) { ok = false; }
      if (String(ok) !== "true") { record("Initialize", "", lastError()); api = null; }
    }
    if (api) {
      started = true;
      var entry = get(V12 ? "cmi.core.entry" : "cmi.entry") || "";
      if (entry !== "ab-initio") {
        decode(get("cmi.suspend_data", ["403"]));
        location = get(V12 ? "cmi.core.lesson_location" : "cmi.location", ["403"]) || "";
      }
      if (V12) {
        var st = get("cmi.core.lesson_status");
        if (st === "not attempted" || st === "") set("cmi.core.lesson_status", "incomplete");
      } else {
        var cs = get("cmi.completion_status", ["403"]);
        if (cs === null || cs === "unknown" || cs === "not attempted") set("cmi.completion_status", "incomplete");
      }
      setupObjectives();
    } else {
      document.getElementById("cp-standalone").hidden = false;
    }
    forms.forEach(function (form, k) {
      if (!form) return;
      if (S.a[k] && S.a[k].att > 0) writeResponse(k, S.a[k].resp);
      renderProblem(k);
    });
    var startAt = 0;
    if (D.mode === "course" && /^\d+$/.test(location)) startAt = Number(location);
    show(startAt, false);
    sync();
  }

  function finish() {
    if (!api || !started || finished) return;
    sync();
    set(V12 ? "cmi.core.exit" : "cmi.exit", "suspend");
    set(V12 ? "cmi.core.session_time" : "cmi.session_time", sessionTime(Date.now() - startTime));
    commit();
    finished = true;
    var ok;
    try { ok = V12 ? api.LMSFinish("") : api.Terminate(""); } catch (e) { ok = false; }
    if (String(ok) !== "true") record("Terminate", "", lastError());
  }

  window.addEventListener("pagehide", finish);
  window.addEventListener("beforeunload", finish);

  /* For tests and for LMS wrappers that want to end the attempt explicitly. */
  window.coursepack = {
    finish: finish,
    errors: apiErrors,
    state: function () { return JSON.parse(encode(false)); },
    connected: function () { return !!api; },
    show: function (n) { show(n, true); sync(); }
  };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
