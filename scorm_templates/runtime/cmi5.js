/*
 * cmi5 adapter (cmi5 quartz, "Runtime Environment" §7–§11): the page was launched by a cmi5 LMS
 * with ?endpoint=&fetch=&actor=&registration=&activityId= in its URL. It
 *   1. POSTs the fetch URL once for the auth token (§8.2),
 *   2. reads the LMS.LaunchData state (launchMode, masteryScore, moveOn, contextTemplate,
 *      returnURL; §10) and the cmi5LearnerPreferences agent profile (§11),
 *   3. restores the learner's answers from its own state document ("coursepack.state"),
 *   4. sends the cmi5 defined statements — initialized, completed, passed or failed, terminated —
 *      with the cmi5 category, the context template and its session id (§9), and one "answered"
 *      statement per submission (a cmi5 allowed statement: no cmi5 or moveOn category) whose
 *      context.contextActivities.other lists the outcome IRIs the problem assesses.
 *
 * Rules it keeps (§9.3): initialized first and terminated last (timestamps strictly increase);
 * each verb once per session; completed and passed once per registration and failed never after
 * passed (what was sent is kept in the state document); passed only with score.scaled ≥
 * masteryScore, failed only below it, and failed only once no pass is possible any more (every
 * problem answered right or out of attempts) or when the session ends, so a learner who can still
 * retry is not failed. In Browse and Review mode (§10, launchMode) only initialized and
 * terminated are sent and nothing is saved.
 *
 * Written here rather than bundling @xapi/cmi5: that library needs axios (twice, through
 * @xapi/xapi), uuid and deepmerge, sends through XMLHttpRequest so the last statements are lost
 * when the page closes, and is asynchronous where the engine's restore() is not. The launch
 * handshake (steps 1–3, four small requests) uses synchronous XMLHttpRequest for that reason;
 * every later request is fetch() with keepalive, so statements sent on pagehide still arrive.
 */
var CMI5 = {
  category: "https://w3id.org/xapi/cmi5/context/categories/cmi5",
  moveOn: "https://w3id.org/xapi/cmi5/context/categories/moveon",
  sessionId: "https://w3id.org/xapi/cmi5/context/extensions/sessionid",
  masteryScore: "https://w3id.org/xapi/cmi5/context/extensions/masteryscore",
  interaction: "http://adlnet.gov/expapi/activities/cmi.interaction",
  objective: "http://adlnet.gov/expapi/activities/objective",
  stateId: "coursepack.state",
  version: "1.0.3",
  verbs: {
    initialized: "http://adlnet.gov/expapi/verbs/initialized",
    completed: "http://adlnet.gov/expapi/verbs/completed",
    passed: "http://adlnet.gov/expapi/verbs/passed",
    failed: "http://adlnet.gov/expapi/verbs/failed",
    terminated: "http://adlnet.gov/expapi/verbs/terminated",
    answered: "http://adlnet.gov/expapi/verbs/answered"
  }
};

/* The five launch parameters (§8.1), or null when the page was not launched by a cmi5 LMS. */
function cmi5LaunchParameters(search) {
  var q = {};
  String(search || "").replace(/^\?/, "").split("&").forEach(function (pair) {
    if (!pair) return;
    var at = pair.indexOf("=");
    var key = at < 0 ? pair : pair.slice(0, at);
    var value = at < 0 ? "" : pair.slice(at + 1);
    try {
      q[decodeURIComponent(key.replace(/\+/g, " "))] = decodeURIComponent(value.replace(/\+/g, " "));
    } catch (e) { /* a malformed escape: ignore that parameter */ }
  });
  var names = ["endpoint", "fetch", "actor", "registration", "activityId"];
  for (var n = 0; n < names.length; n++) if (!q[names[n]]) return null;
  var actor;
  try { actor = JSON.parse(q.actor); } catch (e) { return null; }
  if (!actor || typeof actor !== "object") return null;
  return {
    endpoint: q.endpoint.charAt(q.endpoint.length - 1) === "/" ? q.endpoint : q.endpoint + "/",
    fetch: q.fetch, actor: actor, registration: q.registration, activityId: q.activityId
  };
}

/* A random (v4) UUID for statement ids (§9.1); crypto.randomUUID needs a secure context. */
function cmi5Uuid() {
  if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
  var b = new Uint8Array(16);
  window.crypto.getRandomValues(b);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  var h = [];
  for (var i = 0; i < 16; i++) h.push((b[i] + 0x100).toString(16).slice(1));
  return h.slice(0, 4).join("") + "-" + h.slice(4, 6).join("") + "-" + h.slice(6, 8).join("") + "-" +
    h.slice(8, 10).join("") + "-" + h.slice(10).join("");
}

/* ISO 8601 duration with hundredths of a second: PT1H2M3.45S (xAPI result.duration). */
function cmi5Duration(ms) {
  var cs = Math.max(0, Math.round(ms / 10));
  var h = Math.floor(cs / 360000), m = Math.floor(cs / 6000) % 60, s = Math.floor(cs / 100) % 60;
  var frac = cs % 100;
  return "PT" + h + "H" + m + "M" + s + (frac ? "." + (frac < 10 ? "0" : "") + frac : "") + "S";
}

function cmi5Copy(value) { return value === undefined ? undefined : JSON.parse(JSON.stringify(value)); }

adapters.push({
  name: "cmi5",
  connect: function (env) {
    var launch = cmi5LaunchParameters(window.location.search);
    if (!launch) return null;
    var data = env.data;
    var errors = [];
    var auth = "";

    function note(call, element, code) { errors.push({ call: call, element: element || "", code: String(code) }); }

    function query(params) {
      return Object.keys(params).map(function (k) {
        return encodeURIComponent(k) + "=" + encodeURIComponent(params[k]);
      }).join("&");
    }

    function headers(json) {
      var h = { "X-Experience-API-Version": CMI5.version };
      if (auth) h.Authorization = auth;
      if (json) h["Content-Type"] = "application/json";
      return h;
    }

    /* Synchronous request for the launch handshake only; returns {status, body} or null. */
    function request(method, url, hdrs) {
      try {
        var x = new XMLHttpRequest();
        x.open(method, url, false);
        Object.keys(hdrs).forEach(function (k) { x.setRequestHeader(k, hdrs[k]); });
        x.send(null);
        return { status: x.status, body: x.responseText };
      } catch (e) {
        note(method, url, "network");
        return null;
      }
    }

    function json(text) { try { return JSON.parse(text); } catch (e) { return null; } }

    // 1. The auth token, from a one-time POST to the fetch URL (§8.2).
    var token = request("POST", launch.fetch, {});
    var tokenBody = token && token.status === 200 ? json(token.body) : null;
    if (!tokenBody || typeof tokenBody["auth-token"] !== "string") {
      if (window.console) window.console.error("cmi5: no auth token from the fetch URL", token && token.body);
      return null;
    }
    auth = "Basic " + tokenBody["auth-token"];

    var agent = JSON.stringify(launch.actor);
    function stateUrl(stateId) {
      return launch.endpoint + "activities/state?" + query({
        stateId: stateId, activityId: launch.activityId, agent: agent, registration: launch.registration
      });
    }

    // 2. LMS.LaunchData (§10) and the learner preferences (§11; 404 when the learner set none).
    var launchResponse = request("GET", stateUrl("LMS.LaunchData"), headers(false));
    var launchData = launchResponse && launchResponse.status === 200 ? json(launchResponse.body) : null;
    if (!launchData || typeof launchData !== "object") {
      if (window.console) window.console.error("cmi5: LMS.LaunchData could not be read");
      return null;
    }
    var prefsResponse = request("GET", launch.endpoint + "agents/profile?" +
      query({ profileId: "cmi5LearnerPreferences", agent: agent }), headers(false));
    var preferences = prefsResponse && prefsResponse.status === 200 ? json(prefsResponse.body) || {} : {};

    var mode = launchData.launchMode || "Normal";
    var normal = mode === "Normal";
    var launchMastery = launchData.masteryScore === null || launchData.masteryScore === undefined ||
      launchData.masteryScore === "" ? NaN : Number(launchData.masteryScore);
    var mastery = isFinite(launchMastery) && launchMastery >= 0 && launchMastery <= 1 ? launchMastery : data.mastery;
    var template = launchData.contextTemplate && typeof launchData.contextTemplate === "object" ?
      launchData.contextTemplate : {};

    // The audio preference applies at start-up (§11.2); the page's language is the package's.
    if (preferences.audioPreference === "on" || preferences.audioPreference === "off") {
      var media = document.querySelectorAll("video, audio");
      for (var v = 0; v < media.length; v++) media[v].muted = preferences.audioPreference === "off";
    }

    // ------------------------------------------------------------ statements

    var sent = {};            // verbs sent in this session
    var saved = { state: "", location: "", final: [], sent: {} };  // the AU's state document
    var startedAt = Date.now();
    var lastStamp = 0;
    var queue = [];
    var posting = false;
    var closed = false;
    var lastVerdict = null;   // the engine's last verdict, judged again when the session ends

    function stamp() {
      lastStamp = Math.max(Date.now(), lastStamp + 1);  // strictly increasing: order is by timestamp
      return new Date(lastStamp).toISOString();
    }

    function context(defined, moveOn) {
      var ctx = cmi5Copy(template);
      ctx.registration = launch.registration;
      ctx.contextActivities = ctx.contextActivities || {};
      ctx.extensions = ctx.extensions || {};
      // The two cmi5 categories are this adapter's to set: cmi5 on defined statements, moveOn on
      // completed/passed/failed, neither on allowed ones (§9.6.2), whatever the template holds.
      var category = (ctx.contextActivities.category || []).filter(function (a) {
        return a && a.id !== CMI5.category && a.id !== CMI5.moveOn;
      });
      if (defined) category.push({ id: CMI5.category, objectType: "Activity" });
      if (moveOn) category.push({ id: CMI5.moveOn, objectType: "Activity" });
      if (category.length) ctx.contextActivities.category = category;
      else delete ctx.contextActivities.category;
      return ctx;
    }

    /* POST one batch; true when the LRS stored it. A 5xx or a network failure puts the batch back
       at the head of the queue for the next checkpoint (not at once: no retry loop against a
       failing LRS); a 4xx is the LRS refusing these statements, which sending again cannot fix. */
    function post(batch, last) {
      var body = JSON.stringify(batch);
      var init = { method: "POST", headers: headers(true), body: body, keepalive: body.length < 60000 };
      var names = batch.map(function (s) { return s.verb.id.replace(/^.*\//, ""); }).join(" ");
      return window.fetch(launch.endpoint + "statements", init).then(function (r) {
        if (r.ok) return true;
        note("POST statements", names, r.status);
        if (r.status >= 500 && !last) queue = batch.concat(queue);
        return false;
      }, function () {
        note("POST statements", names, "network");
        if (!last) queue = batch.concat(queue);
        return false;
      });
    }

    /* Send queued statements in order, one batch at a time. The last batch (failed/passed,
       terminated) waits for a batch still in flight, so the LRS never stores terminated before
       the answers and completed sent just before it (cmi5: terminated is the session's last
       statement); only when the page is already going away is it sent at once (keepalive), since
       no callback would run after unload. */
    var inflight = null;
    function flush(last) {
      if (!queue.length || (posting && !last)) return;
      var batch = queue;
      queue = [];
      if (last) {
        if (posting && inflight && document.visibilityState !== "hidden") {
          inflight.then(function () { post(batch, true); });
        } else {
          post(batch, true);
        }
        return;
      }
      posting = true;
      inflight = post(batch, false).then(function (stored) {
        posting = false;
        if (stored && queue.length && !closed) flush(false);
      });
    }

    function send(verb, result, defined, moveOn, extensions) {
      var ctx = context(defined, moveOn);
      if (extensions) Object.keys(extensions).forEach(function (k) { ctx.extensions[k] = extensions[k]; });
      var st = {
        id: cmi5Uuid(),
        actor: launch.actor,
        verb: { id: CMI5.verbs[verb], display: { "en-US": verb } },
        object: { objectType: "Activity", id: launch.activityId },
        context: ctx,
        timestamp: stamp()
      };
      if (result) st.result = result;
      queue.push(st);
      if (defined) sent[verb] = true;
    }

    function duration() { return cmi5Duration(Date.now() - startedAt); }

    function scaled(ratio) { return Math.round(ratio * 10000) / 10000; }

    function score(ratio) {
      var s = scaled(ratio);
      return { scaled: s, raw: Math.round(s * 10000) / 100, min: 0, max: 100 };
    }

    /* Can the learner still reach the mastery score? Problems answered right or out of attempts
       are final; every other one could still be answered right. */
    function passStillPossible(ratio) {
      var total = 0, open = 0;
      data.problems.forEach(function (p, k) {
        total += p.w;
        if (saved.final.indexOf(k) < 0) open += p.w;
      });
      return total > 0 && scaled(ratio + open / total) >= mastery;
    }

    function judge(verdict, ending) {
      if (!normal || !verdict || saved.sent.passed || sent.passed || sent.failed) return;
      var s = scaled(verdict.ratio);
      var ext = {};
      ext[CMI5.masteryScore] = mastery;
      if (s >= mastery) {
        send("passed", { success: true, score: score(verdict.ratio), duration: duration() }, true, true, ext);
        saved.sent.passed = true;
      } else if ((ending || !passStillPossible(verdict.ratio)) && saved.sent.failed !== s) {
        send("failed", { success: false, score: score(verdict.ratio), duration: duration() }, true, true, ext);
        saved.sent.failed = s;
      }
    }

    // ------------------------------------------------------------ state document

    var putting = false, dirty = false;

    function putState(last) {
      if (!normal) return;
      if (putting && !last) { dirty = true; return; }
      var body = JSON.stringify(saved);
      var init = { method: "PUT", headers: headers(true), body: body, keepalive: last && body.length < 60000 };
      putting = true;
      dirty = false;
      window.fetch(stateUrl(CMI5.stateId), init).then(function (r) {
        if (!r.ok) note("PUT state", CMI5.stateId, r.status);
      }, function () { note("PUT state", CMI5.stateId, "network"); }).then(function () {
        putting = false;
        if (dirty && !closed) putState(false);
      });
    }

    function interaction(p) {
      var def = { type: CMI5.interaction, name: {}, interactionType: "choice" };
      def.name[document.documentElement.lang || "und"] = p.title;
      if (p.type === "numeric") {
        def.interactionType = "numeric";
        def.correctResponsesPattern = [String(p.answer - p.tol) + "[:]" + String(p.answer + p.tol)];
      } else if (p.type === "text") {
        def.interactionType = "fill-in";
        def.correctResponsesPattern = p.answers.map(function (a) {
          return (p["case"] ? "{case_matters=true}" : "") + a;
        });
      } else {
        def.correctResponsesPattern = [p.correct.map(function (x) { return "c" + x; }).join("[,]")];
        def.choices = [];
        for (var c = 0; c < p.n; c++) def.choices.push({ id: "c" + c, description: { und: String(c + 1) } });
      }
      return def;
    }

    function response(p, value) {
      if (p.type === "single" || p.type === "multiple" || p.type === "dropdown") {
        return (Array.isArray(value) ? value : [Number(value)]).map(function (x) { return "c" + x; }).join("[,]");
      }
      return String(value === null || value === undefined ? "" : value);
    }

    return {
      name: "cmi5",
      persistent: true,
      errors: errors,
      launchData: launchData,
      restore: function () {
        var r = request("GET", stateUrl(CMI5.stateId), headers(false));
        var doc = r && r.status === 200 ? json(r.body) : null;
        if (doc && typeof doc === "object") {
          saved.state = typeof doc.state === "string" ? doc.state : "";
          saved.location = typeof doc.location === "string" ? doc.location : "";
          saved.final = Array.isArray(doc.final) ? doc.final.filter(function (k) { return typeof k === "number"; }) : [];
          saved.sent = doc.sent && typeof doc.sent === "object" ? doc.sent : {};
        }
        send("initialized", null, true, false);
        flush(false);
        return { state: saved.state, location: saved.location };
      },
      reportAnswer: function (k, answer) {
        if (!normal || closed) return;
        var p = data.problems[k];
        if ((answer.correct || (p.max > 0 && answer.attempt >= p.max)) && saved.final.indexOf(k) < 0) saved.final.push(k);
        var ctx = context(false, false);
        ctx.contextActivities.parent = (ctx.contextActivities.parent || []).concat([{ id: launch.activityId, objectType: "Activity" }]);
        var outcomes = data.objectives.filter(function (o) { return p.assesses.indexOf(o.o) >= 0; });
        if (outcomes.length) {
          ctx.contextActivities.other = (ctx.contextActivities.other || []).concat(outcomes.map(function (o) {
            return { id: o.id, objectType: "Activity", definition: { type: CMI5.objective, name: { und: o.o } } };
          }));
        }
        queue.push({
          id: cmi5Uuid(),
          actor: launch.actor,
          verb: { id: CMI5.verbs.answered, display: { "en-US": "answered" } },
          object: { objectType: "Activity", id: p.iid, definition: interaction(p) },
          result: { success: !!answer.correct, response: response(p, answer.response) },
          context: ctx,
          timestamp: stamp()
        });
      },
      reportProgress: function (r) {
        if (closed) return;
        saved.state = r.state;
        saved.location = r.location === null ? "" : r.location;
        if (!normal) return;
        if (r.completed && !saved.sent.completed && !sent.completed) {
          send("completed", { completion: true, duration: duration() }, true, true);
          saved.sent.completed = true;
        }
        judge(r.verdict, false);
        lastVerdict = r.verdict;
      },
      checkpoint: function () {
        if (closed) return;
        flush(false);
        putState(false);
      },
      finish: function () {
        if (closed) return;
        judge(lastVerdict, true);
        send("terminated", { duration: duration() }, true, false);
        closed = true;
        putState(true);
        flush(true);
      }
    };
  }
});
