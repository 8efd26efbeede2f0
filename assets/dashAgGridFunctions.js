// Functions the dashboard's AG Grid column definitions name (no code is fetched at run time).
var dagfuncs = (window.dashAgGridFunctions = window.dashAgGridFunctions || {});

// Sort refs like R2 before R10 (a ref once came as a markdown link: read the text out of one).
dagfuncs.naturalCompare = function (a, b) {
  var key = function (v) {
    var m = /\[([^\]]+)\]/.exec(String(v || ""));
    return (m ? m[1] : String(v || "")).split(/(\d+)/).map(function (p) {
      return /^\d+$/.test(p) ? Number(p) : p;
    });
  };
  var x = key(a), y = key(b);
  for (var i = 0; i < Math.max(x.length, y.length); i++) {
    if (x[i] === undefined) return -1;
    if (y[i] === undefined) return 1;
    if (x[i] < y[i]) return -1;
    if (x[i] > y[i]) return 1;
  }
  return 0;
};

// A recommendation's ref as a plain link: the ref is text (React escapes it), never markdown,
// so a ref holding a URL or markup shows as what it is.
var dagcomponentfuncs = (window.dashAgGridComponentFunctions =
  window.dashAgGridComponentFunctions || {});
dagcomponentfuncs.RefLink = function (props) {
  var data = props.data || {};
  return React.createElement("a", { href: data.href }, String(props.value == null ? "" : props.value));
};

// A row's height from the lines its text needs (worked out on the server): fixed heights that the
// grid can still virtualise, unlike autoHeight. Keep in step with LINE_HEIGHT and ROW_PADDING in
// dashboard/pages/recommendations.py.
dagfuncs.rowHeight = function (params) {
  var lines = (params.data && params.data.lines) || 1;
  return 18 + 21 * lines;
};
