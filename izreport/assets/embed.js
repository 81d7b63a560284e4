// Turn each static chart into an interactive Vega view; the static SVG stays if this fails.
// Safe to run more than once (JupyterLab runs it after each chart): charts already being
// drawn are skipped.
(function () {
  if (typeof vegaEmbed !== "function") { return; }
  document.querySelectorAll(".iz-chart[data-iz-spec]").forEach(function (el) {
    var source = document.getElementById(el.getAttribute("data-iz-spec"));
    if (!source || el.querySelector(".iz-live")) { return; }
    var spec = JSON.parse(source.textContent);
    var live = document.createElement("div");
    live.className = "iz-live";
    // the chart's Vietnamese aria-label speaks for it; Vega's own ARIA words are English
    live.setAttribute("aria-hidden", "true");
    el.appendChild(live);
    vegaEmbed(live, spec, { renderer: "svg", actions: false }).then(function () {
      var still = el.querySelector(".iz-static");
      if (still) { still.remove(); }
      el.setAttribute("data-iz-drawn", "true");
    }).catch(function (err) {
      live.remove();
      el.setAttribute("data-iz-error", String(err));
    });
  });
})();
