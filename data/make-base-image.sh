#!/bin/bash
# Makes the agent base image, bot-bottle-base:bookworm, offline from any
# registry: debootstrap a minimal bookworm root from the Debian mirror this
# machine's apt already uses (/etc/apt/sources.list and sources.list.d),
# then `docker import` it. Needs root (debootstrap, chroot). The image is
# also tagged with a hash of this script, so a changed recipe is rebuilt
# and an unchanged one is reused.
# Usage: make-base-image.sh  → prints the hashed image reference on stdout.
# BB_DEBIAN_MIRROR overrides the mirror.
set -euo pipefail

suite=bookworm
packages=ca-certificates,curl,iproute2,iputils-ping,dnsutils,netcat-openbsd,procps,git,nodejs
hash=$(sha256sum "$0" | cut -c1-12)
ref="bot-bottle-test-base:$hash"
alias_ref="bot-bottle-base:$suite"

# The first `deb` source for $suite, in one-line or deb822 format.
debian_mirror() {
    local f
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -r "$f" ] || continue
        awk -v s="$suite" '$1 == "deb" {
            i = 2
            if ($2 ~ /^\[/) { while (i < NF && $i !~ /\]$/) i++; i++ }
            if ($(i + 1) == s) { print $i; exit }
        }' "$f"
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -r "$f" ] || continue
        awk -v s="$suite" 'BEGIN { RS = "" } {
            uri = ""; deb = 0; ok = 0
            n = split($0, line, "\n")
            for (k = 1; k <= n; k++) {
                m = split(line[k], w, /[ \t]+/)
                if (w[1] == "Types:") for (j = 2; j <= m; j++) if (w[j] == "deb") deb = 1
                if (w[1] == "URIs:") uri = w[2]
                if (w[1] == "Suites:") for (j = 2; j <= m; j++) if (w[j] == s) ok = 1
            }
            if (deb && ok && uri != "") { print uri; exit }
        }' "$f"
    done
}

if docker image inspect "$ref" >/dev/null 2>&1; then
    docker tag "$ref" "$alias_ref"
    echo "$ref"
    exit 0
fi

command -v debootstrap >/dev/null || {
    echo "debootstrap is missing: apt-get install debootstrap" >&2
    exit 1
}
mirror=${BB_DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
    mirrors=$(debian_mirror)
    mirror=${mirrors%%$'\n'*}
fi
[ -n "$mirror" ] || {
    echo "no Debian $suite source in /etc/apt/sources.list(.d): set BB_DEBIAN_MIRROR" >&2
    exit 1
}

work=$(mktemp -d /var/tmp/bb-base.XXXXXX)
trap 'rm -rf "$work"' EXIT
root="$work/root"
echo "building $alias_ref with debootstrap from $mirror (a few minutes, once)" >&2
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
docker tag "$ref" "$alias_ref"
echo "$ref"
