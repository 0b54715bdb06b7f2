/*
 * coursepack quiz engine: restores the learner's answers, grades the five problem types like
 * Open edX does, drives the page, and tells ONE tracking adapter what happened. It knows no
 * tracking protocol; builder/targets/scorm_runtime.py concatenates it after the adapter(s) a
 * package needs into shared/coursepack.js (no Node, no bundler, byte-reproducible).
 *
 * The page carries its data in <script type="application/json" id="cp-data">. UI words come from
 * window.COURSEPACK_UI (shared/coursepack-ui.js) through fmt(), and reach the page only through
 * textContent, never as markup.
 *
 * ADAPTER INTERFACE. Each adapter file pushes a factory onto `adapters` (declared by the
 * assembler); the engine calls `connect(env)` on each in order and keeps the first non-null result.
 * The standalone adapter (always last) connects without an LMS. env = { data: <cp-data> }.
 * An adapter is an object with:
 *   name          "scorm12" | "scorm2004" | "standalone" (later "cmi5", "preview")
 *   persistent    false when nothing is saved (the engine then shows the standalone notice)
 *   errors        array of {call, element, code} the LMS reported (exposed for tests)
 *   restore()     -> {state: string, location: string}: the saved learner state ("" on a fresh
 *                 start) and location; also declares the page's objectives (data.objectives).
 *   reportAnswer(k, answer)  one graded submission of problem k (index into data.problems);
 *                 answer = {response, correct, attempt, at: Date}. Records the interaction.
 *                 A numeric response is the number read, written with a point ("2.5").
 *   reportProgress(report)   the whole current picture; the adapter sends only what changed:
 *                 report = {
 *                   completed: bool        every unit seen and every problem answered
 *                   verdict: null | {ratio, passed}   the score, ONLY once every problem is finished;
 *                                          null before, so no LMS can judge a partial score
 *                   objectives: [{o, id, assessed: bool, done: bool, ratio, passed, seen}]
 *                   state: string          the suspend data (already within data.limit)
 *                   location: string|null  the unit index (course SCO) or null
 *                 }
 *   checkpoint()  make what was reported durable now (SCORM Commit). The engine calls it once
 *                 after start, after each graded answer, and when completion changes, not on
 *                 hints or paging, so LMS traffic grows with answers, not with clicks.
 *   finish(ms)    the learner leaves: exit/suspend, session time (ms on the page), terminate.
 *                 Called once, from pagehide/beforeunload or window.coursepack.finish().
 */
var data = JSON.parse(document.getElementById("cp-data").textContent);
var P = data.problems;
var U = data.units;
var T = window.COURSEPACK_UI || {};

/* The UI string of "key" with {name} placeholders filled from vars (unknown names stay as is). */
function fmt(key, vars) {
  var text = Object.prototype.hasOwnProperty.call(T, key) ? String(T[key]) : key;
  return text.replace(/\{(\w+)\}/g, function (whole, name) {
    return vars && Object.prototype.hasOwnProperty.call(vars, name) ? String(vars[name]) : whole;
  });
}

// ------------------------------------------------------------------ learner state

/*
 * The state is compact JSON: {"a":[...per problem...],"s":"0110"}. A problem is 0 until
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

function stateText() {
  var text = encode(false);
  if (text.length > data.limit) text = encode(true);
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

// ------------------------------------------------------------------ numbers

/*
 * Numbers as the learner writes them, in the page's language (<html lang>, the course language).
 * No DOM here: tests/targets/test_scorm_runtime.py runs this section alone in Node.
 *
 * English (and every language not listed below): a point is the decimal separator; "2,5" and
 * "1,000" are not numbers (the learner is asked to enter one) and "1.000" is 1, as always.
 *
 * Decimal-comma languages also accept the comma, and never silently read a wrong value:
 *   "2,5" "+2,5" ",5" "2,5e3"    a comma is the decimal separator: 2.5, 2.5, 0.5, 2500
 *   "1,000"                      1 (the comma is decimal in these languages, whatever follows)
 *   "2.5" "0.125" "1234.5"       a point that cannot be a thousands separator is decimal
 *   "1.000.000" "1.000,5"        points grouping thousands (before a decimal comma): 1000000, 1000.5
 *   "1 000" "1 000,5"            spaces (also no-break) grouping thousands: 1000, 1000.5
 *   "1.000" "12.345" "100.000"   AMBIGUOUS: one point before exactly three digits may group
 *                                thousands (1000) or be decimal (1); the learner is asked to
 *                                write it again, and no attempt is used
 *   "1,000.5" "1.5,2" "1.000."   not a number
 * The value recorded in the LMS is the number read, written with a point ("2.5").
 */
var AMBIGUOUS = "ambiguous";
var COMMA_LANGUAGES = /^(bg|ca|cs|da|de|el|es|et|fi|fr|hr|hu|it|lt|lv|nb|nl|nn|no|pl|pt|ro|ru|sk|sl|sv|tr|uk)$/;
/* Regions of those languages that write a decimal point (CLDR): Swiss German and Italian, Mexican
   and US Spanish, Latin American Spanish as a whole. */
var POINT_REGIONS = /^(de-(ch|li)|it-ch|es-(mx|us|419))$/;

function decimalComma(tag) {
  tag = String(tag || "").trim().toLowerCase().replace(/_/g, "-");
  var parts = tag.split("-");
  return COMMA_LANGUAGES.test(parts[0]) && !POINT_REGIONS.test(parts.slice(0, 2).join("-"));
}

/* The number in s, null when s is not a number, or AMBIGUOUS (decimal-comma languages only). */
function parseNumber(s, comma) {
  s = String(s).trim();
  if (comma) {
    var g = /^([-+]?)([1-9]\d{0,2})((?:\.\d{3})+|(?:[ \u00a0\u202f]\d{3})+)(?:,(\d+))?$/.exec(s);
    if (g) {
      if (g[3].length === 4 && g[3].charAt(0) === "." && g[4] === undefined) return AMBIGUOUS;
      s = g[1] + g[2] + g[3].replace(/[. \u00a0\u202f]/g, "") + (g[4] === undefined ? "" : "." + g[4]);
    } else if (/^[-+]?(\d+,\d*|,\d+)([eE][-+]?\d+)?$/.test(s)) {
      s = s.replace(",", ".");
    }
  }
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) return null;
  var n = Number(s);
  return isFinite(n) ? n : null;
}

// ------------------------------------------------------------------ grading

function normText(s, caseSensitive) {
  s = String(s).replace(/\s+/g, " ").trim();
  return caseSensitive ? s : s.toLowerCase();
}

var COMMA = decimalComma(document.documentElement.lang);

/* The learner's numeric answer: a finite number, null (not a number) or AMBIGUOUS. */
function readNumber(resp) {
  return parseNumber(resp === null || resp === undefined ? "" : resp, COMMA);
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
    var n = readNumber(resp);
    if (n === null || n === AMBIGUOUS) return null;
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
  /* Rounded to the precision reported (score.scaled 4 places, raw 2 in percent): the LMS judges
     that number against the mastery score, so the verdict here must come from it too. */
  var ratio = possible > 0 ? Math.round(earned / possible * 10000) / 10000 : 0;
  return {
    ratio: ratio, answered: answered, all: answered === indices.length,
    passed: ratio >= data.mastery - 1e-9
  };
}

// ------------------------------------------------------------------ reporting

function allProblems() { return P.map(function (_, k) { return k; }); }

function viewedAll() { return S.s.every(function (x) { return x === 1; }); }

/*
 * A SCO is completed when every unit was seen and every problem answered (a problem whose attempts
 * are used up is answered). Its verdict (score, passed/failed) comes as soon as its problems are
 * finished, and never before: a score sent earlier would be judged by the LMS (SCORM 1.2 mastery
 * score at LMSFinish, 2004 scaled_passing_score) as if it were final. A course SCO whose learner
 * answered everything but skipped a reading page thus gets its grade, as a trainer expects.
 */
function report() {
  var sc = score(allProblems());
  var completed = viewedAll() && sc.all;
  var objectives = data.objectives.map(function (o) {
    var assessing = [];
    P.forEach(function (p, k) { if (p.assesses.indexOf(o.o) >= 0) assessing.push(k); });
    if (assessing.length) {
      var os = score(assessing);
      return { o: o.o, id: o.id, assessed: true, done: os.all, ratio: os.ratio, passed: os.passed };
    }
    var seen = U.some(function (u, idx) { return S.s[idx] && u.taught.indexOf(o.o) >= 0; });
    return { o: o.o, id: o.id, assessed: false, seen: seen };
  });
  return {
    completed: completed,
    verdict: sc.all && P.length ? { ratio: sc.ratio, passed: sc.passed } : null,
    objectives: objectives,
    state: stateText(),
    location: data.mode === "course" ? String(current) : null
  };
}

var adapter = null;
var lastCompleted = null;

/* Tell the adapter the current picture; make it durable after graded events and status changes. */
function sync(graded) {
  if (!adapter) return;
  var r = report();
  adapter.reportProgress(r);
  if (graded || r.completed !== lastCompleted) adapter.checkpoint();
  lastCompleted = r.completed;
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
    var ask = P[k].type !== "numeric" ? "give_answer" : readNumber(resp) === AMBIGUOUS ? "number_ambiguous" : "enter_number";
    renderProblem(k, fmt(ask));
    return;
  }
  var prev = S.a[k];
  S.a[k] = { att: (prev ? prev.att : 0) + 1, ok: result, hints: prev ? prev.hints : 0, resp: resp };
  renderProblem(k);
  updateProgress();
  /* The LMS records a numeric answer as the number read, with a point ("2,5" -> "2.5"): SCORM's
     real(10,7) and xAPI's numeric responses know no decimal comma. The page keeps what was typed. */
  var recorded = P[k].type === "numeric" ? String(readNumber(resp)) : resp;
  if (adapter) adapter.reportAnswer(k, { response: recorded, correct: result, attempt: S.a[k].att, at: new Date() });
  sync(true);
}

function onHint(k) {
  var st = S.a[k] || (S.a[k] = { att: 0, ok: false, hints: 0, resp: null });
  var shown = st.hints;
  if (shown >= P[k].hints) return;
  st.hints = shown + 1;
  renderProblem(k);
  sync(false);
  var hint = forms[k].querySelector('.cp-hint[data-hint="' + shown + '"]');
  if (hint) { hint.setAttribute("tabindex", "-1"); hint.focus(); }
}

function updateProgress() {
  var u = U[current];
  var sc = score(u.problems);
  var text = fmt("progress_unit", { n: u.n, total: data.total });
  if (u.problems.length) {
    var count = u.problems.length;
    text += " · " + fmt(count === 1 ? "questions_one" : "questions_other", { answered: sc.answered, count: count });
  }
  document.getElementById("cp-progress").textContent = text;
}

function show(index, focus) {
  current = Math.max(0, Math.min(U.length - 1, index));
  var arts = document.querySelectorAll(".cp-unit");
  for (var a = 0; a < arts.length; a++) arts[a].hidden = data.mode === "course" && a !== current;
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
  if (data.mode === "course") {
    document.getElementById("cp-prev").addEventListener("click", function () { show(current - 1, true); sync(false); });
    document.getElementById("cp-next").addEventListener("click", function () { show(current + 1, true); sync(false); });
    document.getElementById("cp-unit-select").addEventListener("change", function (ev) {
      show(Number(ev.target.value), true); sync(false);
    });
    // A link to another unit (href="#unit-<id>") shows that unit's article: they are hidden but one.
    var links = document.querySelectorAll('a[href^="#unit-"]');
    for (var l = 0; l < links.length; l++) {
      links[l].addEventListener("click", function (ev) {
        var target = document.getElementById(this.getAttribute("href").slice(1));
        var index = target ? Number(target.getAttribute("data-unit")) : NaN;
        if (isNaN(index)) return;
        ev.preventDefault();
        show(index, true); sync(false);
      });
    }
  }
}

// ------------------------------------------------------------------ lifecycle

function connect() {
  for (var n = 0; n < adapters.length; n++) {
    var a = null;
    try { a = adapters[n].connect({ data: data }); } catch (e) { a = null; }
    if (a) return a;
  }
  return null;
}

var finished = false;

function start() {
  wire();
  adapter = connect();
  var saved = adapter ? adapter.restore() : { state: "", location: "" };
  decode(saved.state);
  if (!adapter || !adapter.persistent) document.getElementById("cp-standalone").hidden = false;
  forms.forEach(function (form, k) {
    if (!form) return;
    if (S.a[k] && S.a[k].att > 0) writeResponse(k, S.a[k].resp);
    renderProblem(k);
  });
  var startAt = 0;
  if (data.mode === "course" && /^\d+$/.test(saved.location || "")) startAt = Number(saved.location);
  show(startAt, false);
  sync(true);
}

function finish() {
  if (!adapter || finished) return;
  sync(false);
  finished = true;
  adapter.finish(Date.now() - startTime);
}

window.addEventListener("pagehide", finish);
window.addEventListener("beforeunload", finish);

/* For tests and for LMS wrappers that want to end the attempt explicitly. */
window.coursepack = {
  finish: finish,
  errors: function () { return adapter ? adapter.errors : []; },
  state: function () { return JSON.parse(encode(false)); },
  connected: function () { return !!adapter && adapter.persistent; },
  adapter: function () { return adapter ? adapter.name : ""; },
  show: function (n) { show(n, true); sync(false); }
};

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
