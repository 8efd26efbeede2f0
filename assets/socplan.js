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
// Dash's renderer sets that address when it starts: this keeps it on socplan's build, at the
// address the meta tag "socplan-charts" gives (dashboard/app.py: named by the file's
// modification time, so the browser keeps it rather than asking again on every page).
(function () {
    var meta = document.querySelector('meta[name="socplan-charts"]');
    var charts = null;
    try {
        charts = meta ? JSON.parse(meta.content) : null;
    } catch (error) {
        return; // Dash's own plotly.js then, loaded with the first chart
    }
    if (!charts) {
        return;
    }
    var url = charts.plotly;
    Object.defineProperty(window, "_dashPlotlyJSURL", {
        configurable: true,
        get: function () {
            return url;
        },
        set: function () {},
    });

    // plotly.js takes a good 150 ms to start, which Dash's Graph would only begin once the page
    // is drawn. On a page with charts (the meta tag lists their paths), the renderer's first
    // callback starts it instead (its request_pre hook calls this), so that it starts while the
    // page's content is on its way from the server. Graph waits for it rather than loading a
    // second copy: it takes window.Plotly, a promise of plotly.js until plotly.js replaces it
    // with itself.
    var pages = charts.pages.map(function (template) {
        var pattern = template.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/<[^>]*>/g, "[^/]+");
        return new RegExp("^" + pattern + "/?$");
    });
    window.socplanStartPlotly = function () {
        if (window.Plotly) {
            return; // started already, or there: every callback after the first ends here
        }
        var path = window.location.pathname;
        var charted = pages.some(function (page) {
            return page.test(path);
        });
        if (!charted) {
            return;
        }
        var promise = {};
        var loading = new Promise(function (resolve, reject) {
            var script = document.createElement("script");
            script.src = url;
            script.async = true;
            script.onload = function () {
                if (window.Plotly === promise) {
                    window.Plotly = undefined; // plotly.js failed as it started: Graph says so
                    reject(new Error("plotly.js did not start"));
                } else {
                    resolve(window.Plotly);
                }
            };
            script.onerror = function (error) {
                window.Plotly = undefined;
                reject(error);
            };
            document.body.appendChild(script);
        });
        promise.then = function (done, failed) {
            return loading.then(done, failed);
        };
        window.Plotly = promise;
        // Graph's own code, which Dash asks for only once a chart is on the page: asked for
        // now, the answer is there when Graph asks.
        var graph = document.createElement("link");
        graph.rel = "preload";
        graph.as = "script";
        graph.href = charts.graph;
        document.head.appendChild(graph);
    };
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
