#!/bin/bash
# `bot-bottle demo` end to end on the real Docker engine with the real
# sidecar: exit 0, and every narrated step's outcome asserted from --json
# (each check must be present by name and pass), plus the text narration.
# usage: test-demo.sh BOT-BOTTLE
set -euo pipefail
bin=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/bb-demo-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# A fresh HOME: the demo needs no configuration and no credentials.
export HOME="$work/home"
mkdir -p "$HOME"
unset BOT_BOTTLE_CONFIG_DIR

timeout 600 "$bin" demo --json >"$work/demo.json" 2>"$work/demo.err" \
    || { cat "$work/demo.err" >&2; fail "bot-bottle demo --json exited non-zero"; }
python3 - "$work/demo.json" <<'PY' || { cat "$work/demo.err" >&2; fail "demo --json did not show the expected outcomes"; }
import json, sys
doc = json.load(open(sys.argv[1]))
def check(ok, what):
    if not ok:
        sys.exit("demo --json: " + what)
check(doc["ok"] is True, "ok is %r" % doc["ok"])
check(doc["dlp_in_proxy"] is True, "dlp_in_proxy is %r" % doc["dlp_in_proxy"])
steps = {s["name"]: s for s in doc["steps"]}
check(list(steps) == ["allowed", "blocked-host", "exfiltration", "direct-network"],
      "steps are %r" % list(steps))
for name, step in steps.items():
    check(step["ok"] and all(c["ok"] for c in step["checks"]), "step %s failed: %r" % (name, step))
def has(name, needle):
    check(any(needle in c["what"] for c in steps[name]["checks"]),
          "step %s lacks the check %r" % (name, needle))
has("allowed", "holds only the placeholder")
has("allowed", "received the real token")
has("allowed", "placeholder never reached")
check("HTTP 200" in steps["allowed"]["agent_output"], "allowed output: %r" % steps["allowed"]["agent_output"])
check("demo-real-token" not in json.dumps(doc), "the demo's stand-in credential was printed")
check("bot-bottle blocked this request" in steps["blocked-host"]["agent_output"], "no 403 text")
for enc in ("raw", "base64", "base64url", "base32", "hex", "hex-colon", "percent",
            "percent-twice", "json-u", "html-entities", "hex-in-base64", "zero-width",
            "full-width", "gzip"):
    has("exfiltration", enc + ": blocked by DLP (403)")
    check("\n%s HTTP 403: rule:   dlp-secret" % enc in "\n" + steps["exfiltration"]["agent_output"],
          "no DLP 403 text for %s" % enc)
has("exfiltration", "control: the harmless upload")
has("exfiltration", "paste site is not in the bottle")
has("exfiltration", "only the control reached the upstream")
has("direct-network", "no direct connection")
has("direct-network", "DNS answers only")
PY

timeout 600 "$bin" demo >"$work/demo.txt" 2>&1 || { cat "$work/demo.txt" >&2; fail "bot-bottle demo exited non-zero"; }
for line in "Step 1: an allowed request" "Step 2: a host outside" "Step 3: a secret" \
    "Step 4: going around" "Summary: 4 of 4 steps behaved as expected"; do
    grep -q "$line" "$work/demo.txt" || { cat "$work/demo.txt" >&2; fail "narration lacks '$line'"; }
done
if grep -q "demo-real-token" "$work/demo.txt"; then fail "the stand-in credential was printed"; fi
echo "PASS"
