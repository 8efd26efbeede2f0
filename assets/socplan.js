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

// A whole table, or a commentary, as one Dash component (dashboard/components.py, `table` and
// `commentary`): the same markup as the html components it stands for (a Th per column and a Td
// per cell, say), which Dash's renderer would handle as a component each, slowly on a page of
// long tables. React escapes every string: text stays text.
(function () {
    var own = Object.prototype.hasOwnProperty;
    function badge(h, status, style) {
        return h(
            "span",
            { className: "status-badge", style: { "--status-colour": style[1] } },
            h("span", { className: "status-shape", "aria-hidden": "true" }, style[0]),
            " " + status
        );
    }
    function Table(props) {
        var h = window.React.createElement;
        var columns = props.columns || [];
        var badges = props.badges || {};
        var marked = {};
        (props.status_columns || []).forEach(function (i) {
            marked[i] = true;
        });
        var body = (props.rows || []).map(function (row, r) {
            return h(
                "tr",
                { key: r },
                row.map(function (text, c) {
                    var style = marked[c] && text && own.call(badges, text) ? badges[text] : null;
                    return h("td", { key: c }, style ? badge(h, text, style) : text);
                })
            );
        });
        if (props.note) {
            body.push(
                h("tr", { key: "note" }, h("td", { colSpan: columns.length, className: "fst-italic" }, props.note))
            );
        }
        if (!body.length) {
            body.push(h("tr", { key: "none" }, h("td", { colSpan: Math.max(1, columns.length) }, "None")));
        }
        return h(
            "table",
            { className: props.className },
            props.caption ? h("caption", null, props.caption) : null,
            h(
                "thead",
                null,
                h(
                    "tr",
                    null,
                    columns.map(function (text, i) {
                        return h("th", { key: i, scope: "col" }, text);
                    })
                )
            ),
            h("tbody", null, body)
        );
    }
    // Under each heading its lines: "<strong>2020/21 Q1: </strong>[status badge]. text".
    function Commentary(props) {
        var h = window.React.createElement;
        var badges = props.badges || {};
        return h(
            "div",
            null,
            (props.groups || []).map(function (group, g) {
                return h(
                    "div",
                    { key: g },
                    h("h3", { className: "h6" }, group.heading),
                    h(
                        "ul",
                        null,
                        group.lines.map(function (line, i) {
                            var status = line[1];
                            var shown = own.call(badges, status) ? badge(h, status, badges[status]) : status;
                            return h("li", { key: i }, h("strong", null, line[0] + ": "), shown, ". ", line[2]);
                        })
                    )
                );
            })
        );
    }
    window.dashboard = window.dashboard || {};
    window.dashboard.Table = Table;
    window.dashboard.Commentary = Commentary;
})();
