/*
 * SCORM 2004 adapter (window.API_1484_11). Maps the engine's reports onto the 2004 data model:
 * cmi.completion_status, cmi.success_status, cmi.score.* (raw too: Moodle grades from raw only),
 * cmi.objectives.n.*, one cmi.interactions.n record per problem (updated on each attempt),
 * cmi.suspend_data, cmi.location; ISO 8601 time(second,10,0) and timeinterval(second,10,2).
 *
 * No score and no success_status before the engine has a verdict: with satisfiedByMeasure the LMS
 * derives success_status from score.scaled and cmi.scaled_passing_score, so a partial score would
 * record "failed" for a learner who can still pass.
 */
adapters.push({
  name: "scorm2004",
  connect: function (env) {
    var s = scormSession(scormFind("API_1484_11"), {
      init: "Initialize", finish: "Terminate", get: "GetValue", set: "SetValue",
      commit: "Commit", error: "GetLastError"
    });
    if (!s) return null;
    var data = env.data;
    var objectiveIndex = {};
    var interactionIndex = {};   // interaction id -> index, read once at restore
    var interactions = 0;

    function choiceIds(indices) {
      return indices.map(function (x) { return "c" + x; }).join("[,]");
    }

    /* Fill-in strings: no "[,]"/"[.]" delimiters, no leading "{" (read as a language tag). */
    function fillIn(v, max) {
      v = String(v).replace(/\[[,.]\]/g, " ").replace(/[\r\n]+/g, " ");
      if (v.charAt(0) === "{") v = "(" + v.slice(1);
      return v.slice(0, max);
    }

    /* real(10,7) as Moodle stores it: its CMIDecimal allows at most 5 integer digits and answers
       406 to more, so such a number is left out (the interaction's result is still recorded). */
    function decimal(n) {
      var v = scormNumber(n);
      return v !== null && /^-?\d{1,5}(\.\d+)?$/.test(v) ? v : null;
    }

    /* time(second,10,0) is YYYY-MM-DDThh:mm:ss.s[TZD] with 1-2 fractional digits, and a time zone
       only after them: toISOString()'s 3 digits are rejected (Moodle 4.5: 406), so are whole
       seconds with "Z" (scorm-again, Moodle). Hundredths of a second in UTC. */
    function timestamp(d) {
      return d.toISOString().slice(0, 22) + "Z";
    }

    /* timeinterval(second,10,2): PThHmMs.ssS. */
    function interval(ms) {
      var cs = Math.max(0, Math.round(ms / 10));
      var h = Math.floor(cs / 360000), m = Math.floor(cs / 6000) % 60, sec = Math.floor(cs / 100) % 60;
      var frac = cs % 100;
      return "PT" + h + "H" + m + "M" + sec + (frac ? "." + scormPad(frac, 2) : "") + "S";
    }

    return {
      name: "scorm2004",
      persistent: true,
      errors: s.errors,
      restore: function () {
        var out = { state: "", location: "" };
        if ((s.get("cmi.entry") || "") !== "ab-initio") {
          out.state = s.get("cmi.suspend_data", ["403"]) || "";
          out.location = s.get("cmi.location", ["403"]) || "";
        }
        var cs = s.get("cmi.completion_status", ["403"]);
        if (cs === null || cs === "unknown" || cs === "not attempted") s.set("cmi.completion_status", "incomplete");
        interactions = parseInt(s.get("cmi.interactions._count") || "0", 10) || 0;
        for (var x = 0; x < interactions; x++) {
          var id = s.get("cmi.interactions." + x + ".id", ["403"]);
          if (id !== null && !Object.prototype.hasOwnProperty.call(interactionIndex, id)) interactionIndex[id] = x;
        }
        objectiveIndex = scormObjectives(s, data.objectives);
        return out;
      },
      reportAnswer: function (k, answer) {
        var p = data.problems[k];
        var fresh = !Object.prototype.hasOwnProperty.call(interactionIndex, p.iid);
        var n = fresh ? interactions : interactionIndex[p.iid];
        var base = "cmi.interactions." + n + ".";
        var type = p.type === "numeric" ? "numeric" : p.type === "text" ? "fill-in" : "choice";
        if (fresh) {
          if (!s.set(base + "id", p.iid)) return;
          interactionIndex[p.iid] = n;
          interactions++;
          var objective = p.assesses.length ? data.objectives.filter(function (o) { return o.o === p.assesses[0]; })[0] : null;
          if (objective) s.set(base + "objectives.0.id", objective.id);
          s.set(base + "type", type);
          if (type === "choice") {
            s.set(base + "correct_responses.0.pattern", choiceIds(p.correct));
          } else if (type === "numeric") {
            var lo = decimal(p.answer - p.tol), hi = decimal(p.answer + p.tol);
            if (lo !== null && hi !== null) s.set(base + "correct_responses.0.pattern", lo + "[:]" + hi);
          } else {
            p.answers.slice(0, 10).forEach(function (a, i2) {
              var pattern = fillIn(a, 250);
              if (p["case"]) pattern = "{case_matters=true}" + pattern;
              s.set(base + "correct_responses." + i2 + ".pattern", pattern);
            });
          }
          s.set(base + "weighting", scormDecimal(p.w, 4));
          s.set(base + "description", fillIn(p.title, 250));
        }
        var resp = null;
        if (type === "choice") resp = choiceIds(Array.isArray(answer.response) ? answer.response : [Number(answer.response)]);
        else if (type === "numeric") resp = decimal(answer.response === null ? null : Number(String(answer.response).trim()));
        else resp = fillIn(answer.response || "", 250);
        s.set(base + "timestamp", timestamp(answer.at));
        if (resp !== null) s.set(base + "learner_response", resp);
        s.set(base + "result", answer.correct ? "correct" : "incorrect");
      },
      reportProgress: function (r) {
        /* 2004 keeps completion and success apart, so a verdict waits for completion too: an
           incomplete SCO (a course SCO with a page still unread) may yet be retried into a pass. */
        var verdict = r.completed ? r.verdict : null;
        if (verdict) {
          s.set("cmi.score.min", "0");
          s.set("cmi.score.max", "100");
          s.set("cmi.score.raw", scormDecimal(verdict.ratio * 100, 2));
          s.set("cmi.score.scaled", scormDecimal(verdict.ratio, 4));
        }
        s.set("cmi.completion_status", r.completed ? "completed" : "incomplete");
        if (verdict) s.set("cmi.success_status", verdict.passed ? "passed" : "failed");
        r.objectives.forEach(function (o) {
          var n = objectiveIndex[o.o];
          if (n === undefined) return;
          var base = "cmi.objectives." + n + ".";
          if (!o.assessed) {
            s.set(base + "completion_status", o.seen ? "completed" : "incomplete");
          } else if (!o.done) {
            s.set(base + "completion_status", "incomplete");
          } else {
            s.set(base + "score.min", "0");
            s.set(base + "score.max", "100");
            s.set(base + "score.raw", scormDecimal(o.ratio * 100, 2));
            s.set(base + "score.scaled", scormDecimal(o.ratio, 4));
            s.set(base + "success_status", o.passed ? "passed" : "failed");
            s.set(base + "completion_status", "completed");
          }
        });
        if (r.location !== null) s.set("cmi.location", r.location);
        s.set("cmi.suspend_data", r.state);
      },
      checkpoint: function () { s.commit(); },
      finish: function (ms) {
        s.set("cmi.exit", "suspend");
        s.set("cmi.session_time", interval(ms));
        s.commit();
        s.finish();
      }
    };
  }
});
