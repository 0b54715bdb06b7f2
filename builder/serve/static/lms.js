/*
 * coursepack preview: a strict SCORM API stub, the "LMS" of the preview shell.
 *
 * Defines window.API (SCORM 1.2) and window.API_1484_11 (SCORM 2004) on the shell window; the
 * unit page in the frame finds them by walking up its parents, exactly as in an LMS. Like a
 * strict LMS (scorm-again, Moodle), the stub refuses what the specifications refuse, with their
 * error codes: calls out of session state, unknown, read-only and write-only elements, values
 * of the wrong type or range, array indices that skip ahead, interaction values before the id.
 * Each unit keeps its own learner record (as each SCO does in an LMS); a session ended with
 * exit=suspend resumes with its data, any other exit starts a new attempt.
 *
 * cpLms.open(version, unitId, onChange) installs the API for one unit's page; cpLms.record()
 * gives what the panel shows; cpLms.reset() forgets every learner record.
 */
(function () {
  "use strict";

  var RW = "rw", RO = "ro", WO = "wo";

  function oneOf() {
    var allowed = Array.prototype.slice.call(arguments);
    return function (v) { return allowed.indexOf(v) >= 0; };
  }
  function chars(max) { return function (v) { return v.length <= max; }; }
  var REAL = /^-?(\d+(\.\d+)?|\.\d+)$/;
  function real(lo, hi) {
    return function (v) {
      if (!REAL.test(v)) return false;
      var n = Number(v);
      return (lo === undefined || n >= lo) && (hi === undefined || n <= hi) ? true : "range";
    };
  }
  var INTERVAL = /^P(?!$)(\d+Y)?(\d+M)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d{1,2})?S)?)?$/;
  var TIME = /^\d{4}(-\d{2}(-\d{2}(T\d{2}(:\d{2}(:\d{2}(\.\d{1,2})?)?)?)?)?)?(Z|[+-]\d{2}(:\d{2})?)?$/;
  var SHORT_ID = /^[^\s\[\]{}]{1,250}$/;
  function longId(v) { return v.length > 0 && v.length <= 4000 && !/\s/.test(v); }
  function test(re) { return function (v) { return re.test(v); }; }

  /* 2004: a response or pattern must fit the interaction's type. */
  function fits2004(type, v, pattern) {
    if (type === "choice") {
      if (v === "") return true;
      var ids = v.split("[,]");
      var seen = {};
      return ids.every(function (id) {
        var ok = SHORT_ID.test(id) && !seen[id];
        seen[id] = true;
        return ok;
      });
    }
    if (type === "numeric") {
      if (!pattern) return REAL.test(v);
      var range = v.split("[:]");
      return range.length === 2 && range.every(function (x) { return x === "" || REAL.test(x); }) &&
        !(range[0] !== "" && range[1] !== "" && Number(range[0]) > Number(range[1]));
    }
    if (type === "fill-in") {
      var body = v.replace(/^(\{(case_matters|order_matters)=(true|false)\})*/, "").replace(/^\{lang=[A-Za-z-]{2,}\}/, "");
      return body.charAt(0) !== "{" && body.split("[,]").length <= 10 && body.split("[,]").every(function (x) { return x.length <= 250; });
    }
    return v.length <= 4000;
  }

  var MODEL_2004 = {
    "cmi._version": [RO], "cmi.credit": [RO], "cmi.entry": [RO], "cmi.launch_data": [RO],
    "cmi.learner_id": [RO], "cmi.learner_name": [RO], "cmi.mode": [RO], "cmi.total_time": [RO],
    "cmi.scaled_passing_score": [RO], "cmi.completion_threshold": [RO], "cmi.max_time_allowed": [RO],
    "cmi.time_limit_action": [RO],
    "cmi.completion_status": [RW, oneOf("completed", "incomplete", "not attempted", "unknown")],
    "cmi.success_status": [RW, oneOf("passed", "failed", "unknown")],
    "cmi.exit": [WO, oneOf("time-out", "suspend", "logout", "normal", "")],
    "cmi.session_time": [WO, test(INTERVAL)],
    "cmi.location": [RW, chars(1000)], "cmi.suspend_data": [RW, chars(64000)],
    "cmi.progress_measure": [RW, real(0, 1)],
    "cmi.score.scaled": [RW, real(-1, 1)], "cmi.score.raw": [RW, real()],
    "cmi.score.min": [RW, real()], "cmi.score.max": [RW, real()],
    "cmi.objectives._count": [RO],
    "cmi.objectives.n.id": [RW, longId],
    "cmi.objectives.n.score.scaled": [RW, real(-1, 1)], "cmi.objectives.n.score.raw": [RW, real()],
    "cmi.objectives.n.score.min": [RW, real()], "cmi.objectives.n.score.max": [RW, real()],
    "cmi.objectives.n.success_status": [RW, oneOf("passed", "failed", "unknown")],
    "cmi.objectives.n.completion_status": [RW, oneOf("completed", "incomplete", "not attempted", "unknown")],
    "cmi.objectives.n.progress_measure": [RW, real(0, 1)],
    "cmi.objectives.n.description": [RW, chars(250)],
    "cmi.interactions._count": [RO],
    "cmi.interactions.n.id": [RW, longId],
    "cmi.interactions.n.type": [RW, oneOf("true-false", "choice", "fill-in", "long-fill-in", "likert",
      "matching", "performance", "sequencing", "numeric", "other")],
    "cmi.interactions.n.objectives._count": [RO],
    "cmi.interactions.n.objectives.m.id": [RW, longId],
    "cmi.interactions.n.timestamp": [RW, test(TIME)],
    "cmi.interactions.n.correct_responses._count": [RO],
    "cmi.interactions.n.correct_responses.m.pattern": [RW, "pattern"],
    "cmi.interactions.n.weighting": [RW, real()],
    "cmi.interactions.n.learner_response": [RW, "response"],
    "cmi.interactions.n.result": [RW, function (v) {
      return /^(correct|incorrect|unanticipated|neutral)$/.test(v) || REAL.test(v);
    }],
    "cmi.interactions.n.latency": [RW, test(INTERVAL)],
    "cmi.interactions.n.description": [RW, chars(250)]
  };

  var ID_12 = /^[\x21-\x7E]{1,255}$/;
  var DECIMAL_12 = /^-?\d+(\.\d+)?$/;
  function score12(v) { return v === "" || (DECIMAL_12.test(v) && Number(v) >= 0 && Number(v) <= 100); }
  var STATUS_12 = ["passed", "completed", "failed", "incomplete", "browsed"];
  var MODEL_12 = {
    "cmi.core.student_id": [RO], "cmi.core.student_name": [RO], "cmi.core.credit": [RO],
    "cmi.core.entry": [RO], "cmi.core.total_time": [RO], "cmi.core.lesson_mode": [RO],
    "cmi.launch_data": [RO], "cmi.comments_from_lms": [RO], "cmi.student_data.mastery_score": [RO],
    "cmi.core.lesson_location": [RW, chars(255)],
    "cmi.core.lesson_status": [RW, function (v) { return STATUS_12.indexOf(v) >= 0; }],
    "cmi.core.score.raw": [RW, score12], "cmi.core.score.min": [RW, score12], "cmi.core.score.max": [RW, score12],
    "cmi.core.exit": [WO, oneOf("time-out", "suspend", "logout", "")],
    "cmi.core.session_time": [WO, test(/^\d{2,4}:\d{2}:\d{2}(\.\d{1,2})?$/)],
    "cmi.suspend_data": [RW, chars(4096)], "cmi.comments": [RW, chars(4096)],
    "cmi.objectives._count": [RO],
    "cmi.objectives.n.id": [RW, test(ID_12)],
    "cmi.objectives.n.score.raw": [RW, score12], "cmi.objectives.n.score.min": [RW, score12],
    "cmi.objectives.n.score.max": [RW, score12],
    "cmi.objectives.n.status": [RW, oneOf("passed", "completed", "failed", "incomplete", "browsed", "not attempted")],
    "cmi.interactions._count": [RO],
    "cmi.interactions.n.id": [WO, test(ID_12)],
    "cmi.interactions.n.objectives._count": [RO],
    "cmi.interactions.n.objectives.m.id": [WO, test(ID_12)],
    "cmi.interactions.n.time": [WO, test(/^([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,2})?$/)],
    "cmi.interactions.n.type": [WO, oneOf("true-false", "choice", "fill-in", "matching", "performance",
      "sequencing", "likert", "numeric")],
    "cmi.interactions.n.correct_responses._count": [RO],
    "cmi.interactions.n.correct_responses.m.pattern": [WO, chars(255)],
    "cmi.interactions.n.weighting": [WO, test(DECIMAL_12)],
    "cmi.interactions.n.student_response": [WO, chars(255)],
    "cmi.interactions.n.result": [WO, function (v) { return /^(correct|wrong|unanticipated|neutral)$/.test(v) || DECIMAL_12.test(v); }],
    "cmi.interactions.n.latency": [WO, test(/^\d{2,4}:\d{2}:\d{2}(\.\d{1,2})?$/)]
  };

  /* Error codes by situation, per version. */
  var CODES = {
    "2004": {
      ok: "0", general: "101", initTwice: "103", initAfterEnd: "104", endBefore: "112", endAfter: "113",
      getBefore: "122", getAfter: "123", setBefore: "132", setAfter: "133", commitBefore: "142",
      commitAfter: "143", argument: "201", getFailure: "301", setFailure: "351", undefined: "401",
      notInitialized: "403", readOnly: "404", writeOnly: "405", type: "406", range: "407",
      dependency: "408", keyword: "404"
    },
    "1.2": {
      ok: "0", general: "101", initTwice: "101", initAfterEnd: "101", endBefore: "301", endAfter: "301",
      getBefore: "301", getAfter: "301", setBefore: "301", setAfter: "301", commitBefore: "301",
      commitAfter: "301", argument: "201", getFailure: "201", setFailure: "201", undefined: "201",
      notInitialized: "0", readOnly: "403", writeOnly: "404", type: "405", range: "405",
      dependency: "201", keyword: "402"
    }
  };
  var MESSAGES = {
    "0": "No error", "101": "General exception", "103": "Already initialized",
    "104": "Content instance terminated", "112": "Termination before initialization",
    "113": "Termination after termination", "122": "Retrieve data before initialization",
    "123": "Retrieve data after termination", "132": "Store data before initialization",
    "133": "Store data after termination", "142": "Commit before initialization",
    "143": "Commit after termination", "201": "Invalid argument", "202": "Element cannot have children",
    "203": "Element not an array", "301": "Not initialized / general get failure",
    "351": "General set failure", "401": "Undefined data model element",
    "402": "Invalid set value, element is a keyword", "403": "Value not initialized / read only",
    "404": "Element is read only / write only", "405": "Element is write only / incorrect data type",
    "406": "Data model element type mismatch", "407": "Data model element value out of range",
    "408": "Data model dependency not established"
  };

  /* "cmi.interactions.3.correct_responses.0.pattern" -> model key with n/m, and the indices. */
  function parse(el) {
    var idx = [];
    var key = el.replace(/\.(\d+)(?=\.|$)/g, function (_, d) {
      idx.push(parseInt(d, 10));
      return idx.length === 1 ? ".n" : ".m";
    });
    return { key: key, idx: idx, arrays: el.match(/^(cmi\.(?:objectives|interactions))\.(\d+)(?:\.(objectives|correct_responses)\.(\d+))?/) };
  }

  function count(cmi, prefix) {
    var n = 0;
    while (Object.prototype.hasOwnProperty.call(cmi, prefix + "." + n + ".__")) n++;
    return n;
  }

  function newRecord(version) {
    var cmi = {};
    if (version === "2004") {
      cmi["cmi._version"] = "1.0"; cmi["cmi.credit"] = "credit"; cmi["cmi.entry"] = "ab-initio";
      cmi["cmi.mode"] = "normal"; cmi["cmi.learner_id"] = "preview"; cmi["cmi.learner_name"] = "Preview, Learner";
      cmi["cmi.completion_status"] = "unknown"; cmi["cmi.success_status"] = "unknown";
      cmi["cmi.total_time"] = "PT0H0M0S"; cmi["cmi.launch_data"] = "";
    } else {
      cmi["cmi.core.student_id"] = "preview"; cmi["cmi.core.student_name"] = "Learner, Preview";
      cmi["cmi.core.credit"] = "credit"; cmi["cmi.core.entry"] = "ab-initio"; cmi["cmi.core.lesson_mode"] = "normal";
      cmi["cmi.core.lesson_status"] = "not attempted"; cmi["cmi.core.total_time"] = "0000:00:00.00";
      cmi["cmi.launch_data"] = ""; cmi["cmi.suspend_data"] = ""; cmi["cmi.core.lesson_location"] = "";
      cmi["cmi.core.score.raw"] = ""; cmi["cmi.comments"] = "";
    }
    return { version: version, cmi: cmi, log: [], sessions: 0, state: "new" };
  }

  /* One API object over one learner record; `changed` runs after each call that may change it. */
  function makeApi(record, changed) {
    var version = record.version;
    var model = version === "2004" ? MODEL_2004 : MODEL_12;
    var C = CODES[version];
    var cmi = record.cmi;
    var last = "0";

    function done(call, el, value, code, result) {
      last = code;
      record.log.push({ call: call, element: el, value: value, code: code });
      if (changed) changed(record);
      return result;
    }

    function check(el, value) {
      var p = parse(el);
      var entry = model[p.key];
      if (!entry) return /\._(count|children|version)$/.test(el) ? C.keyword : C.undefined;
      if (entry[0] === RO) return /\._count$/.test(el) ? C.keyword : C.readOnly;
      if (p.arrays) {
        var top = p.arrays[1], n = parseInt(p.arrays[2], 10);
        var have = count(cmi, top);
        if (n > have) return C.setFailure;
        var isId = p.key === top + ".n.id";
        if (n === have && !isId) return C.dependency;
        if (isId && version === "2004" && n < have && cmi[el] !== value) return C.setFailure;
        if (p.arrays[3]) {
          var inner = top + "." + n + "." + p.arrays[3];
          if (parseInt(p.arrays[4], 10) > count(cmi, inner)) return C.setFailure;
        }
      }
      var rule = entry[1];
      var ok;
      if (rule === "pattern" || rule === "response") {
        var type = cmi["cmi.interactions." + p.idx[0] + ".type"];
        if (type === undefined) return C.dependency;
        ok = fits2004(type, value, rule === "pattern");
      } else {
        ok = rule ? rule(value) : true;
      }
      if (ok === "range") return C.range;
      return ok ? C.ok : C.type;
    }

    function store(el, value) {
      cmi[el] = value;
      var m = el.match(/^(cmi\.(?:objectives|interactions))\.(\d+)\.id$/);
      if (m) cmi[m[1] + "." + m[2] + ".__"] = true;
      var inner = el.match(/^(cmi\.interactions\.\d+\.(?:objectives|correct_responses))\.(\d+)\.(id|pattern)$/);
      if (inner) cmi[inner[1] + "." + inner[2] + ".__"] = true;
    }

    function get(call, el) {
      if (record.state === "new") return done(call, el, "", C.getBefore, "");
      if (record.state === "ended") return done(call, el, "", C.getAfter, "");
      if (!el) return done(call, el, "", C.getFailure, "");
      var p = parse(el);
      var counted = el.match(/^(.*)\._count$/);
      if (counted && model[p.key]) return done(call, el, "", C.ok, String(count(cmi, counted[1])));
      var entry = model[p.key];
      if (!entry) return done(call, el, "", C.undefined, "");
      if (entry[0] === WO) return done(call, el, "", C.writeOnly, "");
      if (p.arrays && parseInt(p.arrays[2], 10) >= count(cmi, p.arrays[1])) return done(call, el, "", C.getFailure, "");
      if (!Object.prototype.hasOwnProperty.call(cmi, el)) return done(call, el, "", C.notInitialized, "");
      return done(call, el, "", C.ok, cmi[el]);
    }

    function set(call, el, value) {
      value = String(value);
      if (record.state === "new") return done(call, el, value, C.setBefore, "false");
      if (record.state === "ended") return done(call, el, value, C.setAfter, "false");
      var code = check(String(el), value);
      if (code !== "0") return done(call, el, value, code, "false");
      store(el, value);
      return done(call, el, value, "0", "true");
    }

    function initialize(call, arg) {
      if (arg !== "" && arg !== undefined) return done(call, "", "", C.argument, "false");
      if (record.state === "open") return done(call, "", "", C.initTwice, "false");
      if (record.state === "ended") return done(call, "", "", C.initAfterEnd, "false");
      record.state = "open";
      record.sessions++;
      return done(call, "", "", "0", "true");
    }

    function terminate(call, arg) {
      if (arg !== "" && arg !== undefined) return done(call, "", "", C.argument, "false");
      if (record.state === "new") return done(call, "", "", C.endBefore, "false");
      if (record.state === "ended") return done(call, "", "", C.endAfter, "false");
      record.state = "ended";
      return done(call, "", "", "0", "true");
    }

    function commit(call, arg) {
      if (arg !== "" && arg !== undefined) return done(call, "", "", C.argument, "false");
      if (record.state === "new") return done(call, "", "", C.commitBefore, "false");
      if (record.state === "ended") return done(call, "", "", C.commitAfter, "false");
      return done(call, "", "", "0", "true");
    }

    var api = {};
    var names = version === "2004"
      ? ["Initialize", "Terminate", "GetValue", "SetValue", "Commit", "GetLastError", "GetErrorString", "GetDiagnostic"]
      : ["LMSInitialize", "LMSFinish", "LMSGetValue", "LMSSetValue", "LMSCommit", "LMSGetLastError", "LMSGetErrorString", "LMSGetDiagnostic"];
    api[names[0]] = function (a) { return initialize(names[0], a); };
    api[names[1]] = function (a) { return terminate(names[1], a); };
    api[names[2]] = function (el) { return get(names[2], el); };
    api[names[3]] = function (el, v) { return set(names[3], el, v); };
    api[names[4]] = function (a) { return commit(names[4], a); };
    api[names[5]] = function () { return last; };
    api[names[6]] = function (code) { return MESSAGES[String(code)] || ""; };
    api[names[7]] = function (code) { return MESSAGES[String(code === undefined || code === "" ? last : code)] || ""; };
    return api;
  }

  /* Learner records by version and unit; a new session resumes a suspended one. */
  var records = { "1.2": {}, "2004": {} };

  function nextSession(record) {
    var exitEl = record.version === "2004" ? "cmi.exit" : "cmi.core.exit";
    var entryEl = record.version === "2004" ? "cmi.entry" : "cmi.core.entry";
    if (record.state === "new") return record;
    if (record.cmi[exitEl] === "suspend") {
      record.state = "new";
      record.cmi[entryEl] = "resume";
      delete record.cmi[exitEl];
      return record;
    }
    return newRecord(record.version);   // any other exit ends the attempt
  }

  window.cpLms = {
    open: function (version, unitId, changed) {
      var record = records[version][unitId];
      record = record ? nextSession(record) : newRecord(version);
      records[version][unitId] = record;
      var api = makeApi(record, changed);
      if (version === "2004") { window.API_1484_11 = api; delete window.API; }
      else { window.API = api; delete window.API_1484_11; }
      return record;
    },
    record: function (version, unitId) { return records[version][unitId] || null; },
    reset: function () { records = { "1.2": {}, "2004": {} }; },
    makeApi: makeApi,
    newRecord: newRecord,
    messages: MESSAGES
  };
})();
