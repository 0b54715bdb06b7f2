/*
 * What the SCORM 1.2 and 2004 adapters share: finding the LMS's API object and calling it safely.
 * Every call is guarded (an LMS may throw), errors are collected for tests, and traffic is kept
 * low: a value is not sent again when the LMS already has it, and GetLastError is asked only when
 * a call's result says something may have gone wrong.
 */

/* Walk up the frame chain (bounded), then the opener's chain; cross-origin frames throw. */
function scormFindIn(win, name) {
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

function scormFind(name) {
  var api = scormFindIn(window, name);
  if (!api) {
    try { if (window.top && window.top.opener) api = scormFindIn(window.top.opener, name); } catch (e) { /* */ }
  }
  if (!api) {
    try { if (window.opener) api = scormFindIn(window.opener, name); } catch (e) { /* */ }
  }
  return api;
}

/*
 * A session with one API object. `names` maps init/finish/get/set/commit/error to the version's
 * method names. Returns null when the API is missing or refuses to initialize.
 */
function scormSession(api, names) {
  if (!api) return null;
  var errors = [];
  var written = {};
  var open = false;

  function lastError() {
    try { return String(api[names.error]()); } catch (e) { return "101"; }
  }

  function failed(code) { return code !== "0" && code !== ""; }

  function note(call, el, code) { errors.push({ call: call, element: el || "", code: code }); }

  function call(method, arg) {
    try { return String(api[method](arg)); } catch (e) { return "false"; }
  }

  var ok = call(names.init, "");
  if (ok !== "true") {
    note("Initialize", "", lastError());
    return null;
  }
  open = true;

  return {
    errors: errors,
    /* GetValue; null on error. "quiet" codes are expected (e.g. 403: not initialized yet). An
       error is only asked about when the value is empty, the one case where it may be one. */
    get: function (el, quiet) {
      if (!open) return null;
      var v;
      try { v = api[names.get](el); } catch (e) { note("GetValue", el, "exception"); return null; }
      v = v === undefined || v === null ? "" : String(v);
      if (v === "") {
        var code = lastError();
        if (failed(code)) {
          if (!quiet || quiet.indexOf(code) < 0) note("GetValue", el, code);
          return null;
        }
      }
      return v;
    },
    /* SetValue, skipped when the LMS already holds this value from us; true on success. */
    set: function (el, value) {
      if (!open) return false;
      value = String(value);
      if (written[el] === value) return true;
      var result;
      try { result = String(api[names.set](el, value)); } catch (e) { result = "false"; }
      if (result !== "true") {
        note("SetValue", el, lastError());
        return false;
      }
      written[el] = value;
      return true;
    },
    commit: function () {
      if (!open) return;
      if (call(names.commit, "") !== "true") note("Commit", "", lastError());
    },
    finish: function () {
      if (!open) return;
      open = false;
      if (call(names.finish, "") !== "true") note("Terminate", "", lastError());
    }
  };
}

/* Shared number formats: at most `places` decimals, never exponent notation. */
function scormDecimal(n, places) {
  var f = Math.pow(10, places);
  var s = String(Math.round(n * f) / f);
  if (s.indexOf("e") >= 0) s = n.toFixed(places);
  return s;
}

function scormPad(n, w) { var s = String(n); while (s.length < w) s = "0" + s; return s; }

/* A number as the data models' real(10,7)/CMIDecimal accept it, or null. */
function scormNumber(n) {
  if (n === null || n === undefined || !isFinite(n) || Math.abs(n) >= 1e10) return null;
  var s = scormDecimal(n, 6);
  return /^-?\d+(\.\d+)?$/.test(s) ? s : null;
}

/* Objectives: find each by id first (2004 LMSs pre-fill them from the manifest), then append.
   Returns outcome id -> cmi.objectives index. */
function scormObjectives(session, objectives) {
  var index = {};
  if (!objectives.length) return index;
  var count = parseInt(session.get("cmi.objectives._count", ["401", "403"]) || "0", 10) || 0;
  var idsReadable = true;
  var known = {};
  for (var n = 0; n < count; n++) {
    var id = session.get("cmi.objectives." + n + ".id", ["401", "403", "404"]);
    if (id === null) { idsReadable = false; break; }
    known[id] = n;
  }
  objectives.forEach(function (o, pos) {
    if (idsReadable && Object.prototype.hasOwnProperty.call(known, o.id)) {
      index[o.o] = known[o.id];
    } else if (!idsReadable && pos < count) {
      // 1.2 LMSs may make .id write-only: our objectives were appended in this order before.
      index[o.o] = pos;
    } else if (session.set("cmi.objectives." + count + ".id", o.id)) {
      index[o.o] = count;
      count++;
    }
  });
  return index;
}
