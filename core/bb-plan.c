#include "bb-plan-private.h"

struct _BbPlan {
    GObject parent_instance;
    gboolean sealed;

    gchar *agent_name;
    gchar *agent_path;
    BbManifestOrigin agent_origin;
    gchar *bottle_name;
    GStrv bottle_chain;

    gchar *provider;
    gchar *dockerfile;
    gchar *auth_token_ref;
    gboolean forward_host_credentials;

    GHashTable *env;
    GPtrArray *routes;
    GPtrArray *skills;
    gchar *prompt;
    gchar *git_user_name;
    gchar *git_user_email;
    GPtrArray *git_remotes;
    GPtrArray *secret_refs;
    gboolean supervise;
};

G_DEFINE_FINAL_TYPE(BbPlan, bb_plan, G_TYPE_OBJECT)

const gchar *
bb_manifest_origin_to_string(BbManifestOrigin origin)
{
    return origin == BB_ORIGIN_REPO ? "repo" : "home";
}

void
bb_skill_free(BbSkill *skill)
{
    if (skill == NULL)
        return;
    g_free(skill->name);
    g_free(skill->path);
    g_free(skill);
}

void
bb_git_remote_free(BbGitRemote *remote)
{
    if (remote == NULL)
        return;
    g_free(remote->host);
    g_free(remote->name);
    g_free(remote->upstream);
    g_free(remote->identity_file);
    g_free(remote->known_host_key);
    g_free(remote);
}

void
bb_secret_ref_free(BbSecretRef *ref)
{
    if (ref == NULL)
        return;
    g_free(ref->env_name);
    g_free(ref->used_by);
    g_free(ref);
}

static void
bb_plan_finalize(GObject *object)
{
    BbPlan *self = BB_PLAN(object);
    g_free(self->agent_name);
    g_free(self->agent_path);
    g_free(self->bottle_name);
    g_strfreev(self->bottle_chain);
    g_free(self->provider);
    g_free(self->dockerfile);
    g_free(self->auth_token_ref);
    g_hash_table_unref(self->env);
    g_ptr_array_unref(self->routes);
    g_ptr_array_unref(self->skills);
    g_free(self->prompt);
    g_free(self->git_user_name);
    g_free(self->git_user_email);
    g_ptr_array_unref(self->git_remotes);
    g_ptr_array_unref(self->secret_refs);
    G_OBJECT_CLASS(bb_plan_parent_class)->finalize(object);
}

static void
bb_plan_class_init(BbPlanClass *klass)
{
    G_OBJECT_CLASS(klass)->finalize = bb_plan_finalize;
}

static void
bb_plan_init(BbPlan *self)
{
    self->env = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    self->routes = g_ptr_array_new_with_free_func((GDestroyNotify)bb_route_unref);
    self->skills = g_ptr_array_new_with_free_func((GDestroyNotify)bb_skill_free);
    self->git_remotes = g_ptr_array_new_with_free_func((GDestroyNotify)bb_git_remote_free);
    self->secret_refs = g_ptr_array_new_with_free_func((GDestroyNotify)bb_secret_ref_free);
    self->supervise = TRUE;
    self->prompt = g_strdup("");
}

BbPlan *
bb_plan_new(void)
{
    return g_object_new(BB_TYPE_PLAN, NULL);
}

#define RETURN_IF_SEALED(self)                                                                     \
    g_return_if_fail(BB_IS_PLAN(self));                                                            \
    g_return_if_fail(!(self)->sealed)

void
bb_plan_set_agent(BbPlan *self, const gchar *name, const gchar *path, BbManifestOrigin origin)
{
    RETURN_IF_SEALED(self);
    g_free(self->agent_name);
    g_free(self->agent_path);
    self->agent_name = g_strdup(name);
    self->agent_path = g_strdup(path);
    self->agent_origin = origin;
}

void
bb_plan_set_bottle(BbPlan *self, const gchar *name, const gchar *const *chain)
{
    RETURN_IF_SEALED(self);
    g_free(self->bottle_name);
    g_strfreev(self->bottle_chain);
    self->bottle_name = g_strdup(name);
    self->bottle_chain = g_strdupv((gchar **)chain);
}

void
bb_plan_set_provider(BbPlan *self, const gchar *provider, const gchar *dockerfile,
                     const gchar *auth_token_ref, gboolean forward_host_credentials)
{
    RETURN_IF_SEALED(self);
    g_free(self->provider);
    g_free(self->dockerfile);
    g_free(self->auth_token_ref);
    self->provider = g_strdup(provider);
    self->dockerfile = g_strdup(dockerfile);
    self->auth_token_ref = g_strdup(auth_token_ref);
    self->forward_host_credentials = forward_host_credentials;
}

void
bb_plan_set_env(BbPlan *self, const gchar *name, const gchar *value)
{
    RETURN_IF_SEALED(self);
    g_hash_table_replace(self->env, g_strdup(name), g_strdup(value));
}

void
bb_plan_add_route(BbPlan *self, BbRoute *route)
{
    RETURN_IF_SEALED(self);
    g_ptr_array_add(self->routes, bb_route_ref(route));
}

void
bb_plan_add_skill(BbPlan *self, const gchar *name, const gchar *path)
{
    BbSkill *skill;
    RETURN_IF_SEALED(self);
    skill = g_new0(BbSkill, 1);
    skill->name = g_strdup(name);
    skill->path = g_strdup(path);
    g_ptr_array_add(self->skills, skill);
}

void
bb_plan_set_prompt(BbPlan *self, const gchar *prompt)
{
    RETURN_IF_SEALED(self);
    g_free(self->prompt);
    self->prompt = g_strdup(prompt != NULL ? prompt : "");
}

void
bb_plan_set_git_user(BbPlan *self, const gchar *name, const gchar *email)
{
    RETURN_IF_SEALED(self);
    g_free(self->git_user_name);
    g_free(self->git_user_email);
    self->git_user_name = g_strdup(name);
    self->git_user_email = g_strdup(email);
}

void
bb_plan_add_git_remote(BbPlan *self, const BbGitRemote *remote)
{
    BbGitRemote *copy;
    RETURN_IF_SEALED(self);
    copy = g_new0(BbGitRemote, 1);
    copy->host = g_strdup(remote->host);
    copy->name = g_strdup(remote->name);
    copy->upstream = g_strdup(remote->upstream);
    copy->identity_file = g_strdup(remote->identity_file);
    copy->known_host_key = g_strdup(remote->known_host_key);
    g_ptr_array_add(self->git_remotes, copy);
}

void
bb_plan_add_secret_ref(BbPlan *self, const gchar *env_name, const gchar *used_by)
{
    BbSecretRef *ref;
    RETURN_IF_SEALED(self);
    for (guint i = 0; i < self->secret_refs->len; i++) {
        BbSecretRef *existing = g_ptr_array_index(self->secret_refs, i);
        if (g_strcmp0(existing->env_name, env_name) == 0)
            return;
    }
    ref = g_new0(BbSecretRef, 1);
    ref->env_name = g_strdup(env_name);
    ref->used_by = g_strdup(used_by);
    g_ptr_array_add(self->secret_refs, ref);
}

void
bb_plan_set_supervise(BbPlan *self, gboolean supervise)
{
    RETURN_IF_SEALED(self);
    self->supervise = supervise;
}

void
bb_plan_seal(BbPlan *self)
{
    g_return_if_fail(BB_IS_PLAN(self));
    self->sealed = TRUE;
}

const gchar *
bb_plan_get_agent_name(BbPlan *self)
{
    g_return_val_if_fail(BB_IS_PLAN(self), NULL);
    return self->agent_name;
}

const gchar *
bb_plan_get_agent_path(BbPlan *self)
{
    g_return_val_if_fail(BB_IS_PLAN(self), NULL);
    return self->agent_path;
}

BbManifestOrigin
bb_plan_get_agent_origin(BbPlan *self)
{
    g_return_val_if_fail(BB_IS_PLAN(self), BB_ORIGIN_HOME);
    return self->agent_origin;
}

const gchar *
bb_plan_get_bottle_name(BbPlan *self)
{
    g_return_val_if_fail(BB_IS_PLAN(self), NULL);
    return self->bottle_name;
}

const gchar *const *
bb_plan_get_bottle_chain(BbPlan *self)
{
    g_return_val_if_fail(BB_IS_PLAN(self), NULL);
    return (const gchar *const *)self->bottle_chain;
}

const gchar *
bb_plan_get_provider(BbPlan *self)
{
    g_return_val_if_fail(BB_IS_PLAN(self), NULL);
    return self->provider;
}

const gchar *
bb_plan_get_dockerfile(BbPlan *self)
{
    g_return_val_if_fail(BB_IS_PLAN(self), NULL);
    return self->dockerfile;
}

const gchar *
bb_plan_get_provider_auth_token_ref(BbPlan *self)
{
    g_return_val_if_fail(BB_IS_PLAN(self), NULL);
    return self->auth_token_ref;
}

gboolean
bb_plan_get_forward_host_credentials(BbPlan *self)
{
    g_return_val_if_fail(BB_IS_PLAN(self), FALSE);
    return self->forward_host_credentials;
}

GHashTable *
bb_plan_get_env(BbPlan *self)
{
    g_return_val_if_fail(BB_IS_PLAN(self), NULL);
    return self->env;
}

static gint
compare_strings_indirect(gconstpointer a, gconstpointer b)
{
    return g_strcmp0(*(const gchar *const *)a, *(const gchar *const *)b);
}

GPtrArray *
bb_plan_get_env_names(BbPlan *self)
{
    GPtrArray *names;
    GHashTableIter iter;
    gpointer key;
    g_return_val_if_fail(BB_IS_PLAN(self), NULL);
    names = g_ptr_array_new();
    g_hash_table_iter_init(&iter, self->env);
    while (g_hash_table_iter_next(&iter, &key, NULL))
        g_ptr_array_add(names, key);
    g_ptr_array_sort(names, compare_strings_indirect);
    return names;
}

GPtrArray *
bb_plan_get_routes(BbPlan *self)
{
    g_return_val_if_fail(BB_IS_PLAN(self), NULL);
    return self->routes;
}

BbRoute *
bb_plan_find_route(BbPlan *self, const gchar *host)
{
    g_return_val_if_fail(BB_IS_PLAN(self), NULL);
    for (guint i = 0; i < self->routes->len; i++) {
        BbRoute *route = g_ptr_array_index(self->routes, i);
        if (g_strcmp0(route->host, host) == 0)
            return route;
    }
    return NULL;
}

GPtrArray *
bb_plan_get_skills(BbPlan *self)
{
    g_return_val_if_fail(BB_IS_PLAN(self), NULL);
    return self->skills;
}

const gchar *
bb_plan_get_prompt(BbPlan *self)
{
    g_return_val_if_fail(BB_IS_PLAN(self), NULL);
    return self->prompt;
}

const gchar *
bb_plan_get_git_user_name(BbPlan *self)
{
    g_return_val_if_fail(BB_IS_PLAN(self), NULL);
    return self->git_user_name;
}

const gchar *
bb_plan_get_git_user_email(BbPlan *self)
{
    g_return_val_if_fail(BB_IS_PLAN(self), NULL);
    return self->git_user_email;
}

GPtrArray *
bb_plan_get_git_remotes(BbPlan *self)
{
    g_return_val_if_fail(BB_IS_PLAN(self), NULL);
    return self->git_remotes;
}

GPtrArray *
bb_plan_get_secret_refs(BbPlan *self)
{
    g_return_val_if_fail(BB_IS_PLAN(self), NULL);
    return self->secret_refs;
}

gboolean
bb_plan_get_supervise(BbPlan *self)
{
    g_return_val_if_fail(BB_IS_PLAN(self), TRUE);
    return self->supervise;
}
