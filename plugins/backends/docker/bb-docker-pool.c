#include "bb-docker-pool.h"

#include <string.h>
#include <unistd.h>
#include "bb-docker-api.h"
#include "bb-docker-sidecar.h"
#include "bb-error.h"

gchar *
bb_docker_pool_key(const BbDockerBottleSpec *spec)
{
    g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
    /* Each field NUL-terminated, so no two recipes concatenate alike. */
    const gchar *fields[] = {"bot-bottle warm bottle v1",
                             spec->agent_name,
                             spec->agent_image,
                             spec->agent_user != NULL ? spec->agent_user : "",
                             spec->sidecar_image,
                             spec->runtime != NULL ? spec->runtime : "",
                             NULL};
    for (const gchar *const *field = fields; *field != NULL; field++)
        g_checksum_update(sum, (const guchar *)*field, (gssize)strlen(*field) + 1);
    for (const gchar *const *env = spec->agent_env; env != NULL && *env != NULL; env++)
        g_checksum_update(sum, (const guchar *)*env, (gssize)strlen(*env) + 1);
    g_autofree gchar *limits = g_strdup_printf("%" G_GINT64_FORMAT ":%" G_GINT64_FORMAT,
                                               spec->pids_limit, spec->memory_bytes);
    g_checksum_update(sum, (const guchar *)limits, -1);
    return g_strndup(g_checksum_get_string(sum), 24);
}

/* The container's name without the leading slash of the list API. */
static const gchar *
bb_container_name(JsonObject *container)
{
    JsonArray *names = json_object_has_member(container, "Names")
                           ? json_object_get_array_member(container, "Names")
                           : NULL;
    if (names == NULL || json_array_get_length(names) == 0)
        return NULL;
    const gchar *name = json_array_get_string_element(names, 0);
    return name != NULL && name[0] == '/' ? name + 1 : name;
}

static gboolean
bb_is_idle_warm(JsonObject *container)
{
    const gchar *slug = bb_docker_label_of(container, BB_DOCKER_LABEL_SLUG);
    const gchar *name = bb_container_name(container);
    if (slug == NULL || name == NULL ||
        g_strcmp0(bb_docker_label_of(container, BB_DOCKER_LABEL_ROLE), "agent") != 0)
        return FALSE;
    g_autofree gchar *idle = g_strdup_printf("bb-%s" BB_DOCKER_WARM_SUFFIX, slug);
    return g_strcmp0(name, idle) == 0;
}

/* "bb-SLUG-agent.PID.START" → PID and START, for a claimed warm bottle. */
static gboolean
bb_claimed_owner(JsonObject *container, gchar **pid, gchar **start)
{
    const gchar *slug = bb_docker_label_of(container, BB_DOCKER_LABEL_SLUG);
    const gchar *name = bb_container_name(container);
    g_autofree gchar *prefix = g_strdup_printf("bb-%s-agent.", slug != NULL ? slug : "");
    if (slug == NULL || name == NULL || !g_str_has_prefix(name, prefix))
        return FALSE;
    g_auto(GStrv) parts = g_strsplit(name + strlen(prefix), ".", 2);
    if (g_strv_length(parts) != 2)
        return FALSE;
    *pid = g_strdup(parts[0]);
    *start = g_strdup(parts[1]);
    return TRUE;
}

gboolean
bb_docker_container_owner_alive(JsonObject *container, gboolean *warm)
{
    if (warm != NULL)
        *warm = FALSE;
    if (bb_docker_label_of(container, BB_DOCKER_LABEL_POOL) != NULL) {
        if (bb_is_idle_warm(container)) {
            if (warm != NULL)
                *warm = TRUE;
            return TRUE;
        }
        g_autofree gchar *pid = NULL;
        g_autofree gchar *start = NULL;
        if (bb_claimed_owner(container, &pid, &start))
            return bb_docker_owner_alive(pid, start);
    }
    return bb_docker_owner_alive(bb_docker_label_of(container, BB_DOCKER_LABEL_OWNER),
                                 bb_docker_label_of(container, BB_DOCKER_LABEL_OWNER_START));
}

static gboolean
bb_container_rename(BbDockerClient *client, const gchar *id, const gchar *name, gboolean *taken,
                    GError **error)
{
    g_autofree gchar *id_q = bb_docker_query_escape(id);
    g_autofree gchar *name_q = bb_docker_query_escape(name);
    g_autofree gchar *path = g_strdup_printf("/containers/%s/rename?name=%s", id_q, name_q);
    /* 404: gone; 409: renamed by another claimer a moment ago. */
    const guint lost[] = {404, 409, 0};
    guint status = 0;
    g_autoptr(GError) local_error = NULL;
    JsonNode *reply =
        bb_docker_client_call(client, "POST", path, NULL, lost, &status, &local_error);
    g_clear_pointer(&reply, json_node_unref); /* only the status matters */
    if (local_error != NULL) {
        g_propagate_error(error, g_steal_pointer(&local_error));
        return FALSE;
    }
    *taken = status == 404 || status == 409;
    return TRUE;
}

/* The idle warm agents of @agent_name (any recipe), oldest first. */
static GPtrArray *
bb_idle_warm(BbDockerClient *client, const gchar *agent_name, GError **error)
{
    g_autoptr(JsonArray) containers =
        bb_docker_container_list(client, BB_DOCKER_LABEL_AGENT, agent_name, error);
    if (containers == NULL)
        return NULL;
    GPtrArray *idle = g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);
    for (guint i = json_array_get_length(containers); i > 0; i--) {
        JsonObject *container = json_array_get_object_element(containers, i - 1);
        const gchar *state = json_object_get_string_member_with_default(container, "State", "");
        if (bb_docker_label_of(container, BB_DOCKER_LABEL_POOL) != NULL &&
            bb_is_idle_warm(container) && g_strcmp0(state, "running") == 0)
            g_ptr_array_add(idle, json_object_ref(container));
    }
    return idle;
}

static gchar *
bb_claimer_name(const gchar *slug)
{
    g_autofree gchar *start = bb_docker_process_start(getpid());
    return g_strdup_printf("bb-%s-agent.%d.%s", slug, (int)getpid(), start != NULL ? start : "0");
}

/* The claimed bottle, as far as the caller needs it (names work as ids). */
static BbDockerBottle *
bb_claimed_bottle(JsonObject *container, const gchar *key)
{
    const gchar *slug = bb_docker_label_of(container, BB_DOCKER_LABEL_SLUG);
    BbDockerBottle *bottle = g_new0(BbDockerBottle, 1);
    bottle->slug = g_strdup(slug);
    bottle->agent_id = g_strdup(json_object_get_string_member(container, "Id"));
    bottle->sidecar_id = g_strdup_printf("bb-%s-sidecar", slug);
    bottle->internal_network = g_strdup_printf("bb-%s-internal", slug);
    bottle->egress_network = g_strdup_printf("bb-%s-egress", slug);
    bottle->pool_key = g_strdup(key);
    return bottle;
}

static gboolean
bb_hand_over(BbDockerClient *client, BbDockerBottle *bottle, const BbDockerBottleSpec *spec,
             GError **error)
{
    g_autoptr(BbSidecarChannel) channel =
        bb_sidecar_channel_open(client, bottle->sidecar_id, TRUE, error);
    if (channel == NULL)
        return FALSE;
    g_autoptr(GBytes) document = bb_docker_sidecar_launch_document(spec);
    gboolean sent = bb_sidecar_channel_send(channel, document, error);
    bb_docker_bytes_wipe(document);
    return sent && bb_sidecar_channel_await_ready(channel, error);
}

BbDockerBottle *
bb_docker_pool_claim(BbDockerClient *client, const BbDockerBottleSpec *spec, guint *idle_count,
                     GError **error)
{
    g_autofree gchar *key = bb_docker_pool_key(spec);
    g_autoptr(GPtrArray) idle = bb_idle_warm(client, spec->agent_name, error);
    *idle_count = 0;
    if (idle == NULL)
        return NULL;
    for (guint i = 0; i < idle->len; i++) {
        JsonObject *container = g_ptr_array_index(idle, i);
        if (g_strcmp0(bb_docker_label_of(container, BB_DOCKER_LABEL_POOL), key) == 0)
            (*idle_count)++;
    }
    for (guint i = 0; i < idle->len; i++) {
        JsonObject *container = g_ptr_array_index(idle, i);
        if (g_strcmp0(bb_docker_label_of(container, BB_DOCKER_LABEL_POOL), key) != 0)
            continue;
        g_autoptr(BbDockerBottle) bottle = bb_claimed_bottle(container, key);
        g_autofree gchar *name = bb_claimer_name(bottle->slug);
        gboolean taken = FALSE;
        if (!bb_container_rename(client, bottle->agent_id, name, &taken, error))
            return NULL;
        if (taken)
            continue;
        g_autoptr(GError) local_error = NULL;
        if (bb_hand_over(client, bottle, spec, &local_error))
            return g_steal_pointer(&bottle);
        /* A broken warm bottle is ours now: remove it, try the next. */
        g_warning("warm bottle %s could not be used (%s); removing it", bottle->slug,
                  local_error->message);
        bb_docker_bottle_remove(client, bottle->slug, NULL);
    }
    return NULL;
}

/* Finishes a warm bottle: only now may a launch claim it. */
static gboolean
bb_pool_publish(BbDockerClient *client, BbDockerBottle *bottle, GError **error)
{
    g_autofree gchar *name = g_strdup_printf("bb-%s" BB_DOCKER_WARM_SUFFIX, bottle->slug);
    gboolean taken = FALSE;
    if (!bb_container_rename(client, bottle->agent_id, name, &taken, error))
        return FALSE;
    if (taken)
        g_set_error(error, BB_ERROR, BB_ERROR_FAILED,
                    "warm bottle %s was removed while it was being made", bottle->slug);
    return !taken;
}

gboolean
bb_docker_pool_fill(BbDockerClient *client, const BbDockerBottleSpec *spec, guint count,
                    guint *made, guint *removed, GError **error)
{
    g_autofree gchar *key = bb_docker_pool_key(spec);
    g_autoptr(GPtrArray) idle = bb_idle_warm(client, spec->agent_name, error);
    if (idle == NULL)
        return FALSE;
    guint matching = 0, dropped = 0, added = 0;
    for (guint i = 0; i < idle->len; i++) {
        JsonObject *container = g_ptr_array_index(idle, i);
        gboolean same = g_strcmp0(bb_docker_label_of(container, BB_DOCKER_LABEL_POOL), key) == 0;
        if (same && matching < count) {
            matching++;
            continue;
        }
        /* Stale recipe, or more than asked for. */
        if (!bb_docker_bottle_remove(client, bb_docker_label_of(container, BB_DOCKER_LABEL_SLUG),
                                     error))
            return FALSE;
        dropped++;
    }
    for (; matching + added < count; added++) {
        g_autoptr(BbDockerBottle) bottle = bb_docker_bottle_make(client, spec, key, error);
        if (bottle == NULL)
            return FALSE;
        if (!bb_pool_publish(client, bottle, error)) {
            bb_docker_bottle_remove(client, bottle->slug, NULL);
            return FALSE;
        }
    }
    if (made != NULL)
        *made = added;
    if (removed != NULL)
        *removed = dropped;
    return TRUE;
}

typedef struct {
    BbDockerClient *client;
    gchar *agent_name, *agent_image, *agent_user, *sidecar_image, *runtime;
    GStrv agent_env;
    gint64 pids_limit, memory_bytes;
    guint count;
} BbRefill;

static gpointer
bb_refill_run(gpointer data)
{
    BbRefill *refill = data;
    BbDockerBottleSpec spec = {
        .agent_name = refill->agent_name,
        .agent_image = refill->agent_image,
        .agent_user = refill->agent_user,
        .agent_env = (const gchar *const *)refill->agent_env,
        .sidecar_image = refill->sidecar_image,
        .runtime = refill->runtime,
        .pids_limit = refill->pids_limit,
        .memory_bytes = refill->memory_bytes,
    };
    g_autoptr(GError) error = NULL;
    if (!bb_docker_pool_fill(refill->client, &spec, refill->count, NULL, NULL, &error))
        g_warning("could not refill the warm bottles of %s: %s", refill->agent_name,
                  error->message);
    g_object_unref(refill->client);
    g_free(refill->agent_name);
    g_free(refill->agent_image);
    g_free(refill->agent_user);
    g_free(refill->sidecar_image);
    g_free(refill->runtime);
    g_strfreev(refill->agent_env);
    g_free(refill);
    return NULL;
}

GThread *
bb_docker_pool_refill(BbDockerClient *client, const BbDockerBottleSpec *spec, guint count)
{
    BbRefill *refill = g_new0(BbRefill, 1);
    refill->client = g_object_ref(client);
    refill->agent_name = g_strdup(spec->agent_name);
    refill->agent_image = g_strdup(spec->agent_image);
    refill->agent_user = g_strdup(spec->agent_user);
    refill->sidecar_image = g_strdup(spec->sidecar_image);
    refill->runtime = g_strdup(spec->runtime);
    refill->agent_env = g_strdupv((gchar **)spec->agent_env);
    refill->pids_limit = spec->pids_limit;
    refill->memory_bytes = spec->memory_bytes;
    refill->count = count;
    return g_thread_new("bb-docker-refill", bb_refill_run, refill);
}
