#!/bin/bash
# Prepares a provider's image build context on the host, where the package
# registries are reachable (containers and image builds have no network):
#   prepare-context.sh PROVIDER_DIR OUT_DIR [NPM_PACKAGE]
# Ensures the base image (../make-base-image.sh), installs NPM_PACKAGE with the
# host's npm into a cache keyed by the package spec, and assembles
# OUT_DIR/<hash>/ holding the provider's Dockerfile, the installed package
# as agent/ and the base reference. Prints that Dockerfile's path; the
# backend builds it with no network. Cached: a second run reuses both.
# Env: BB_NPM_TIMEOUT (seconds, default 300), BB_NPM_REFRESH=1 to reinstall.
set -euo pipefail

provider_dir=$(cd "$1" && pwd)
out_dir=$2
package=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
cache=${BOT_BOTTLE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/bot-bottle}
say() { echo "bot-bottle: $*" >&2; }

# The base is made once, as root (debootstrap); say how when we are not.
if ! docker image inspect bot-bottle-base:bookworm >/dev/null 2>&1 && [ "$(id -u)" != 0 ]; then
    say "the base image bot-bottle-base:bookworm is missing; make it once (root, a few" \
        "minutes): sudo $here/../make-base-image.sh"
    exit 1
fi
base=$("$here/../make-base-image.sh")

agent=""
if [ -n "$package" ]; then
    key=$(printf '%s\n%s\n' "$package" "$(uname -m)" | sha256sum | cut -c1-16)
    agent="$cache/npm/$key"
    if [ "${BB_NPM_REFRESH:-0}" = 1 ]; then rm -rf "$agent"; fi
    if [ ! -f "$agent/.complete" ]; then
        command -v npm >/dev/null || {
            say "npm is needed on the host to install $package: apt-get install npm"
            exit 1
        }
        say "installing $package with the host's npm (once; cached in $agent)"
        rm -rf "$agent.tmp"
        mkdir -p "$agent.tmp"
        if ! timeout "${BB_NPM_TIMEOUT:-300}" npm install --prefix "$agent.tmp" --no-audit \
            --no-fund --no-update-notifier --loglevel=warn "$package" >&2; then
            rm -rf "$agent.tmp"
            say "could not install $package with npm within ${BB_NPM_TIMEOUT:-300}s: the host" \
                "needs the npm registry (or a mirror set with 'npm config set registry')"
            exit 1
        fi
        rm -rf "$agent"
        mv "$agent.tmp" "$agent"
        touch "$agent/.complete"
    fi
    say "$package: $(node -e 'console.log(require(process.argv[1]).version)' \
        "$agent/node_modules/$package/package.json" 2>/dev/null || echo installed)"
fi

# The context's hash names it: Dockerfile, base image and package.
digest=$( { cat "$provider_dir/Dockerfile"; echo "$base"; echo "$agent"; \
    [ -z "$agent" ] || cat "$agent/package-lock.json" 2>/dev/null; } | sha256sum | cut -c1-16)
context="$out_dir/$(basename "$provider_dir")-$digest"
if [ ! -f "$context/.complete" ]; then
    rm -rf "$context"
    mkdir -p "$context"
    cp "$provider_dir/Dockerfile" "$context/Dockerfile"
    echo "$base" >"$context/base-image"
    if [ -n "$agent" ]; then
        # Hard links when the cache is on the same filesystem: no copy of
        # a few hundred MB per context.
        cp -al "$agent" "$context/agent" 2>/dev/null || cp -a "$agent" "$context/agent"
        rm -f "$context/agent/.complete"
    fi
    touch "$context/.complete"
fi
echo "$context/Dockerfile"
