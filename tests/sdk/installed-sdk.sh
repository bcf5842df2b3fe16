# Sourced by the out-of-tree tests: installs the build in BUILD_DIR into
# $work/dest and points pkg-config at a copy of the installed
# bot-bottle-1.pc whose prefix is that destdir (pkg-config's sysroot
# would also rewrite GLib's paths). Needs fail() and step() defined.
# Sets: dest, prefix, PKG_CONFIG_PATH (exported), plugindir, libdir, datadir.
bb_install_sdk() {
    local build_dir=$1
    step "install the build into a destdir"
    dest="$work/dest"
    meson install -C "$build_dir" --destdir "$dest" --no-rebuild --quiet \
        || fail "meson install --destdir failed"
    local pcs
    mapfile -t pcs < <(find "$dest" -name bot-bottle-1.pc)
    [ "${#pcs[@]}" -eq 1 ] || fail "expected one installed bot-bottle-1.pc, found ${#pcs[@]}"
    prefix=$(pkg-config --variable=prefix "${pcs[0]}")
    [ -n "$prefix" ] || fail "installed .pc has no prefix"
    mkdir -p "$work/pkgconfig"
    sed "s|^prefix=.*|prefix=$dest$prefix|" "${pcs[0]}" > "$work/pkgconfig/bot-bottle-1.pc"
    export PKG_CONFIG_PATH="$work/pkgconfig"
    plugindir=$(pkg-config --variable=plugindir bot-bottle-1)
    libdir=$(pkg-config --variable=libdir bot-bottle-1)
    datadir="$dest$prefix/share/bot-bottle"
}
