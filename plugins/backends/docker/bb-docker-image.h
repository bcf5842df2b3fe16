/* Minimal images assembled from host files: a program, the shared
 * libraries `ldd` names for it, plus data trees. No registry, no base
 * image, nothing the program does not load. The tag is a hash of every
 * input, so an unchanged recipe reuses the image. */
#pragma once

#include "bb-docker-client.h"

G_BEGIN_DECLS

/* Programs and libraries go to fixed places whatever their host path (a
 * build tree under /tmp would vanish under the sidecar's tmpfs), found
 * through LD_LIBRARY_PATH so build-tree RUNPATHs ($ORIGIN/...) do not
 * matter. Only the dynamic loader keeps its path (PT_INTERP names it). */
#define BB_DOCKER_IMAGE_BINDIR "/usr/libexec/bot-bottle"
#define BB_DOCKER_IMAGE_LIBDIR "/usr/lib/bot-bottle/lib"

typedef struct {
    const gchar *repository;      /* image name, e.g. "bot-bottle-sidecar" */
    const gchar *const *programs; /* host paths; placed in BB_DOCKER_IMAGE_BINDIR; the
                                     first is the entrypoint */
    const gchar *const *trees;    /* host dir, image dir pairs; .so files get their libs */
    const gchar *const *plugins;  /* host .so paths, placed in @plugin_dir with their libs */
    const gchar *plugin_dir;
    const gchar *const *env; /* "NAME=value" */
    guint uid;               /* the image's user, created in /etc/passwd */
    const gchar *user_name;
    const gchar *const *dirs; /* writable dirs owned by @uid, mode 0700 */
    /* Third-party modules (host paths …/contrib/<name>/<file>.so), placed at
     * @contrib_dir/<name>/<file>.so, root-owned 0644, with their libraries. */
    const gchar *const *contrib_plugins;
    const gchar *contrib_dir;
    /* Trees made from the other inputs (host dir, image dir pairs): not
     * part of the cache key; @derive fills them when the image is built. */
    const gchar *const *derived_trees;
    gboolean (*derive)(gpointer data, GError **error);
    gpointer derive_data;
} BbDockerImageRecipe;

/* Shared libraries @path needs, as absolute host paths (empty for static
 * binaries); the dynamic loader goes to @interpreter (may be NULL). */
GPtrArray *bb_docker_shared_libraries(const gchar *path, gchar **interpreter, GError **error);

/* Returns the image reference ("repository:hash"), importing the image
 * unless it already exists. */
gchar *bb_docker_image_assemble(BbDockerClient *client, const BbDockerImageRecipe *recipe,
                                GError **error);

/* Which of the contrib candidates go into the image (a new array of
 * host paths, owned by the caller); called only when the image is built. */
typedef GPtrArray *(*BbDockerContribFilter)(const gchar *const *candidates, gpointer user_data);

/* bb_docker_image_assemble behind the stat-keyed cache
 * (bb-docker-image-cache.h): when no input changed and the image still
 * exists, the cached ref, for the price of some stat() calls and one
 * image inspect. Otherwise assembles (keeping only what @filter, if
 * given, selects of @recipe's contrib plugins) and records the result. */
gchar *bb_docker_image_assemble_cached(BbDockerClient *client, const BbDockerImageRecipe *recipe,
                                       BbDockerContribFilter filter, gpointer filter_data,
                                       GError **error);

/* Removes the tags of @repositories' images that no container (running
 * or stopped) uses, except those in @keep. Returns the tags removed. */
GPtrArray *bb_docker_image_prune(BbDockerClient *client, const gchar *const *repositories,
                                 const gchar *const *keep, GError **error);

G_END_DECLS
