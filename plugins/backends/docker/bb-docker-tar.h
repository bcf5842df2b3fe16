/* BbDockerTar: an in-memory ustar writer. The engine takes files as tar
 * streams (image import, PUT /containers/{id}/archive, build contexts);
 * writing them ourselves sets owner and mode exactly, with no temp files
 * and no `tar` process. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _BbDockerTar BbDockerTar;

BbDockerTar *bb_docker_tar_new(void);
void bb_docker_tar_free(BbDockerTar *tar);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BbDockerTar, bb_docker_tar_free)

/* Paths are relative to the archive root ("etc/ssl/x.pem"); leading '/'
 * is stripped. Fails when a path does not fit ustar (255 bytes). */
gboolean bb_docker_tar_add_dir(BbDockerTar *tar, const gchar *path, guint mode, guint uid,
                               guint gid, GError **error);
gboolean bb_docker_tar_add_file(BbDockerTar *tar, const gchar *path, GBytes *contents, guint mode,
                                guint uid, guint gid, GError **error);
gboolean bb_docker_tar_add_symlink(BbDockerTar *tar, const gchar *path, const gchar *target,
                                   GError **error);
/* Adds @host_path (a regular file, followed through symlinks) at @path
 * keeping its permission bits. */
gboolean bb_docker_tar_add_host_file(BbDockerTar *tar, const gchar *host_path, const gchar *path,
                                     guint uid, guint gid, GError **error);
/* Adds the tree under @host_dir at @path: directories, regular files and
 * symlinks; anything else (sockets, devices) is refused. */
gboolean bb_docker_tar_add_host_tree(BbDockerTar *tar, const gchar *host_dir, const gchar *path,
                                     guint uid, guint gid, GError **error);
/* Whether @path was already added (assembling images dedups libraries). */
gboolean bb_docker_tar_contains(BbDockerTar *tar, const gchar *path);
/* The first entry of @archive when it is a regular file: its contents.
 * NULL (no error) when the first entry is something else. */
GBytes *bb_docker_tar_read_first_file(GBytes *archive, GError **error);
/* Ends the archive; @tar must not be used afterwards except to free it. */
GBytes *bb_docker_tar_finish(BbDockerTar *tar);

G_END_DECLS
