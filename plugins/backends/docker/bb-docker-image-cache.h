/* A stat-keyed memo of image preparation. Assembling the sidecar (ldd,
 * reading and hashing every file) or hashing an agent build context (an
 * npm tree of hundreds of MB) costs far more than the container start it
 * precedes, and its inputs rarely change. A key made of the inputs'
 * metadata (path, size, mtime to the nanosecond, inode, mode, owner) plus
 * the recipe names the image ref that was produced from them.
 *
 * The cache answers only "which ref to use": the caller still checks the
 * image exists on the engine, and a missing, corrupt or foreign cache
 * file is a miss, never an error. One entry per slot (e.g. the sidecar,
 * or one Dockerfile): a rebuild replaces it, so the file stays small and
 * lists exactly the images current inputs produce. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Accumulates the key material. */
typedef struct _BbImageStamp BbImageStamp;

BbImageStamp *bb_image_stamp_new(const gchar *kind);
void bb_image_stamp_free(BbImageStamp *stamp);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BbImageStamp, bb_image_stamp_free)

/* A recipe value (env entry, uid, image path…). */
void bb_image_stamp_add_text(BbImageStamp *stamp, const gchar *name, const gchar *value);
/* @path's metadata, symlinks followed; a missing file is stamped as such. */
void bb_image_stamp_add_file(BbImageStamp *stamp, const gchar *path);
/* Only owner and mode: what a loader's trust check looks at, without
 * the mtime that any unrelated file added there would change. */
void bb_image_stamp_add_dir_owner(BbImageStamp *stamp, const gchar *path);
/* Every entry below @dir, in name order (symlinks followed as the tar
 * writer follows them; directories by name only). */
void bb_image_stamp_add_tree(BbImageStamp *stamp, const gchar *dir);
/* The key: a SHA-256 of everything added, in hex. */
gchar *bb_image_stamp_get_key(BbImageStamp *stamp);

/* One file's metadata line ("path\tsize\tmtime\tino\tdev\tmode\tuid"). */
gchar *bb_image_stamp_line(const gchar *path);

/* The cache file: $BOT_BOTTLE_CACHE_DIR or $XDG_CACHE_HOME/bot-bottle, images.json. */
gchar *bb_image_cache_path(void);

/* The ref stored for @slot when its key is @key and every dependency
 * recorded with it (files found only while building, e.g. the libraries
 * ldd resolved) still has the metadata it had then. NULL otherwise. */
gchar *bb_image_cache_lookup(const gchar *slot, const gchar *key);

/* Records @ref for @slot under @key, stamping @deps (host paths) now.
 * Best effort: a cache that cannot be written only costs a rebuild. */
void bb_image_cache_store(const gchar *slot, const gchar *key, const gchar *ref,
                          const gchar *const *deps);

/* Every ref the cache currently names (images `cleanup --images` keeps). */
GPtrArray *bb_image_cache_refs(void);

G_END_DECLS
