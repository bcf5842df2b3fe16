#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bb-error.h"
#include "bb-plugin-elf.h"

#define NATIVE_CLASS (__ELF_NATIVE_CLASS == 64 ? ELFCLASS64 : ELFCLASS32)
#define NATIVE_DATA (G_BYTE_ORDER == G_LITTLE_ENDIAN ? ELFDATA2LSB : ELFDATA2MSB)

/* The ELF machine this library was built for, read from its own header
 * as mapped in memory, so no per-architecture table is needed. */
static guint
native_machine(void)
{
    Dl_info info;

    if (dladdr((const void *)native_machine, &info) == 0 || info.dli_fbase == NULL)
        return EM_NONE;
    return ((const ElfW(Ehdr) *)info.dli_fbase)->e_machine;
}

static gboolean
read_exactly(int fd, gpointer buffer, gsize length, guint64 offset)
{
    ssize_t got;

    do {
        got = pread(fd, buffer, length, (off_t)offset);
    } while (got < 0 && errno == EINTR);
    return got >= 0 && (gsize)got == length;
}

static gboolean
check_header(const ElfW(Ehdr) * header, guint64 size, GError **error)
{
    guint machine = native_machine();

    if (memcmp(header->e_ident, ELFMAG, SELFMAG) != 0) {
        g_set_error_literal(error, BB_ERROR, BB_ERROR_PLUGIN,
                            "not an ELF shared library; build the plugin as a shared module");
        return FALSE;
    }
    if (header->e_ident[EI_CLASS] != NATIVE_CLASS || header->e_ident[EI_DATA] != NATIVE_DATA ||
        header->e_machine != machine) {
        g_set_error(error, BB_ERROR, BB_ERROR_PLUGIN,
                    "built for another machine (ELF class %u, machine %u; this is class %u, "
                    "machine %u); rebuild the plugin here",
                    header->e_ident[EI_CLASS], header->e_machine, (guint)NATIVE_CLASS, machine);
        return FALSE;
    }
    if (header->e_type != ET_DYN) {
        g_set_error(error, BB_ERROR, BB_ERROR_PLUGIN,
                    "not a shared library (ELF type %u); build the plugin as a shared module",
                    header->e_type);
        return FALSE;
    }
    if (header->e_phentsize != sizeof(ElfW(Phdr)) || header->e_phoff > size ||
        (guint64)header->e_phnum * sizeof(ElfW(Phdr)) > size - header->e_phoff) {
        g_set_error_literal(error, BB_ERROR, BB_ERROR_PLUGIN,
                            "damaged: its program headers lie outside the file; reinstall or "
                            "rebuild the plugin");
        return FALSE;
    }
    return TRUE;
}

static gboolean
check_segments(int fd, const ElfW(Ehdr) * header, guint64 size, GError **error)
{
    for (guint i = 0; i < header->e_phnum; i++) {
        ElfW(Phdr) segment;

        if (!read_exactly(fd, &segment, sizeof(segment),
                          header->e_phoff + (guint64)i * sizeof(segment))) {
            g_set_error_literal(error, BB_ERROR, BB_ERROR_PLUGIN,
                                "cannot read its program headers; reinstall or rebuild the plugin");
            return FALSE;
        }
        if (segment.p_filesz == 0)
            continue;
        if (segment.p_offset > size || segment.p_filesz > size - segment.p_offset) {
            g_set_error(error, BB_ERROR, BB_ERROR_PLUGIN,
                        "truncated: %" G_GUINT64_FORMAT
                        " bytes, but its segments need %" G_GUINT64_FORMAT
                        "; reinstall or rebuild the plugin",
                        size, (guint64)segment.p_offset + (guint64)segment.p_filesz);
            return FALSE;
        }
    }
    return TRUE;
}

static gboolean
check_open_file(int fd, GError **error)
{
    struct stat st;
    ElfW(Ehdr) header;

    if (fstat(fd, &st) != 0) {
        int saved_errno = errno;
        g_set_error(error, BB_ERROR, BB_ERROR_PLUGIN, "cannot read: %s", g_strerror(saved_errno));
        return FALSE;
    }
    if (!S_ISREG(st.st_mode)) {
        g_set_error_literal(error, BB_ERROR, BB_ERROR_PLUGIN,
                            "not a regular file; remove it or replace it with the module file");
        return FALSE;
    }
    if (!read_exactly(fd, &header, sizeof(header), 0)) {
        g_set_error_literal(error, BB_ERROR, BB_ERROR_PLUGIN,
                            "too short to be a shared library; reinstall or rebuild the plugin");
        return FALSE;
    }
    return check_header(&header, (guint64)st.st_size, error) &&
           check_segments(fd, &header, (guint64)st.st_size, error);
}

gboolean
bb_plugin_elf_check(const gchar *path, GError **error)
{
    /* NONBLOCK: opening a fifo must not hang; it fails the S_ISREG test. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    gboolean ok;

    if (fd < 0) {
        int saved_errno = errno;
        g_set_error(error, BB_ERROR, BB_ERROR_PLUGIN, "cannot read: %s", g_strerror(saved_errno));
        return FALSE;
    }
    ok = check_open_file(fd, error);
    close(fd);
    return ok;
}
