// The plan switcher (a <details> in the header) closes once a plan is chosen, or on Escape:
// links inside it change the page without reloading it, so it would otherwise stay open.
document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest(".plan-switcher a");
    if (link) {
        link.closest("details").removeAttribute("open");
    }
});
document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") {
        return;
    }
    var open = document.querySelector(".plan-switcher[open]");
    if (open) {
        open.removeAttribute("open");
        open.querySelector("summary").focus();
    }
});

// The charts' plotly.js: socplan's own build of it (scatter, bar and Sankey charts only; see
// scripts/build_plotly.sh), a quarter of the full bundle Dash would load, so charts appear sooner.
// Dash's Graph loads plotly.js from window._dashPlotlyJSURL when the first chart is shown, and
// Dash's renderer sets that address when it starts: this keeps it on socplan's build.
(function () {
    var here = document.currentScript && document.currentScript.src;
    if (!here) {
        return;
    }
    var url = here.replace(/socplan\.js(\?.*)?$/, "vendor/plotly.min.js");
    Object.defineProperty(window, "_dashPlotlyJSURL", {
        configurable: true,
        get: function () {
            return url;
        },
        set: function () {},
    });
})();
