// Functions the dashboard's AG Grid column definitions name (no code is fetched at run time).
var dagfuncs = (window.dashAgGridFunctions = window.dashAgGridFunctions || {});

// Sort refs like R2 before R10, reading the ref out of a markdown link when there is one.
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
