#include "bb-docker-image.h"

#include <string.h>
#include "bb-docker-api.h"
#include "bb-docker-tar.h"
#include "bb-error.h"

GPtrArray *
bb_docker_shared_libraries(const gchar *path, gchar **interpreter, GError **error)
{
    const gchar *argv[] = {"ldd", path, NULL};
    g_autofree gchar *out = NULL;
    g_autofree gchar *err = NULL;
    gint wait_status = 0;
    if (!g_spawn_sync(NULL, (gchar **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err,
                      &wait_status, error)) {
        g_prefix_error(error, "Listing the libraries of %s (is ldd installed?): ", path);
        return NULL;
    }
    g_autoptr(GPtrArray) libraries = g_ptr_array_new_with_free_func(g_free);
    /* "statically linked"/"not a dynamic executable" exit non-zero. */
    if (!g_spawn_check_wait_status(wait_status, NULL))
        return g_steal_pointer(&libraries);
    g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
    for (gchar **line = lines; *line != NULL; line++) {
        if (strstr(*line, "not found") != NULL) {
            g_set_error(error, BB_ERROR, BB_ERROR_NOT_FOUND, "%s needs a missing library: %s", path,
                        g_strstrip(*line));
            return NULL;
        }
        /* "libx.so.1 => /lib/.../libx.so.1 (0x…)" or "/lib64/ld-linux….so.2 (0x…)" */
        const gchar *arrow = strstr(*line, "=> ");
        const gchar *start = arrow != NULL ? arrow + 3 : g_strchug(*line);
        if (*start != '/')
            continue;
        const gchar *end = strstr(start, " (");
        g_autofree gchar *library = end != NULL ? g_strndup(start, end - start) : g_strdup(start);
        /* RUNPATHs like $ORIGIN/../core leave ".." in the path. */
        gchar *canonical = g_canonicalize_filename(library, "/");
        if (arrow == NULL && interpreter != NULL) {
            g_free(*interpreter);
            *interpreter = canonical;
        } else if (arrow == NULL) {
            g_free(canonical);
        } else {
            g_ptr_array_add(libraries, canonical);
        }
    }
    return g_steal_pointer(&libraries);
}

typedef struct {
    BbDockerTar *tar;
    GChecksum *checksum;
} BbImageBuilder;

static gboolean
bb_image_add_host_file(BbImageBuilder *builder, const gchar *host_path, const gchar *image_path,
                       GError **error)
{
    if (bb_docker_tar_contains(builder->tar, image_path))
        return TRUE;
    g_autofree gchar *dir = g_path_get_dirname(image_path);
    g_auto(GStrv) parts = g_strsplit(dir, "/", -1);
    g_autoptr(GString) prefix = g_string_new(NULL);
    for (gchar **part = parts; *part != NULL; part++) {
        if (**part == '\0')
            continue;
        g_string_append_printf(prefix, "/%s", *part);
        if (!bb_docker_tar_contains(builder->tar, prefix->str) &&
            !bb_docker_tar_add_dir(builder->tar, prefix->str, 0755, 0, 0, error))
            return FALSE;
    }
    g_autofree gchar *contents = NULL;
    gsize length = 0;
    if (!g_file_get_contents(host_path, &contents, &length, error))
        return FALSE;
    g_checksum_update(builder->checksum, (const guchar *)image_path, strlen(image_path) + 1);
    g_checksum_update(builder->checksum, (const guchar *)contents, length);
    return bb_docker_tar_add_host_file(builder->tar, host_path, image_path, 0, 0, error);
}

static gboolean
bb_image_add_with_libraries(BbImageBuilder *builder, const gchar *host_path,
                            const gchar *image_path, GError **error)
{
    if (!bb_image_add_host_file(builder, host_path, image_path, error))
        return FALSE;
    g_autofree gchar *interpreter = NULL;
    g_autoptr(GPtrArray) libraries = bb_docker_shared_libraries(host_path, &interpreter, error);
    if (libraries == NULL)
        return FALSE;
    /* The interpreter must sit at the path the program names (PT_INTERP). */
    if (interpreter != NULL && !bb_image_add_host_file(builder, interpreter, interpreter, error))
        return FALSE;
    for (guint i = 0; i < libraries->len; i++) {
        const gchar *library = g_ptr_array_index(libraries, i);
        g_autofree gchar *name = g_path_get_basename(library);
        g_autofree gchar *library_path = g_build_filename(BB_DOCKER_IMAGE_LIBDIR, name, NULL);
        if (!bb_image_add_host_file(builder, library, library_path, error))
            return FALSE;
    }
    return TRUE;
}

static gint
bb_image_compare_names(gconstpointer a, gconstpointer b)
{
    return g_strcmp0(*(const gchar *const *)a, *(const gchar *const *)b);
}

static gboolean
bb_image_add_tree(BbImageBuilder *builder, const gchar *host_dir, const gchar *image_dir,
                  GError **error)
{
    g_autoptr(GDir) dir = g_dir_open(host_dir, 0, error);
    if (dir == NULL)
        return FALSE;
    /* Sorted so the hash does not depend on directory order. */
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const gchar *entry;
    while ((entry = g_dir_read_name(dir)) != NULL)
        g_ptr_array_add(names, g_strdup(entry));
    g_ptr_array_sort(names, bb_image_compare_names);
    for (guint i = 0; i < names->len; i++) {
        const gchar *name = g_ptr_array_index(names, i);
        g_autofree gchar *host_child = g_build_filename(host_dir, name, NULL);
        g_autofree gchar *image_child = g_build_filename(image_dir, name, NULL);
        gboolean ok = TRUE;
        if (g_file_test(host_child, G_FILE_TEST_IS_DIR))
            ok = bb_image_add_tree(builder, host_child, image_child, error);
        else if (g_str_has_suffix(name, ".so"))
            ok = bb_image_add_with_libraries(builder, host_child, image_child, error);
        else if (g_file_test(host_child, G_FILE_TEST_IS_REGULAR))
            ok = bb_image_add_host_file(builder, host_child, image_child, error);
        if (!ok)
            return FALSE;
    }
    return TRUE;
}

static gboolean
bb_image_add_text(BbImageBuilder *builder, const gchar *path, const gchar *text, guint mode,
                  GError **error)
{
    g_autoptr(GBytes) contents = g_bytes_new(text, strlen(text));
    g_checksum_update(builder->checksum, (const guchar *)path, strlen(path) + 1);
    g_checksum_update(builder->checksum, (const guchar *)text, strlen(text));
    return bb_docker_tar_add_file(builder->tar, path, contents, mode, 0, 0, error);
}

static gboolean
bb_image_add_skeleton(BbImageBuilder *builder, const BbDockerImageRecipe *recipe, GError **error)
{
    g_autofree gchar *passwd =
        g_strdup_printf("root:x:0:0:root:/:/sbin/nologin\n"
                        "%s:x:%u:%u:%s:/tmp:/sbin/nologin\n",
                        recipe->user_name, recipe->uid, recipe->uid, recipe->user_name);
    g_autofree gchar *group =
        g_strdup_printf("root:x:0:\n%s:x:%u:\n", recipe->user_name, recipe->uid);
    if (!bb_docker_tar_add_dir(builder->tar, "etc", 0755, 0, 0, error) ||
        !bb_image_add_text(builder, "etc/passwd", passwd, 0644, error) ||
        !bb_image_add_text(builder, "etc/group", group, 0644, error) ||
        !bb_docker_tar_add_dir(builder->tar, "tmp", 01777, 0, 0, error))
        return FALSE;
    for (const gchar *const *dir = recipe->dirs; dir != NULL && *dir != NULL; dir++) {
        g_autofree gchar *parent = g_path_get_dirname(*dir);
        if (g_strcmp0(parent, "/") != 0 && !bb_docker_tar_contains(builder->tar, parent) &&
            !bb_docker_tar_add_dir(builder->tar, parent, 0755, 0, 0, error))
            return FALSE;
        if (!bb_docker_tar_add_dir(builder->tar, *dir, 0700, recipe->uid, recipe->uid, error))
            return FALSE;
        g_checksum_update(builder->checksum, (const guchar *)*dir, strlen(*dir) + 1);
    }
    return TRUE;
}

static gchar *
bb_image_program_path(const gchar *host_path)
{
    g_autofree gchar *name = g_path_get_basename(host_path);
    return g_build_filename(BB_DOCKER_IMAGE_BINDIR, name, NULL);
}

static GPtrArray *
bb_image_changes(const BbDockerImageRecipe *recipe)
{
    GPtrArray *changes = g_ptr_array_new_with_free_func(g_free);
    if (recipe->programs != NULL && recipe->programs[0] != NULL) {
        g_autofree gchar *program = bb_image_program_path(recipe->programs[0]);
        g_autoptr(JsonArray) array = json_array_new();
        json_array_add_string_element(array, program);
        g_autoptr(JsonNode) node = json_node_init_array(json_node_alloc(), array);
        g_autofree gchar *json = json_to_string(node, FALSE);
        g_ptr_array_add(changes, g_strdup_printf("ENTRYPOINT %s", json));
    }
    for (const gchar *const *env = recipe->env; env != NULL && *env != NULL; env++)
        g_ptr_array_add(changes, g_strdup_printf("ENV %s", *env));
    g_ptr_array_add(changes, g_strdup("ENV LD_LIBRARY_PATH=" BB_DOCKER_IMAGE_LIBDIR));
    g_ptr_array_add(changes, g_strdup_printf("USER %u:%u", recipe->uid, recipe->uid));
    g_ptr_array_add(changes, g_strdup("WORKDIR /tmp"));
    g_ptr_array_add(changes, NULL);
    return changes;
}

gchar *
bb_docker_image_assemble(BbDockerClient *client, const BbDockerImageRecipe *recipe, GError **error)
{
    g_autoptr(BbDockerTar) tar = bb_docker_tar_new();
    g_autoptr(GChecksum) checksum = g_checksum_new(G_CHECKSUM_SHA256);
    BbImageBuilder builder = {tar, checksum};
    if (!bb_image_add_skeleton(&builder, recipe, error))
        return NULL;
    for (const gchar *const *program = recipe->programs; program != NULL && *program != NULL;
         program++) {
        g_autofree gchar *image_path = bb_image_program_path(*program);
        if (!bb_image_add_with_libraries(&builder, *program, image_path, error))
            return NULL;
    }
    for (const gchar *const *tree = recipe->trees;
         tree != NULL && tree[0] != NULL && tree[1] != NULL; tree += 2)
        if (!bb_image_add_tree(&builder, tree[0], tree[1], error))
            return NULL;
    for (const gchar *const *plugin = recipe->plugins; plugin != NULL && *plugin != NULL;
         plugin++) {
        g_autofree gchar *name = g_path_get_basename(*plugin);
        g_autofree gchar *image_path = g_build_filename(recipe->plugin_dir, name, NULL);
        if (!bb_image_add_with_libraries(&builder, *plugin, image_path, error))
            return NULL;
    }
    g_autoptr(GPtrArray) changes = bb_image_changes(recipe);
    for (guint i = 0; i + 1 < changes->len; i++) {
        const gchar *change = g_ptr_array_index(changes, i);
        g_checksum_update(checksum, (const guchar *)change, strlen(change) + 1);
    }
    g_autofree gchar *hash = g_strndup(g_checksum_get_string(checksum), 16);
    g_autofree gchar *ref = g_strdup_printf("%s:%s", recipe->repository, hash);

    gboolean exists = FALSE;
    if (!bb_docker_image_exists(client, ref, &exists, error))
        return NULL;
    if (exists)
        return g_steal_pointer(&ref);
    g_autoptr(GBytes) archive = bb_docker_tar_finish(tar);
    if (!bb_docker_image_import(client, archive, ref, (const gchar *const *)changes->pdata, error))
        return NULL;
    return g_steal_pointer(&ref);
}
