#!/usr/bin/env bash
# Proves the install path of README "Install into a config repo" for real: `npm pack`, then a fresh config
# repository installs the tarball with --omit=optional (no better-sqlite3, no native build) and, against an
# `orgctl serve` started from this repository's build, runs import, plan --detailed-exitcode, apply and drift;
# the $schema modeline of the imported file resolves after `npm ci`; CI without an endpoint refuses; the
# sandbox says sqlite_unavailable. Needs a built dist/ (npm ci or npm run build) and registry access for the
# tarball's dependencies. Run by .ci/run; about a minute.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD

fail() {
  echo "check-pack: FAILED: $*" >&2
  exit 1
}

[ -f dist/cmd/orgctl.js ] || npm run build >/dev/null

WORK=$(mktemp -d "${TMPDIR:-/tmp}/orgctl-pack-XXXXXX")
SERVE_PID=""
cleanup() {
  if [ -n "$SERVE_PID" ]; then kill "$SERVE_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# dist/ is already built by npm ci (prepare); packing does not need to build it again.
TARBALL=$(npm pack --ignore-scripts --silent --pack-destination "$WORK")
echo "check-pack: packed $TARBALL"
tar tzf "$WORK/$TARBALL" >"$WORK/contents"
grep -qx 'package/dist/cmd/orgctl.js' "$WORK/contents" || fail "the tarball has no dist/cmd/orgctl.js"
grep -qx 'package/schemas/org.schema.json' "$WORK/contents" || fail "the tarball has no schemas/"
! grep -q '^package/dist/bench/' "$WORK/contents" || fail "the tarball ships the benchmarks (dist/bench)"

TOKEN="oct_check-pack-$(node -e 'process.stdout.write(require("node:crypto").randomBytes(24).toString("hex"))')"
ORGCTL_BOOTSTRAP_TOKEN=$TOKEN node "$REPO/dist/cmd/orgctl.js" serve --db "$WORK/console.db" --port 0 \
  >"$WORK/serve.log" 2>&1 &
SERVE_PID=$!
for _ in $(seq 1 100); do
  grep -q 'listening on' "$WORK/serve.log" && break
  kill -0 "$SERVE_PID" 2>/dev/null || fail "orgctl serve exited: $(cat "$WORK/serve.log")"
  sleep 0.1
done
ENDPOINT=$(sed -n 's/.*listening on \(http:\/\/[^ ]*\).*/\1/p' "$WORK/serve.log" | head -1)
[ -n "$ENDPOINT" ] || fail "orgctl serve did not start: $(cat "$WORK/serve.log")"

CONFIG="$WORK/config-repo"
mkdir -p "$CONFIG"
cd "$CONFIG"
npm init -y >/dev/null
cp "$WORK/$TARBALL" .
npm i -D "./$TARBALL" --omit=optional --no-audit --no-fund --loglevel=error >/dev/null 2>"$WORK/npm.err" ||
  fail "npm i -D ./$TARBALL --omit=optional: $(cat "$WORK/npm.err")"
[ ! -e node_modules/better-sqlite3 ] || fail "better-sqlite3 was installed despite --omit=optional"
ORGCTL=./node_modules/.bin/orgctl

export CI=true ORGCTL_ENDPOINT=$ENDPOINT ORGCTL_TOKEN=$TOKEN NO_COLOR=1
"$ORGCTL" import --out org.yaml 2>/dev/null || fail "orgctl import"
MODELINE=$(sed -n 's/^# yaml-language-server: \$schema=//p' org.yaml | head -1)
[ "$MODELINE" = "node_modules/orgctl/schemas/org.schema.json" ] || fail "modeline is '$MODELINE'"
"$ORGCTL" plan --detailed-exitcode >/dev/null || fail "plan of the imported file did not exit 0"
cat >>org.yaml <<'YAML'
  - login: pack-check
    first_name: Pack
    last_name: Check
    email: pack-check@console.test
    plan: free
YAML
code=0
"$ORGCTL" plan --detailed-exitcode >/dev/null || code=$?
[ "$code" = 2 ] || fail "plan with a new user exited $code, not 2"
"$ORGCTL" apply --auto-approve >"$WORK/apply.log" || fail "apply: $(cat "$WORK/apply.log")"
grep -q "to $ENDPOINT" "$WORK/apply.log" || fail "apply's output does not name $ENDPOINT"
"$ORGCTL" drift >/dev/null || fail "drift after apply did not exit 0"

# A teammate's clone: npm ci, and the modeline resolves.
rm -rf node_modules
npm ci --omit=optional --no-audit --no-fund --loglevel=error >/dev/null 2>"$WORK/npm.err" ||
  fail "npm ci --omit=optional: $(cat "$WORK/npm.err")"
[ -f "$MODELINE" ] || fail "$MODELINE does not exist after npm ci"

code=0
ORGCTL_ENDPOINT='' "$ORGCTL" plan 2>"$WORK/err" >/dev/null || code=$?
[ "$code" = 1 ] && grep -q 'no_console: .*ORGCTL_ENDPOINT' "$WORK/err" || fail "CI without an endpoint: exit $code, $(cat "$WORK/err")"
code=0
ORGCTL_ENDPOINT='' "$ORGCTL" plan --sandbox sandbox.db 2>"$WORK/err" >/dev/null || code=$?
[ "$code" = 1 ] && grep -q 'sqlite_unavailable' "$WORK/err" || fail "sandbox without SQLite: exit $code, $(cat "$WORK/err")"

echo "check-pack: ok ($TARBALL installed with --omit=optional: import, plan, apply, drift against $ENDPOINT)"
