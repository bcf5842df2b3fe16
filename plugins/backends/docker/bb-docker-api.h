/* Typed calls to the Engine API endpoints the backend uses. Each is one
 * request over BbDockerClient; none shells out to the docker CLI. */
#pragma once

#include "bb-docker-client.h"

G_BEGIN_DECLS

gboolean bb_docker_ping(BbDockerClient *client, GError **error);
/* Names of the OCI runtimes the engine has registered ("runc", "runsc"). */
GStrv bb_docker_runtimes(BbDockerClient *client, GError **error);

/* FALSE without @error when the image is absent. */
gboolean bb_docker_image_exists(BbDockerClient *client, const gchar *ref, gboolean *exists,
                                GError **error);
/* docker import: @rootfs_tar becomes image @ref ("name:tag"); @changes are
 * Dockerfile instructions (ENTRYPOINT, USER, ENV...). */
gboolean bb_docker_image_import(BbDockerClient *client, GBytes *rootfs_tar, const gchar *ref,
                                const gchar *const *changes, GError **error);
typedef void (*BbDockerProgressFunc)(const gchar *line, gpointer user_data);
/* docker build of a tar context holding a Dockerfile at its root. */
gboolean bb_docker_image_build(BbDockerClient *client, GBytes *context_tar, const gchar *dockerfile,
                               const gchar *ref, BbDockerProgressFunc progress,
                               gpointer progress_data, GCancellable *cancellable, GError **error);
gboolean bb_docker_image_remove(BbDockerClient *client, const gchar *ref, GError **error);

/* Labels are given as a NULL-terminated key, value, key, value… list. */
JsonNode *bb_docker_labels_node(const gchar *const *labels);

/* @subnet may be NULL (the engine picks one); its .1 is the gateway. */
gchar *bb_docker_network_create(BbDockerClient *client, const gchar *name, gboolean internal,
                                gboolean inhibit_ipv4, const gchar *subnet,
                                const gchar *const *labels, GError **error);
/* Every IPv4 subnet the engine's networks use, as "a.b.c.d/len". */
GPtrArray *bb_docker_network_subnets(BbDockerClient *client, GError **error);
/* Idempotent: an absent network is not an error; one whose containers
 * are still leaving (another teardown) is retried, bounded. */
gboolean bb_docker_network_remove(BbDockerClient *client, const gchar *id, GError **error);
gboolean bb_docker_network_connect(BbDockerClient *client, const gchar *network,
                                   const gchar *container, GError **error);
/* Networks / containers carrying label @key=@value (or just @key when
 * @value is NULL); arrays of the engine's JSON objects. */
JsonArray *bb_docker_network_list(BbDockerClient *client, const gchar *key, const gchar *value,
                                  GError **error);
JsonArray *bb_docker_container_list(BbDockerClient *client, const gchar *key, const gchar *value,
                                    GError **error);

/* Volumes work alike; an absent volume is not an error to remove, one
 * still in use by a leaving container is retried, bounded. */
JsonArray *bb_docker_volume_list(BbDockerClient *client, const gchar *key, const gchar *value,
                                 GError **error);
gboolean bb_docker_volume_remove(BbDockerClient *client, const gchar *name, GError **error);

gchar *bb_docker_container_create(BbDockerClient *client, const gchar *name, JsonNode *config,
                                  GError **error);
gboolean bb_docker_container_start(BbDockerClient *client, const gchar *id, GError **error);
/* Idempotent force-remove, with anonymous volumes; a removal already in
 * progress elsewhere is waited for (bounded), not an error. */
gboolean bb_docker_container_remove(BbDockerClient *client, const gchar *id, GError **error);
gboolean bb_docker_container_kill(BbDockerClient *client, const gchar *id, const gchar *signal,
                                  GError **error);
JsonObject *bb_docker_container_inspect(BbDockerClient *client, const gchar *id, GError **error);
/* The container's IPv4 address on @network (name). */
gchar *bb_docker_container_ip(BbDockerClient *client, const gchar *id, const gchar *network,
                              GError **error);
/* Extracts @tar into the container at @path (a directory). */
gboolean bb_docker_container_put_archive(BbDockerClient *client, const gchar *id, const gchar *path,
                                         GBytes *tar, GError **error);
/* The tar the engine makes of @path in the container; NULL without
 * @error when the path does not exist. */
GBytes *bb_docker_container_get_archive(BbDockerClient *client, const gchar *id, const gchar *path,
                                        GError **error);
/* Commits the container to @repo:@tag without pausing it (a snapshot of
 * its live filesystem); returns the image id. */
gchar *bb_docker_container_commit(BbDockerClient *client, const gchar *id, const gchar *repo,
                                  const gchar *tag, const gchar *const *labels, GError **error);
gchar *bb_docker_container_logs(BbDockerClient *client, const gchar *id, GError **error);

/* Runs @argv in a running container as @user (NULL = the image's user),
 * feeding @input (may be NULL) to stdin. Output goes to @out/@err when
 * given, else to our stdout/stderr. Returns the exit code in @status. */
gboolean bb_docker_exec(BbDockerClient *client, const gchar *id, const gchar *const *argv,
                        const gchar *user, GBytes *input, GByteArray *out, GByteArray *err,
                        gint *status, GError **error);

/* The same streaming our @in_fd to the command's stdin and its output to
 * our stdout/stderr, without a TTY. The end of @in_fd is the end of the
 * command's input (it reads EOF); the call returns when the command
 * ends, whether or not @in_fd has. */
gboolean bb_docker_exec_stream(BbDockerClient *client, const gchar *id, const gchar *const *argv,
                               const gchar *user, gint in_fd, gint *status, GError **error);

/* The same with a TTY, pumping @in_fd/@out_fd (raw mode and window size
 * when they are terminals) until the command ends. */
gboolean bb_docker_exec_tty(BbDockerClient *client, const gchar *id, const gchar *const *argv,
                            const gchar *user, gint in_fd, gint out_fd, gint *status,
                            GError **error);
/* The exit code of a finished exec (bounded wait for it to settle). */
gboolean bb_docker_exec_status(BbDockerClient *client, const gchar *exec_id, gint *status,
                               GError **error);

/* Writes @input (may be NULL) to a hijacked attach or exec stream, then
 * ends our side of it: the process reads EOF after the data. */
gboolean bb_docker_send_input(GIOStream *stream, GBytes *input, GError **error);

/* Writes @input to the stdin of a created-but-not-started container
 * (OpenStdin + StdinOnce) and closes it, then starts the container: the
 * data reaches the process through a pipe and nowhere else. */
gboolean bb_docker_container_start_with_stdin(BbDockerClient *client, const gchar *id,
                                              GBytes *input, GError **error);

G_END_DECLS
