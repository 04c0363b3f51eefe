#!/usr/bin/env bash
# The VS Code end-to-end suite: installs (or reuses) Chromium, Node 24 and code-server, builds the
# extension, makes a workspace with a small real dataset, starts code-server with the extension and
# drives it with playwright-core. Screenshots: test/e2e/artifacts/ (or $SHOTS). Exit code = test result.
# EXT_MODE=vsix tests the packaged .vsix (npm run package) installed into code-server instead.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
T0=$(date +%s)
bash scripts/e2e-install.sh
T1=$(date +%s)
[ -n "${SKIP_BUILD:-}" ] || npm run --silent build
# EXT_MODE=vsix: test the packaged extension (built here unless VSIX names one) instead of this folder.
if [ "${EXT_MODE:-link}" = vsix ] && [ -z "${VSIX:-}" ]; then
  node scripts/package-vsix.mjs | tail -1
  VSIX=$(ls -t "$ROOT"/fttl-*.vsix | head -1)
  export VSIX EXT_MODE
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/fttl-e2e.XXXXXX")
node --import tsx test/e2e/workspace.ts "$WORK/workspace"
PORT=${PORT:-$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")}
export RUN=$WORK/run PORT
bash scripts/e2e-start.sh
stop() {
  # code-server runs in its own process group (e2e-start.sh): stop all of it.
  kill -- -"$(cat "$RUN/code-server.pid")" 2>/dev/null || kill "$(cat "$RUN/code-server.pid")" 2>/dev/null || true
  if [ -z "${KEEP_E2E:-}" ]; then rm -rf "$WORK"; else echo "e2e files kept in $WORK"; fi
}
trap stop EXIT
T2=$(date +%s)
rc=0
USER_SETTINGS="$RUN/data/User/settings.json" XDG_CONFIG_HOME="$RUN/xdg/chromium" URL="http://127.0.0.1:$PORT" FOLDER="$WORK/workspace" SHOTS="${SHOTS:-$ROOT/test/e2e/artifacts}" \
  node test/e2e/vscode.e2e.mjs || rc=$?
T3=$(date +%s)
if [ $rc -ne 0 ]; then
  echo "---- code-server log (tail) ----"; tail -40 "$RUN/code-server.log" || true
  echo "---- extension host log (FTTL) ----"; find "$RUN/data/logs" -name '*FTTL*' -exec tail -80 {} \; 2>/dev/null || true
fi
echo "e2e timings: install $((T1 - T0)) s, build + workspace + start $((T2 - T1)) s, test $((T3 - T2)) s"
exit $rc
