/* A structural check of a module file before the dynamic linker sees it. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* TRUE when @path is a regular ELF shared object for this machine whose
 * program headers and segments all lie inside the file. glibc's dlopen()
 * maps segments past the end of a truncated file and dies of SIGBUS on
 * touching them; this turns a half-copied or damaged module into an
 * error (BB_ERROR_PLUGIN) instead of a crash. Not a defence against a
 * malicious module, which runs code once opened anyway. */
gboolean bb_plugin_elf_check(const gchar *path, GError **error);

G_END_DECLS
