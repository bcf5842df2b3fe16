#include "bb-docker-tar.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include "bb-error.h"

#define BB_TAR_BLOCK 512

struct _BbDockerTar {
    GByteArray *data;
    GHashTable *paths;
};

typedef struct {
    gchar name[100];
    gchar mode[8];
    gchar uid[8];
    gchar gid[8];
    gchar size[12];
    gchar mtime[12];
    gchar checksum[8];
    gchar typeflag;
    gchar linkname[100];
    gchar magic[6];
    gchar version[2];
    gchar uname[32];
    gchar gname[32];
    gchar devmajor[8];
    gchar devminor[8];
    gchar prefix[155];
    gchar padding[12];
} BbTarHeader;

G_STATIC_ASSERT(sizeof(BbTarHeader) == BB_TAR_BLOCK);

BbDockerTar *
bb_docker_tar_new(void)
{
    BbDockerTar *tar = g_new0(BbDockerTar, 1);
    tar->data = g_byte_array_new();
    tar->paths = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    return tar;
}

void
bb_docker_tar_free(BbDockerTar *tar)
{
    if (tar == NULL)
        return;
    if (tar->data != NULL)
        g_byte_array_unref(tar->data);
    g_hash_table_unref(tar->paths);
    g_free(tar);
}

static void
bb_tar_octal(gchar *field, gsize width, guint64 value)
{
    /* width-1 digits then NUL, as ustar readers expect. */
    g_autofree gchar *text = g_strdup_printf("%0*" G_GINT64_MODIFIER "o", (int)(width - 1), value);
    memcpy(field, text, width - 1);
    field[width - 1] = '\0';
}

static gboolean
bb_tar_split_path(BbTarHeader *header, const gchar *path, GError **error)
{
    gsize length = strlen(path);
    if (length <= sizeof header->name) {
        memcpy(header->name, path, length);
        return TRUE;
    }
    /* ustar: prefix + '/' + name, split at a slash. */
    for (const gchar *slash = strchr(path, '/'); slash != NULL; slash = strchr(slash + 1, '/')) {
        gsize prefix_length = slash - path;
        gsize name_length = length - prefix_length - 1;
        if (prefix_length <= sizeof header->prefix && name_length <= sizeof header->name &&
            name_length > 0) {
            memcpy(header->prefix, path, prefix_length);
            memcpy(header->name, slash + 1, name_length);
            return TRUE;
        }
    }
    g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "Path too long for a tar archive: %s", path);
    return FALSE;
}

static gchar *
bb_tar_normalise(const gchar *path)
{
    while (*path == '/')
        path++;
    return g_strdup(path);
}

static gboolean
bb_tar_add_entry(BbDockerTar *tar, const gchar *path, gchar typeflag, guint mode, guint uid,
                 guint gid, gsize size, const gchar *linkname, GError **error)
{
    BbTarHeader header;
    memset(&header, 0, sizeof header);
    g_autofree gchar *name = bb_tar_normalise(path);
    if (typeflag == '5' && !g_str_has_suffix(name, "/")) {
        gchar *with_slash = g_strconcat(name, "/", NULL);
        g_free(name);
        name = with_slash;
    }
    if (*name == '\0' || !bb_tar_split_path(&header, name, error))
        return *name == '\0' ? TRUE : FALSE;
    if (linkname != NULL) {
        if (strlen(linkname) > sizeof header.linkname) {
            g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "Symlink target too long: %s", linkname);
            return FALSE;
        }
        memcpy(header.linkname, linkname, strlen(linkname));
    }
    bb_tar_octal(header.mode, sizeof header.mode, mode & 07777);
    bb_tar_octal(header.uid, sizeof header.uid, uid);
    bb_tar_octal(header.gid, sizeof header.gid, gid);
    bb_tar_octal(header.size, sizeof header.size, size);
    bb_tar_octal(header.mtime, sizeof header.mtime, 0);
    header.typeflag = typeflag;
    memcpy(header.magic, "ustar", 6);
    memcpy(header.version, "00", 2);
    memset(header.checksum, ' ', sizeof header.checksum);
    guint sum = 0;
    for (gsize i = 0; i < sizeof header; i++)
        sum += ((const guint8 *)&header)[i];
    bb_tar_octal(header.checksum, 7, sum);
    header.checksum[7] = ' ';
    g_byte_array_append(tar->data, (const guint8 *)&header, sizeof header);
    gsize name_length = strlen(name);
    if (name[name_length - 1] == '/')
        name[name_length - 1] = '\0';
    g_hash_table_add(tar->paths, g_strdup(name));
    return TRUE;
}

static void
bb_tar_pad(BbDockerTar *tar)
{
    static const guint8 zeros[BB_TAR_BLOCK];
    gsize rest = tar->data->len % BB_TAR_BLOCK;
    if (rest != 0)
        g_byte_array_append(tar->data, zeros, BB_TAR_BLOCK - rest);
}

gboolean
bb_docker_tar_add_dir(BbDockerTar *tar, const gchar *path, guint mode, guint uid, guint gid,
                      GError **error)
{
    return bb_tar_add_entry(tar, path, '5', mode, uid, gid, 0, NULL, error);
}

gboolean
bb_docker_tar_add_file(BbDockerTar *tar, const gchar *path, GBytes *contents, guint mode, guint uid,
                       guint gid, GError **error)
{
    gsize size = 0;
    const guint8 *data = g_bytes_get_data(contents, &size);
    if (!bb_tar_add_entry(tar, path, '0', mode, uid, gid, size, NULL, error))
        return FALSE;
    if (size > 0)
        g_byte_array_append(tar->data, data, size);
    bb_tar_pad(tar);
    return TRUE;
}

gboolean
bb_docker_tar_add_symlink(BbDockerTar *tar, const gchar *path, const gchar *target, GError **error)
{
    return bb_tar_add_entry(tar, path, '2', 0777, 0, 0, 0, target, error);
}

gboolean
bb_docker_tar_add_host_file(BbDockerTar *tar, const gchar *host_path, const gchar *path, guint uid,
                            guint gid, GError **error)
{
    struct stat st;
    if (stat(host_path, &st) != 0 || !S_ISREG(st.st_mode)) {
        g_set_error(error, BB_ERROR, BB_ERROR_NOT_FOUND, "%s is not a readable regular file",
                    host_path);
        return FALSE;
    }
    g_autoptr(GMappedFile) mapped = g_mapped_file_new(host_path, FALSE, error);
    if (mapped == NULL)
        return FALSE;
    g_autoptr(GBytes) contents = g_mapped_file_get_bytes(mapped);
    return bb_docker_tar_add_file(tar, path, contents, st.st_mode & 07777, uid, gid, error);
}

gboolean
bb_docker_tar_add_host_tree(BbDockerTar *tar, const gchar *host_dir, const gchar *path, guint uid,
                            guint gid, GError **error)
{
    struct stat st;
    if (lstat(host_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        g_set_error(error, BB_ERROR, BB_ERROR_NOT_FOUND, "%s is not a directory", host_dir);
        return FALSE;
    }
    if (!bb_docker_tar_add_dir(tar, path, st.st_mode & 07777, uid, gid, error))
        return FALSE;
    g_autoptr(GDir) dir = g_dir_open(host_dir, 0, error);
    if (dir == NULL)
        return FALSE;
    const gchar *entry;
    while ((entry = g_dir_read_name(dir)) != NULL) {
        g_autofree gchar *host_child = g_build_filename(host_dir, entry, NULL);
        g_autofree gchar *child = g_build_filename(path, entry, NULL);
        if (lstat(host_child, &st) != 0) {
            g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "Cannot stat %s: %s", host_child,
                        g_strerror(errno));
            return FALSE;
        }
        gboolean ok;
        if (S_ISDIR(st.st_mode)) {
            ok = bb_docker_tar_add_host_tree(tar, host_child, child, uid, gid, error);
        } else if (S_ISREG(st.st_mode)) {
            ok = bb_docker_tar_add_host_file(tar, host_child, child, uid, gid, error);
        } else if (S_ISLNK(st.st_mode)) {
            g_autofree gchar *target = g_file_read_link(host_child, error);
            ok = target != NULL && bb_docker_tar_add_symlink(tar, child, target, error);
        } else {
            g_set_error(error, BB_ERROR, BB_ERROR_FAILED,
                        "%s is neither a file, a directory nor a symlink; remove it", host_child);
            ok = FALSE;
        }
        if (!ok)
            return FALSE;
    }
    return TRUE;
}

gboolean
bb_docker_tar_contains(BbDockerTar *tar, const gchar *path)
{
    g_autofree gchar *name = bb_tar_normalise(path);
    return g_hash_table_contains(tar->paths, name);
}

GBytes *
bb_docker_tar_finish(BbDockerTar *tar)
{
    static const guint8 zeros[2 * BB_TAR_BLOCK];
    g_byte_array_append(tar->data, zeros, sizeof zeros);
    return g_byte_array_free_to_bytes(g_steal_pointer(&tar->data));
}

GBytes *
bb_docker_tar_read_first_file(GBytes *archive, GError **error)
{
    gsize length = 0;
    const guint8 *data = g_bytes_get_data(archive, &length);
    if (length < BB_TAR_BLOCK) {
        g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "Truncated tar archive");
        return NULL;
    }
    const BbTarHeader *header = (const BbTarHeader *)data;
    if (header->typeflag != '0' && header->typeflag != '\0')
        return NULL;
    g_autofree gchar *size_text = g_strndup(header->size, sizeof header->size);
    guint64 size = g_ascii_strtoull(size_text, NULL, 8);
    if (size > length - BB_TAR_BLOCK) {
        g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "Truncated tar archive");
        return NULL;
    }
    return g_bytes_new_from_bytes(archive, BB_TAR_BLOCK, size);
}
