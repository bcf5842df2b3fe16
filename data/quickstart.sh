#!/usr/bin/env bash
# First run on a fresh Debian bookworm machine: install dependencies,
# build, install to a prefix (default ~/.local), then check the machine
# and the bundled example manifests, and end with `bot-bottle demo`. Your
# own ~/.bot-bottle is read by `doctor`; only its empty bottles/ and
# agents/ folders are created.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=${PREFIX:-$HOME/.local}

bash .ci/install-deps
bash .ci/start-docker

echo "==> building into _build-quickstart (prefix $prefix)"
if [ ! -f _build-quickstart/build.ninja ]; then
  meson setup _build-quickstart --prefix "$prefix" -Dtests=false >/dev/null
fi
meson compile -C _build-quickstart
meson install -C _build-quickstart --quiet

bin="$prefix/bin/bot-bottle"

echo "==> the agent base image (debootstrap from this machine's Debian mirror, once)"
if [ "$(id -u)" -eq 0 ]; then ./data/make-base-image.sh; else sudo ./data/make-base-image.sh; fi >/dev/null

echo "==> bot-bottle plugins"
"$bin" plugins
echo "==> bot-bottle check (example manifests in data/examples/bot-bottle)"
BOT_BOTTLE_CONFIG_DIR="$PWD/data/examples/bot-bottle" "$bin" check
echo "==> bot-bottle info reviewer (example)"
BOT_BOTTLE_CONFIG_DIR="$PWD/data/examples/bot-bottle" "$bin" info reviewer
echo "==> bot-bottle doctor (this machine, your ~/.bot-bottle)"
mkdir -p "$HOME/.bot-bottle/bottles" "$HOME/.bot-bottle/agents"
"$bin" doctor
echo "==> bot-bottle demo (a scripted agent in a real bottle; no credentials needed)"
# Its image starts FROM the provider base image, which debootstrap builds
# once (root, a few minutes); later runs reuse it.
base_script="$prefix/share/bot-bottle/make-base-image.sh"
if [ "$(id -u)" -eq 0 ]; then "$base_script" >/dev/null; else sudo "$base_script" >/dev/null; fi
"$bin" demo
echo
echo "bot-bottle is installed at $bin; add $prefix/bin to PATH."
