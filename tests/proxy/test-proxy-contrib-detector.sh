#!/bin/bash
# A third-party detector inside the proxy: install this build into a
# scratch destdir, build examples/contrib-detector against the installed
# SDK, drop it into a scratch $HOME's contrib directory, name it in a
# bottle route's dlp.outbound_detectors, and send requests through the
# installed `bot-bottle proxy` to a loopback upstream that logs what it
# receives. The in-house token is refused (plain and base64-disguised)
# and never reaches the upstream; the control passes; no log, audit line
# or stderr holds the token.
#
# usage: test-proxy-contrib-detector.sh BUILD-DIR SOURCE-DIR [SANITIZERS]
set -euo pipefail

build_dir=$(realpath "$1")
source_dir=$(realpath "$2")
sanitize=${3:-none}
options=(-Dwerror=true)
if [ "$sanitize" != none ]; then
    options+=(-Db_sanitize="$sanitize" -Db_lundef=false)
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/bb-proxy-contrib.XXXXXX")
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }

# shellcheck source=../sdk/installed-sdk.sh
source "$source_dir/tests/sdk/installed-sdk.sh"
bb_install_sdk "$build_dir"

step "build examples/contrib-detector out of tree and install it into contrib"
cp -r "$source_dir/examples/contrib-detector" "$work/src"
meson setup "${options[@]}" "$work/build" "$work/src" >"$work/setup.log" 2>&1 \
    || { cat "$work/setup.log" >&2; fail "meson setup of the example failed"; }
ninja -C "$work/build" >"$work/build.log" 2>&1 \
    || { cat "$work/build.log" >&2; fail "building the example failed"; }
home="$work/home"
install -d -m 0755 "$home/.bot-bottle/contrib/acme" "$home/.bot-bottle/bottles" \
    "$home/.bot-bottle/agents"
install -m 0644 "$work/build/libbb-acme.so" "$home/.bot-bottle/contrib/acme/"

step "start a logging upstream on loopback"
cat > "$work/upstream.py" <<'PY'
import http.server, sys
log = open(sys.argv[1], "a", buffering=1)
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def handle_one(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        log.write("REQUEST %s %s\n%s\n%s\n" % (self.command, self.path, self.headers,
                                               body.decode("latin-1")))
        out = b"ok\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)
    do_GET = do_POST = handle_one
srv = http.server.HTTPServer(("127.0.0.1", 0), H)
print(srv.server_address[1], flush=True)
srv.serve_forever()
PY
python3 "$work/upstream.py" "$work/upstream.log" > "$work/upstream.port" &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/upstream.port" ] && break; sleep 0.05; done
uport=$(head -1 "$work/upstream.port")
[ -n "$uport" ] || fail "upstream did not start"

cat > "$home/.bot-bottle/bottles/web.md" <<MD
---
agent_provider:
  template: shell
egress:
  routes:
    - host: acme.test
      port: $uport
      dlp:
        outbound_detectors: [acme_keys]
        outbound_on_match: block
---
A bottle whose route is guarded by the in-house detector.
MD
printf -- '---\nbottle: web\n---\nYou test.\n' > "$home/.bot-bottle/agents/tester.md"

step "start bot-bottle proxy with the contrib detector"
mapfile -t clis < <(find "$dest" -path '*/bin/bot-bottle' -type f)
[ "${#clis[@]}" -eq 1 ] || fail "expected one installed bot-bottle binary"
pport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
(cd "$home" && exec env -u BOT_BOTTLE_NO_CONTRIB -u BOT_BOTTLE_CONFIG_DIR HOME="$home" \
    BOT_BOTTLE_PLUGIN_PATH="$plugindir" BOT_BOTTLE_DATA_DIR="$datadir" \
    LD_LIBRARY_PATH="$libdir" "${clis[0]}" proxy tester --listen "127.0.0.1:$pport" \
    --resolve "acme.test:$uport:127.0.0.1" --audit "$work/audit.log" \
    >"$work/proxy.out" 2>"$work/proxy.err") &
pids+=($!)
for _ in $(seq 1200); do grep -q "ready on port" "$work/proxy.out" 2>/dev/null && break; sleep 0.05; done
grep -q "ready on port" "$work/proxy.out" || { cat "$work/proxy.out" "$work/proxy.err" >&2; fail "proxy not ready"; }

key="acme_live_0123456789abcdef0123456789abcdef"
key_b64=$(printf '%s' "$key" | base64 -w0)
through() { curl -s -o "$work/resp.txt" -w '%{http_code}' --max-time 10 \
    --proxy "http://127.0.0.1:$pport" "$@"; }
requests() { grep -c '^REQUEST ' "$work/upstream.log" 2>/dev/null || true; }

step "control: an ordinary request passes and reaches the upstream"
code=$(through "http://acme.test:$uport/v1/ping?q=hello")
[ "$code" = 200 ] || fail "control: expected 200, got $code"
[ "$(requests)" = 1 ] || fail "control did not reach the upstream"

step "the in-house key in the query, a header and a body is refused"
code=$(through "http://acme.test:$uport/v1/ping?key=$key")
[ "$code" = 403 ] || fail "query: expected 403, got $code"
grep -q "acme_keys/acme-live-key" "$work/resp.txt" || fail "the 403 does not name the rule"
code=$(through -H "X-Deploy: $key_b64" "http://acme.test:$uport/v1/ping")
[ "$code" = 403 ] || fail "base64 header: expected 403, got $code"
code=$(through --data-binary "token=$key" "http://acme.test:$uport/v1/ping")
[ "$code" = 403 ] || fail "body: expected 403, got $code"
[ "$(requests)" = 1 ] || fail "a refused request reached the upstream"

step "near miss (31 hex digits) passes"
code=$(through "http://acme.test:$uport/v1/ping?key=acme_live_0123456789abcdef0123456789abcde")
[ "$code" = 200 ] || fail "near miss: expected 200, got $code"
[ "$(requests)" = 2 ] || fail "near miss did not reach the upstream"

step "the audit log records the decision, never the key"
grep -q '"dlp":"block' "$work/audit.log" || fail "no DLP decision in the audit log"
for f in "$work/audit.log" "$work/proxy.err" "$work/proxy.out" "$work/upstream.log"; do
    if grep -qF -e "$key" -e "$key_b64" "$f"; then fail "$(basename "$f") holds the key"; fi
done
echo "PASS"
