#!/bin/bash
# Builds the small agent base image the Docker end-to-end tests run, offline
# from any registry: debootstrap a minimal bookworm rootfs from the Debian
# mirror on the host, then `docker import` it. The tag carries a hash of this
# script, so a CI run builds it once and later runs reuse it.
# Usage: make-base-image.sh  → prints the image reference on stdout.
set -euo pipefail

suite=bookworm
mirror=${BB_DEBIAN_MIRROR:-MIRROR-FROM-HOST-APT-SOURCES}
packages=ca-certificates,curl,iproute2,iputils-ping,dnsutils,netcat-openbsd,procps,git
hash=$(cat "$0" | sha256sum | cut -c1-12)
ref="bot-bottle-test-base:$hash"

if docker image inspect "$ref" >/dev/null 2>&1; then
    echo "$ref"
    exit 0
fi

command -v debootstrap >/dev/null || {
    echo "debootstrap is missing: apt-get install debootstrap" >&2
    exit 1
}

work=$(mktemp -d /var/tmp/bb-base.XXXXXX)
trap 'rm -rf "$work"' EXIT
root="$work/root"
echo "building $ref with debootstrap (a few minutes, once)" >&2
debootstrap --variant=minbase --include="$packages" "$suite" "$root" "$mirror" >"$work/log" 2>&1 || {
    tail -20 "$work/log" >&2
    exit 1
}
# The image needs no apt caches, docs or logs.
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* \
    "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/var/log/*
# An unprivileged account the agent runs as (uid 1000, like most images).
chroot "$root" useradd --create-home --uid 1000 --shell /bin/bash agent
tar -C "$root" -c . | docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["/bin/bash"]' - "$ref" >/dev/null
echo "$ref"
