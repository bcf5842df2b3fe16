#!/bin/bash
# Builds the base image every built-in provider's Dockerfile starts FROM,
# with no container registry: debootstrap a minimal Debian bookworm rootfs
# (with Debian's nodejs) from the Debian mirror on the host, then
# `docker import` it. Tagged with a hash of this script, and also as
# bot-bottle-base:bookworm, the name the Dockerfiles use.
# Usage: make-base.sh → prints the hashed image reference on stdout.
set -euo pipefail

suite=bookworm
mirror=${BB_DEBIAN_MIRROR:-MIRROR-FROM-HOST-APT-SOURCES}
packages=ca-certificates,curl,git,procps,less,nodejs
hash=$(sha256sum "$0" | cut -c1-12)
ref="bot-bottle-base:$hash"
alias_ref="bot-bottle-base:bookworm"

if docker image inspect "$ref" >/dev/null 2>&1; then
    docker tag "$ref" "$alias_ref"
    echo "$ref"
    exit 0
fi
command -v debootstrap >/dev/null || {
    echo "bot-bottle: building the provider base image needs debootstrap: apt-get install debootstrap" >&2
    exit 1
}
[ "$(id -u)" = 0 ] || {
    echo "bot-bottle: debootstrap needs root to build the provider base image once; run: sudo $0" >&2
    exit 1
}
work=$(mktemp -d /var/tmp/bb-provider-base.XXXXXX)
trap 'rm -rf "$work"' EXIT
root="$work/root"
echo "bot-bottle: building $ref with debootstrap (once, a few minutes)" >&2
debootstrap --variant=minbase --include="$packages" "$suite" "$root" "$mirror" >"$work/log" 2>&1 || {
    tail -20 "$work/log" >&2
    echo "bot-bottle: debootstrap failed (is the Debian mirror $mirror reachable?)" >&2
    exit 1
}
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* \
    "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/var/log/*
# The agent runs as uid 1000 with this home (BB_AGENT_HOME).
chroot "$root" useradd --create-home --home-dir /home/agent --uid 1000 --shell /bin/bash agent
tar -C "$root" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV HOME=/home/agent' \
    --change 'CMD ["/bin/bash"]' - "$ref" >/dev/null
docker tag "$ref" "$alias_ref"
echo "$ref"
