#!/usr/bin/env bash
# The whole test suite, from a fresh Debian bookworm machine:
#   1. install dependencies and start the Docker engine (idempotent),
#   2. build with -Dwerror=true and run every test suite,
#   3. rebuild with AddressSanitizer + UndefinedBehaviorSanitizer and run again,
#   4. build the libFuzzer targets with clang and give each a short run,
#   5. print one "N passed, N failed" line.
# Exit status is non-zero when anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

bash .ci/install-deps || exit 1
bash .ci/start-docker || exit 1

fuzz_seconds=${BB_FUZZ_SECONDS:-20}
failed_steps=()

step() {
  local name=$1; shift
  echo "==> $name"
  if ! "$@"; then
    echo "==> FAILED: $name"
    failed_steps+=("$name")
    return 1
  fi
}

build_and_test() {
  local dir=$1; shift
  local cc=$1; shift
  if [ ! -f "$dir/build.ninja" ]; then
    CC=$cc meson setup "$dir" -Dwerror=true "$@" >"$dir.setup.log" 2>&1 \
      || { cat "$dir.setup.log"; return 1; }
  fi
  ninja -C "$dir" || return 1
  meson test -C "$dir" --print-errorlogs --num-processes 2
}

step "build + tests (gcc, -Dwerror=true)" build_and_test "$root/_build" gcc
# Slow unwinding gives LeakSanitizer whole stacks through GLib (built
# without frame pointers), so tests/lsan.supp can name GLib's own leaks.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:fast_unwind_on_malloc=0 \
LSAN_OPTIONS=suppressions="$root/tests/lsan.supp":print_suppressions=0 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  step "build + tests (ASan+UBSan)" build_and_test "$root/_build-asan" gcc \
  -Db_sanitize=address,undefined -Db_lundef=false

run_fuzzers() {
  local dir="$root/_build-fuzz"
  if [ ! -f "$dir/build.ninja" ]; then
    CC=clang meson setup "$dir" -Dwerror=true -Dfuzzing=true -Dtests=true >"$dir.setup.log" 2>&1 \
      || { cat "$dir.setup.log"; return 1; }
  fi
  ninja -C "$dir" || return 1
  local rc=0
  while IFS= read -r fuzzer; do
    local name corpus
    name=$(basename "$fuzzer")
    corpus="$root/tests/fuzz/corpus/${name#fuzz-}"
    mkdir -p "$dir/corpus-$name"
    echo "fuzzing $name for ${fuzz_seconds}s"
    if "$fuzzer" -max_total_time="$fuzz_seconds" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$dir/crash-$name-" "$dir/corpus-$name" \
        $( [ -d "$corpus" ] && echo "$corpus" ) >"$dir/$name.log" 2>&1; then
      echo "fuzz: $name ok"
    else
      echo "fuzz: $name FOUND A CRASH"; tail -40 "$dir/$name.log"; rc=1
    fi
  done < <(find "$dir/tests/fuzz" -maxdepth 1 -type f -name 'fuzz-*' -perm -u+x 2>/dev/null | sort)
  return $rc
}
step "fuzz targets (${fuzz_seconds}s each)" run_fuzzers

# Count meson's per-test results from every build's log.
python3 - "$root" "${#failed_steps[@]}" <<'PY'
import json, sys, pathlib
root, failed_steps = pathlib.Path(sys.argv[1]), int(sys.argv[2])
passed = failed = skipped = 0
for log in sorted(root.glob("_build*/meson-logs/testlog.json")):
    for line in log.read_text().splitlines():
        if not line.strip():
            continue
        result = json.loads(line).get("result")
        if result in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif result == "SKIP":
            skipped += 1
        else:
            failed += 1
# A step that failed before running its tests (build error) counts too.
if failed == 0 and failed_steps:
    failed = failed_steps
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
if [ ${#failed_steps[@]} -gt 0 ]; then
  printf 'failed steps: %s\n' "${failed_steps[*]}"
  exit 1
fi
