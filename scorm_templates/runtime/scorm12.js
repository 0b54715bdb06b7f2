/*
 * SCORM 1.2 adapter (window.API). Maps the engine's reports onto the 1.2 data model:
 * cmi.core.lesson_status, cmi.core.score.*, cmi.objectives.n.*, journaled cmi.interactions.n.*,
 * cmi.suspend_data (CMIString4096), cmi.core.lesson_location; CMITime/CMITimespan formats.
 *
 * No score is sent before the engine has a verdict: with adlcp:masteryscore in the manifest the
 * LMS turns any cmi.core.score.raw into passed/failed at LMSFinish (Moodle: masteryoverride), so
 * a partial score would judge an unfinished SCO.
 */
adapters.push({
  name: "scorm12",
  connect: function (env) {
    var s = scormSession(scormFind("API"), {
      init: "LMSInitialize", finish: "LMSFinish", get: "LMSGetValue", set: "LMSSetValue",
      commit: "LMSCommit", error: "LMSGetLastError"
    });
    if (!s) return null;
    var data = env.data;
    var objectiveIndex = {};
    var interactions = 0;   // write-only in 1.2: every attempt is journaled as a new record

    var LETTERS = "abcdefghijklmnopqrstuvwxyz";

    function choiceIds(indices) {
      return indices.map(function (x) { return LETTERS.charAt(x) || String(x); }).join(",");
    }

    /* CMITime: HH:MM:SS on the learner's clock. */
    function timeOfDay(d) {
      return scormPad(d.getHours(), 2) + ":" + scormPad(d.getMinutes(), 2) + ":" + scormPad(d.getSeconds(), 2);
    }

    /* CMITimespan: HHHH:MM:SS.SS (hours capped at 9999). */
    function timespan(ms) {
      var cs = Math.min(Math.max(0, Math.round(ms / 10)), 9999 * 360000 + 359999);
      var h = Math.floor(cs / 360000), m = Math.floor(cs / 6000) % 60, sec = Math.floor(cs / 100) % 60;
      return scormPad(h, 4) + ":" + scormPad(m, 2) + ":" + scormPad(sec, 2) + "." + scormPad(cs % 100, 2);
    }

    function text255(v) { return String(v).replace(/[\r\n]+/g, " ").slice(0, 255); }

    return {
      name: "scorm12",
      persistent: true,
      errors: s.errors,
      restore: function () {
        var out = { state: "", location: "" };
        if ((s.get("cmi.core.entry") || "") !== "ab-initio") {
          out.state = s.get("cmi.suspend_data", ["403"]) || "";
          out.location = s.get("cmi.core.lesson_location", ["403"]) || "";
        }
        var st = s.get("cmi.core.lesson_status");
        if (st === "not attempted" || st === "") s.set("cmi.core.lesson_status", "incomplete");
        interactions = parseInt(s.get("cmi.interactions._count") || "0", 10) || 0;
        objectiveIndex = scormObjectives(s, data.objectives);
        return out;
      },
      reportAnswer: function (k, answer) {
        var p = data.problems[k];
        var n = interactions;
        var base = "cmi.interactions." + n + ".";
        if (!s.set(base + "id", p.iid)) return;
        interactions++;
        var objective = p.assesses.length ? data.objectives.filter(function (o) { return o.o === p.assesses[0]; })[0] : null;
        if (objective) s.set(base + "objectives.0.id", objective.id);
        var type = p.type === "numeric" ? "numeric" : p.type === "text" ? "fill-in" : "choice";
        s.set(base + "type", type);
        var resp = null;
        if (type === "choice") {
          s.set(base + "correct_responses.0.pattern", choiceIds(p.correct));
          resp = choiceIds(Array.isArray(answer.response) ? answer.response : [Number(answer.response)]);
        } else if (type === "numeric") {
          var pattern = scormNumber(p.answer);
          if (pattern !== null) s.set(base + "correct_responses.0.pattern", pattern);
          resp = scormNumber(answer.response === null ? null : Number(String(answer.response).trim()));
        } else {
          if (p.answers.length) s.set(base + "correct_responses.0.pattern", text255(p.answers[0]));
          resp = text255(answer.response || "");
        }
        s.set(base + "weighting", scormDecimal(p.w, 4));
        s.set(base + "time", timeOfDay(answer.at));
        if (resp !== null) s.set(base + "student_response", resp);
        s.set(base + "result", answer.correct ? "correct" : "wrong");
      },
      reportProgress: function (r) {
        if (r.verdict) {
          s.set("cmi.core.score.min", "0");
          s.set("cmi.core.score.max", "100");
          s.set("cmi.core.score.raw", scormDecimal(r.verdict.ratio * 100, 2));
        }
        /* 1.2 has one status: a verdict is final (passed also means completed to a 1.2 LMS, and
           with a mastery score the LMS would set it from score.raw anyway). */
        var status = r.verdict ? (r.verdict.passed ? "passed" : "failed") : r.completed ? "completed" : "incomplete";
        s.set("cmi.core.lesson_status", status);
        r.objectives.forEach(function (o) {
          var n = objectiveIndex[o.o];
          if (n === undefined) return;
          var base = "cmi.objectives." + n + ".";
          if (!o.assessed) {
            s.set(base + "status", o.seen ? "completed" : "incomplete");
          } else if (!o.done) {
            s.set(base + "status", "incomplete");
          } else {
            s.set(base + "score.min", "0");
            s.set(base + "score.max", "100");
            s.set(base + "score.raw", scormDecimal(o.ratio * 100, 2));
            s.set(base + "status", o.passed ? "passed" : "failed");
          }
        });
        if (r.location !== null) s.set("cmi.core.lesson_location", r.location);
        s.set("cmi.suspend_data", r.state);
      },
      checkpoint: function () { s.commit(); },
      finish: function (ms) {
        s.set("cmi.core.exit", "suspend");
        s.set("cmi.core.session_time", timespan(ms));
        s.commit();
        s.finish();
      }
    };
  }
});
