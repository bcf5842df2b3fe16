#!/bin/bash
# The plugin SDK as a third party meets it: install this build into a
# scratch destdir, build examples/hello-plugin against the installed
# bot-bottle-1.pc only, drop it into a scratch $HOME's contrib directory
# and load it. Every step fails the test loudly.
#
# usage: test-out-of-tree.sh BUILD-DIR SOURCE-DIR [SANITIZERS]
set -euo pipefail

build_dir=$(realpath "$1")
source_dir=$(realpath "$2")
# A sanitized libbotbottle needs the sanitizer runtime in the program
# that loads it, so the third-party side is built the same way.
sanitize=${3:-none}
san_cflags=()
hello_options=()
if [ "$sanitize" != none ]; then
    san_cflags=(-fsanitize="$sanitize")
    hello_options=(-Db_sanitize="$sanitize" -Db_lundef=false)
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/bb-sdk-test.XXXXXX")
trap 'rm -rf "$work"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }

# shellcheck source=installed-sdk.sh
source "$source_dir/tests/sdk/installed-sdk.sh"
bb_install_sdk "$build_dir"

step "check the SDK variables"
pc() { pkg-config --variable="$1" bot-bottle-1; }
version_h="$(pkg-config --variable=includedir bot-bottle-1)/bot-bottle-1/bb-version.h"
[ -f "$version_h" ] || fail "bb-version.h not installed at $version_h"
header_major=$(sed -n 's/^#define BB_PLUGIN_ABI_MAJOR //p' "$version_h")
header_minor=$(sed -n 's/^#define BB_PLUGIN_ABI_MINOR //p' "$version_h")
[ "$(pc abi_major)" = "$header_major" ] || fail "abi_major $(pc abi_major) != header $header_major"
[ "$(pc abi_minor)" = "$header_minor" ] || fail "abi_minor $(pc abi_minor) != header $header_minor"
# shellcheck disable=SC2088 # the literal, unexpanded "~" is the contract
[ "$(pc contribdir)" = "~/.bot-bottle/contrib" ] || fail "contribdir is '$(pc contribdir)'"
plugindir=$(pc plugindir)
libdir=$(pc libdir)
[ -f "$plugindir/libbb-bearer.so" ] || fail "built-in bearer plugin not installed in $plugindir"
[ -f "$plugindir/libbb-token.so" ] || fail "built-in token plugin not installed in $plugindir"

step "build examples/hello-plugin out of tree"
cp -r "$source_dir/examples/hello-plugin" "$work/hello-src"
meson setup "${hello_options[@]}" "$work/hello-build" "$work/hello-src" >"$work/hello-setup.log" 2>&1 \
    || { cat "$work/hello-setup.log" >&2; fail "meson setup of the example failed"; }
ninja -C "$work/hello-build" >"$work/hello-build.log" 2>&1 \
    || { cat "$work/hello-build.log" >&2; fail "building the example failed"; }
[ -f "$work/hello-build/libbb-hello.so" ] || fail "example did not produce libbb-hello.so"

step "install it into a scratch HOME's contrib"
home="$work/home"
contrib="$home/.bot-bottle/contrib"
install -d -m 0755 "$contrib/hello"
install -m 0644 "$work/hello-build/libbb-hello.so" "$contrib/hello/"

# The installed CLI, run as a user would, with the installed built-ins
# standing in for its configured plugin directory.
mapfile -t clis < <(find "$dest" -path '*/bin/bot-bottle' -type f)
[ "${#clis[@]}" -eq 1 ] || fail "expected one installed bot-bottle binary, found ${#clis[@]}"
run_installed() {
    env -u BOT_BOTTLE_NO_CONTRIB -u BOT_BOTTLE_CONFIG_DIR HOME="$home" \
        BOT_BOTTLE_PLUGIN_PATH="$plugindir" LD_LIBRARY_PATH="$libdir" "$@"
}
# check_plugins JSON PLUGIN STATUS TAINTED CONTRIB_DISABLED [ERROR-SUBSTRING]
check_plugins() {
    python3 - "$@" <<'PY' || fail "bot-bottle plugins --json did not show what was expected"
import json, sys
doc, name, status, tainted, disabled = sys.argv[1:6]
error = sys.argv[6] if len(sys.argv) > 6 else None
doc = json.loads(doc)
def check(ok, what):
    if not ok:
        sys.exit("bot-bottle plugins --json: " + what)
mine = [p for p in doc["plugins"] if p["origin"] == "contrib"]
check(len(mine) == 1, "expected one contrib entry, got %r" % mine)
p = mine[0]
check(p["status"] == status, "hello is %r, expected %r (%r)" % (p["status"], status, p["error"]))
if status == "loaded":
    check(p["name"] == name and p["kinds"] == ["auth"], "hello entry wrong: %r" % p)
if error is not None:
    check(error in (p["error"] or ""), "error %r lacks %r" % (p["error"], error))
builtins = {q["name"]: q["status"] for q in doc["plugins"] if q["origin"] == "built-in"}
check(builtins.get("bearer") == "loaded" and builtins.get("token") == "loaded",
      "installed built-ins not loaded: %r" % builtins)
check(doc["tainted"] == (tainted == "yes"), "tainted is %r" % doc["tainted"])
check(doc["contrib_disabled"] == (disabled == "yes"), "contrib_disabled is %r" % doc["contrib_disabled"])
PY
}

step "bot-bottle plugins --json (installed) loads it from contrib"
json=$(run_installed "${clis[0]}" plugins --json) || fail "bot-bottle plugins --json failed"
check_plugins "$json" hello loaded yes no

step "BOT_BOTTLE_NO_CONTRIB=1 leaves it unopened"
json=$(run_installed env BOT_BOTTLE_NO_CONTRIB=1 "${clis[0]}" plugins --json) \
    || fail "bot-bottle plugins --json failed with contrib disabled"
check_plugins "$json" hello disabled no yes

step "use the scheme through a program built against the installed SDK"
# The CLI shows the plugin loaded; this shows what it registered works.
# shellcheck disable=SC2046
"${CC:-cc}" "${san_cflags[@]}" -o "$work/sdk-load" "$source_dir/tests/sdk/sdk-load.c" \
    $(pkg-config --cflags --libs bot-bottle-1) || fail "cannot build against the installed SDK"
out=$(run_installed "$work/sdk-load" "$contrib" x-api-key k3y-value) || fail "loading failed: $out"
echo "$out"
grep -qx "plugin hello contrib loaded" <<<"$out" || fail "hello did not load from contrib"
grep -qx "header X-Api-Key: k3y-value" <<<"$out" || fail "x-api-key did not build its header"

step "control: a group-writable copy is refused, naming the fix, and never opened"
chmod g+w "$contrib/hello/libbb-hello.so"
json=$(run_installed "${clis[0]}" plugins --json) || fail "a broken contrib plugin failed the CLI"
check_plugins "$json" hello failed no no \
    "libbb-hello.so is writable by group or others (mode 0664); run chmod go-w"

step "build examples/contrib-provider out of tree"
rm -rf "$contrib/hello"
cp -r "$source_dir/examples/contrib-provider" "$work/provider-src"
meson setup "${hello_options[@]}" "$work/provider-build" "$work/provider-src" >"$work/provider-setup.log" 2>&1 \
    || { cat "$work/provider-setup.log" >&2; fail "meson setup of the contrib provider failed"; }
ninja -C "$work/provider-build" >"$work/provider-build.log" 2>&1 \
    || { cat "$work/provider-build.log" >&2; fail "building the contrib provider failed"; }
[ -f "$work/provider-build/libbb-acme-provider.so" ] || fail "no libbb-acme-provider.so"

step "install it with its Dockerfile into contrib/acme and select it by name"
install -d -m 0755 "$contrib/acme" "$home/.bot-bottle/bottles" "$home/.bot-bottle/agents"
install -m 0644 "$work/provider-build/libbb-acme-provider.so" \
    "$source_dir/examples/contrib-provider/Dockerfile" "$contrib/acme/"
cat >"$home/.bot-bottle/bottles/acme-dev.md" <<'MD'
---
agent_provider:
  template: acme
  auth_token: ACME_HOST_KEY
---
MD
cat >"$home/.bot-bottle/agents/builder.md" <<'MD'
---
bottle: acme-dev
---
Build the thing.
MD
run_installed "${clis[0]}" check >"$work/check.log" 2>&1 \
    || { cat "$work/check.log" >&2; fail "bot-bottle check refused a bottle using the contrib provider"; }
json=$(run_installed "${clis[0]}" info builder --json) || fail "bot-bottle info builder failed"
python3 - "$json" "$contrib/acme/Dockerfile" <<'PY' || fail "info did not select the contrib provider"
import json, sys
plan, dockerfile = json.loads(sys.argv[1]), sys.argv[2]
def check(ok, what):
    if not ok:
        sys.exit("bot-bottle info --json: " + what)
check(plan["provider"]["template"] == "acme", "provider is %r" % plan["provider"])
check(plan["provider"]["dockerfile"] == dockerfile, "dockerfile is %r" % plan["provider"]["dockerfile"])
hosts = {r["host"]: r for r in plan["routes"]}
check("api.acme.test" in hosts, "no provider route api.acme.test in %r" % list(hosts))
PY

step "control: without the module the same bottle names the missing provider"
mv "$contrib/acme/libbb-acme-provider.so" "$work/"
if out=$(run_installed "${clis[0]}" check 2>&1); then fail "check passed without the provider module"; fi
grep -q "no provider named 'acme'" <<<"$out" || fail "check did not name the missing provider: $out"

step "launch it: bot-bottle run in a real bottle, prompt where the provider put it"
mv "$work/libbb-acme-provider.so" "$contrib/acme/"
mapfile -t sidecars < <(find "$dest" -name bb-sidecar -type f)
mapfile -t datadirs < <(find "$dest" -type d -path '*/share/bot-bottle')
[ "${#datadirs[@]}" -eq 1 ] || fail "expected one installed share/bot-bottle, found ${#datadirs[@]}"
[ "${#sidecars[@]}" -eq 1 ] || fail "expected one installed bb-sidecar, found ${#sidecars[@]}"
out=$(run_installed env ACME_HOST_KEY=host-side-key BOT_BOTTLE_SIDECAR="${sidecars[0]}" \
    BOT_BOTTLE_DATA_DIR="${datadirs[0]}" timeout 300 "${clis[0]}" run builder -- \
    sh -c 'acme-agent; cat ~/.acme/PROMPT.md; echo "key=$ACME_API_KEY"' 2>"$work/run.err") \
    || { cat "$work/run.err" >&2; fail "bot-bottle run with the contrib provider failed"; }
grep -qx "acme-agent 1.0" <<<"$out" || fail "the contrib Dockerfile's image did not run: $out"
grep -q "Build the thing." <<<"$out" || fail "the provider's prompt override did not land: $out"
grep -qx "key=bot-bottle-placeholder-injected-by-proxy" <<<"$out" || fail "placeholder env: $out"
if grep -q "host-side-key" <<<"$out"; then fail "the host's key reached the agent"; fi

echo "PASS"
