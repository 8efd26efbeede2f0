#!/usr/bin/env bash
# Rebuild src/socplan/reporting/vendor/plotly.min.js: plotly.js with only the trace types socplan's
# charts use (scatter, which the core holds, bar and sankey), about a quarter of the full bundle's
# size. The dashboard's charts and the export server's browser (chart images, the PDF report)
# load it: both start drawing sooner. The version is the one the installed plotly (Python) carries, so
# figures made in Python mean the same to it. Needs Node.js and npm (the npm registry); nothing
# at run time or in the tests needs them.
#
#     bash scripts/build_plotly.sh     # after upgrading plotly, or to add a trace type
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(.venv/bin/python -c 'from plotly.offline import get_plotlyjs_version as v; print(v())')
traces=(bar sankey)  # scatter is in plotly.js's core
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(
    cd "$work"
    npm init -y >/dev/null
    npm install --silent --no-audit --no-fund "plotly.js@$version" esbuild@0.28.2
    {
        echo "var Plotly = require('plotly.js/lib/core');"
        echo "Plotly.register(["
        for t in "${traces[@]}"; do echo "    require('plotly.js/lib/$t'),"; done
        echo "]);"
        echo "module.exports = Plotly;"
    } >entry.js
    # The options of plotly.js's own build (esbuild-config.js), less the plugins for WebGL
    # shaders and CSS, which these trace types do not use.
    node_modules/.bin/esbuild entry.js --bundle --minify --format=iife --global-name=Plotly \
        --target=es2016 --define:global=window --define:define.amd=false \
        --alias:stream=stream-browserify --loader:.css=empty --legal-comments=eof \
        --banner:js="/* plotly.js v$version (core, ${traces[*]}) built for socplan by scripts/build_plotly.sh. Copyright 2012-2026, Plotly, Inc. MIT licence. */" \
        --outfile=plotly.min.js --log-level=warning
)
cp "$work/plotly.min.js" src/socplan/reporting/vendor/plotly.min.js
echo "src/socplan/reporting/vendor/plotly.min.js: plotly.js $version, $(wc -c <src/socplan/reporting/vendor/plotly.min.js) bytes"
