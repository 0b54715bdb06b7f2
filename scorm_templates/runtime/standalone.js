/*
 * Standalone adapter: no LMS was found (the page was opened from disk or a plain web server).
 * The learner can still work through the problems; nothing is saved, and the engine shows the
 * notice that says so. Always last in the adapter list, so it is the fallback of every package.
 */
adapters.push({
  name: "standalone",
  connect: function () {
    function nothing() { /* nothing is tracked without an LMS */ }
    return {
      name: "standalone",
      persistent: false,
      errors: [],
      restore: function () { return { state: "", location: "" }; },
      reportAnswer: nothing,
      reportProgress: nothing,
      checkpoint: nothing,
      finish: nothing
    };
  }
});
