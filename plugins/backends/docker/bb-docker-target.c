#include "bb-docker-target.h"

#include "bb-docker-api.h"
#include "bb-docker-tar.h"
#include "bb-error.h"

struct _BbDockerTarget {
    GObject parent_instance;
    BbDockerClient *client;
    gchar *container_id;
    gchar *agent_user;
    guint uid;
    guint gid;
};

static void bb_docker_target_iface_init(BbAgentTargetInterface *iface);

G_DEFINE_TYPE_WITH_CODE(BbDockerTarget, bb_docker_target, G_TYPE_OBJECT,
                        G_IMPLEMENT_INTERFACE(BB_TYPE_AGENT_TARGET, bb_docker_target_iface_init))

static void
bb_docker_target_finalize(GObject *object)
{
    BbDockerTarget *self = BB_DOCKER_TARGET(object);
    g_clear_object(&self->client);
    g_free(self->container_id);
    g_free(self->agent_user);
    G_OBJECT_CLASS(bb_docker_target_parent_class)->finalize(object);
}

static void
bb_docker_target_class_init(BbDockerTargetClass *klass)
{
    G_OBJECT_CLASS(klass)->finalize = bb_docker_target_finalize;
}

static void
bb_docker_target_init(BbDockerTarget *self)
{
}

static gboolean
bb_docker_target_write_file(BbAgentTarget *target, const gchar *path, GBytes *contents, guint mode,
                            gboolean as_root, GError **error)
{
    BbDockerTarget *self = BB_DOCKER_TARGET(target);
    if (!g_path_is_absolute(path)) {
        g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "Agent paths must be absolute: %s", path);
        return FALSE;
    }
    guint uid = as_root ? 0 : self->uid;
    guint gid = as_root ? 0 : self->gid;
    g_autoptr(BbDockerTar) tar = bb_docker_tar_new();
    if (!bb_docker_tar_add_file(tar, path, contents, mode, uid, gid, error))
        return FALSE;
    /* The engine would extract missing parent directories as root; make
     * them first, as the file's owner, so the agent can use them. */
    g_autofree gchar *dir = g_path_get_dirname(path);
    const gchar *mkdir_argv[] = {"mkdir", "-p", dir, NULL};
    gint status = -1;
    g_autoptr(GByteArray) out = g_byte_array_new();
    g_autoptr(GByteArray) err = g_byte_array_new();
    if (!bb_docker_exec(self->client, self->container_id, mkdir_argv,
                        as_root ? "0:0" : self->agent_user, NULL, out, err, &status, error))
        return FALSE;
    g_autoptr(GBytes) archive = bb_docker_tar_finish(tar);
    return bb_docker_container_put_archive(self->client, self->container_id, "/", archive, error);
}

static gboolean
bb_docker_target_copy_dir(BbAgentTarget *target, const gchar *host_dir, const gchar *target_dir,
                          GError **error)
{
    BbDockerTarget *self = BB_DOCKER_TARGET(target);
    g_autoptr(BbDockerTar) tar = bb_docker_tar_new();
    if (!bb_docker_tar_add_host_tree(tar, host_dir, target_dir, self->uid, self->gid, error))
        return FALSE;
    g_autoptr(GBytes) archive = bb_docker_tar_finish(tar);
    return bb_docker_container_put_archive(self->client, self->container_id, "/", archive, error);
}

static gboolean
bb_docker_target_exec(BbAgentTarget *target, const gchar *const *argv, gboolean as_root,
                      gint *status, GError **error)
{
    BbDockerTarget *self = BB_DOCKER_TARGET(target);
    g_autoptr(GByteArray) out = g_byte_array_new();
    g_autoptr(GByteArray) err = g_byte_array_new();
    return bb_docker_exec(self->client, self->container_id, argv,
                          as_root ? "0:0" : self->agent_user, NULL, out, err, status, error);
}

static void
bb_docker_target_iface_init(BbAgentTargetInterface *iface)
{
    iface->write_file = bb_docker_target_write_file;
    iface->copy_dir = bb_docker_target_copy_dir;
    iface->exec = bb_docker_target_exec;
}

BbDockerTarget *
bb_docker_target_new(BbDockerClient *client, const gchar *container_id, const gchar *agent_user)
{
    BbDockerTarget *self = g_object_new(BB_TYPE_DOCKER_TARGET, NULL);
    self->client = g_object_ref(client);
    self->container_id = g_strdup(container_id);
    self->agent_user = g_strdup(agent_user != NULL ? agent_user : "1000:1000");
    guint64 uid = 1000, gid = 1000;
    g_auto(GStrv) parts = g_strsplit(self->agent_user, ":", 2);
    if (parts[0] != NULL)
        g_ascii_string_to_unsigned(parts[0], 10, 0, G_MAXUINT32, &uid, NULL);
    gid = uid;
    if (parts[0] != NULL && parts[1] != NULL)
        g_ascii_string_to_unsigned(parts[1], 10, 0, G_MAXUINT32, &gid, NULL);
    self->uid = uid;
    self->gid = gid;
    return self;
}
