#!/bin/bash
# A third-party detector as its author meets it: install this build into a
# scratch destdir, build examples/contrib-detector against the installed
# bot-bottle-1.pc only, drop it into a scratch $HOME's contrib directory,
# and check the installed `bot-bottle scan` finds its token, plain and
# disguised (the core decode chain runs before every detector), with a
# control that stays clean.
#
# usage: test-contrib-detector.sh BUILD-DIR SOURCE-DIR [SANITIZERS]
set -euo pipefail

build_dir=$(realpath "$1")
source_dir=$(realpath "$2")
sanitize=${3:-none}
options=(-Dwerror=true)
if [ "$sanitize" != none ]; then
    options+=(-Db_sanitize="$sanitize" -Db_lundef=false)
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/bb-contrib-detector.XXXXXX")
trap 'rm -rf "$work"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
step() { echo "== $*"; }

# shellcheck source=../sdk/installed-sdk.sh
source "$source_dir/tests/sdk/installed-sdk.sh"
bb_install_sdk "$build_dir"
[ -f "$datadir/rules/token-patterns.json" ] || fail "rule pack not installed in $datadir"

step "build examples/contrib-detector out of tree"
cp -r "$source_dir/examples/contrib-detector" "$work/src"
meson setup "${options[@]}" "$work/build" "$work/src" >"$work/setup.log" 2>&1 \
    || { cat "$work/setup.log" >&2; fail "meson setup of the example failed"; }
ninja -C "$work/build" >"$work/build.log" 2>&1 \
    || { cat "$work/build.log" >&2; fail "building the example failed"; }

step "install it into a scratch HOME's contrib"
home="$work/home"
install -d -m 0755 "$home/.bot-bottle/contrib/acme"
install -m 0644 "$work/build/libbb-acme.so" "$home/.bot-bottle/contrib/acme/"

mapfile -t clis < <(find "$dest" -path '*/bin/bot-bottle' -type f)
[ "${#clis[@]}" -eq 1 ] || fail "expected one installed bot-bottle binary"
scan() {
    env -u BOT_BOTTLE_NO_CONTRIB -u BOT_BOTTLE_CONFIG_DIR HOME="$home" \
        BOT_BOTTLE_PLUGIN_PATH="$plugindir" BOT_BOTTLE_DATA_DIR="$datadir" \
        LD_LIBRARY_PATH="$libdir" "${clis[0]}" scan "$@"
}

key="acme_live_0123456789abcdef0123456789abcdef"
step "the key, plain: found by acme_keys, exit 1, never printed"
set +e
out=$(printf 'deploy key=%s\n' "$key" | scan -); status=$?
set -e
echo "$out"
[ "$status" -eq 1 ] || fail "expected exit 1, got $status"
grep -q "acme-live-key \[acme_keys\]" <<<"$out" || fail "acme_keys did not report the key"
grep -qF "$key" <<<"$out" && fail "the key itself was printed"

step "the key, base64-encoded: the decode chain hands it to acme_keys"
set +e
out=$(printf 'blob %s\n' "$(printf '%s' "$key" | base64 -w0)" | scan -); status=$?
set -e
[ "$status" -eq 1 ] || fail "base64 key: expected exit 1, got $status"
grep -q "acme-live-key \[acme_keys\]" <<<"$out" || fail "base64 key not reported"

step "control: a near miss (31 hex digits) is clean"
printf 'key=acme_live_0123456789abcdef0123456789abcde\n' | scan - >/dev/null \
    || fail "a near miss was flagged"

echo "PASS"
