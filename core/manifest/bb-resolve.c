#include <stdlib.h>

#include "bb-agent-provider.h"
#include "bb-auth-scheme.h"
#include "bb-detector.h"
#include "bb-dockerfile.h"
#include "bb-error.h"
#include "bb-plan-private.h"
#include "bb-resolve.h"

/* The provider used when no bottle in the chain names one. */
#define DEFAULT_PROVIDER "shell"

/* The bottle chain flattened; strings and routes are borrowed from the
 * manifests, which the catalog keeps alive. */
typedef struct {
    GPtrArray *chain; /* of BbBottleManifest, named bottle first; owns refs */
    const gchar *template_name;
    BbSourcePos template_pos;
    const gchar *auth_token_ref;
    gboolean forward_host_credentials;
    const gchar *dockerfile;
    BbSourcePos dockerfile_pos;
    gchar *image_dockerfile; /* the cascade's pick (bb-dockerfile.h), owned */
    GHashTable *env;
    const gchar *git_user_name;
    const gchar *git_user_email;
    GPtrArray *git_remotes;     /* of borrowed BbGitRemote */
    GPtrArray *routes;          /* of borrowed BbManifestRoute */
    GPtrArray *provider_routes; /* of BbRoute, owned */
    gboolean supervise;
    GString *prompt;
} Merged;

static void
merged_free(Merged *merged)
{
    g_ptr_array_unref(merged->chain);
    g_hash_table_unref(merged->env);
    g_ptr_array_unref(merged->git_remotes);
    g_ptr_array_unref(merged->routes);
    g_ptr_array_unref(merged->provider_routes);
    g_string_free(merged->prompt, TRUE);
    g_free(merged->image_dockerfile);
    g_free(merged);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Merged, merged_free)

static void G_GNUC_PRINTF(3, 4)
    add_error(GPtrArray *diagnostics, const BbSourcePos *pos, const gchar *format, ...)
{
    va_list args;
    g_autofree gchar *message = NULL;
    va_start(args, format);
    message = g_strdup_vprintf(format, args);
    va_end(args);
    bb_diagnostics_add(diagnostics, pos->file, pos->line, pos->column, FALSE, message);
}

static gboolean
report_if_broken(BbCatalog *catalog, const gchar *file, guint n_errors, GPtrArray *diagnostics)
{
    if (n_errors == 0)
        return FALSE;
    bb_catalog_copy_file_diagnostics(catalog, file, diagnostics);
    return TRUE;
}

/* Follows `extends` from @name. @from is where @name was asked for (an
 * agent's `bottle` key), for the error when it does not exist. */
static GPtrArray *
resolve_chain(BbCatalog *catalog, const gchar *name, const BbSourcePos *from, const gchar *from_key,
              const gchar *hint, GPtrArray *diagnostics)
{
    g_autoptr(GPtrArray) chain =
        g_ptr_array_new_with_free_func((GDestroyNotify)bb_bottle_manifest_unref);
    const gchar *wanted = name;
    const BbSourcePos *wanted_at = from;
    const gchar *wanted_key = from_key;

    while (wanted != NULL) {
        BbBottleManifest *bottle = bb_catalog_lookup_bottle(catalog, wanted);
        if (bottle == NULL) {
            g_autofree gchar *known = bb_catalog_describe_bottles(catalog);
            add_error(diagnostics, wanted_at,
                      "%s: no bottle named '%s'; expected one of the bottles in %s/bottles (%s)%s",
                      wanted_key, wanted, bb_catalog_get_config_dir(catalog),
                      known[0] != '\0' ? known : "there are none", hint);
            return NULL;
        }
        for (guint i = 0; i < chain->len; i++) {
            BbBottleManifest *seen = g_ptr_array_index(chain, i);
            if (seen == bottle) {
                g_autoptr(GString) cycle = g_string_new(NULL);
                for (guint j = i; j < chain->len; j++) {
                    BbBottleManifest *link = g_ptr_array_index(chain, j);
                    g_string_append_printf(cycle, "%s → ", link->name);
                }
                g_string_append(cycle, bottle->name);
                add_error(diagnostics, wanted_at,
                          "extends: extends cycle: %s; expected a chain that ends at a bottle "
                          "without extends",
                          cycle->str);
                return NULL;
            }
        }
        g_ptr_array_add(chain, bb_bottle_manifest_ref(bottle));
        if (report_if_broken(catalog, bottle->path, bottle->n_errors, diagnostics))
            return NULL;
        wanted = bottle->extends;
        wanted_at = &bottle->extends_pos;
        wanted_key = "extends";
        hint = "";
    }
    return g_steal_pointer(&chain);
}

static void
merge_remote(Merged *merged, BbGitRemote *remote)
{
    for (guint i = 0; i < merged->git_remotes->len; i++) {
        const BbGitRemote *existing = g_ptr_array_index(merged->git_remotes, i);
        if (g_strcmp0(existing->host, remote->host) == 0) {
            merged->git_remotes->pdata[i] = remote;
            return;
        }
    }
    g_ptr_array_add(merged->git_remotes, remote);
}

static void
merge_route(Merged *merged, BbManifestRoute *route)
{
    for (guint i = 0; i < merged->routes->len; i++) {
        const BbManifestRoute *existing = g_ptr_array_index(merged->routes, i);
        if (g_strcmp0(existing->route->host, route->route->host) == 0) {
            merged->routes->pdata[i] = route;
            return;
        }
    }
    g_ptr_array_add(merged->routes, route);
}

static void
append_prompt(GString *prompt, const gchar *body)
{
    g_autofree gchar *trimmed = g_strstrip(g_strdup(body));
    if (trimmed[0] == '\0')
        return;
    if (prompt->len > 0)
        g_string_append(prompt, "\n\n");
    g_string_append(prompt, trimmed);
}

static void
merge_one(Merged *merged, BbBottleManifest *m)
{
    GHashTableIter iter;
    gpointer key, value;

    if (m->template_name != NULL) {
        merged->template_name = m->template_name;
        merged->template_pos = m->template_pos;
    }
    if (m->auth_token_ref != NULL)
        merged->auth_token_ref = m->auth_token_ref;
    if (m->forward_host_credentials != BB_UNSET)
        merged->forward_host_credentials = m->forward_host_credentials == BB_TRUE;
    if (m->dockerfile != NULL) {
        merged->dockerfile = m->dockerfile;
        merged->dockerfile_pos = m->dockerfile_pos;
    }
    g_hash_table_iter_init(&iter, m->env);
    while (g_hash_table_iter_next(&iter, &key, &value))
        g_hash_table_replace(merged->env, key, value);
    if (m->git_user_name != NULL)
        merged->git_user_name = m->git_user_name;
    if (m->git_user_email != NULL)
        merged->git_user_email = m->git_user_email;
    for (guint i = 0; i < m->git_remotes->len; i++)
        merge_remote(merged, g_ptr_array_index(m->git_remotes, i));
    for (guint i = 0; i < m->routes->len; i++)
        merge_route(merged, g_ptr_array_index(m->routes, i));
    if (m->supervise != BB_UNSET)
        merged->supervise = m->supervise == BB_TRUE;
    append_prompt(merged->prompt, m->body);
}

static Merged *
merge_chain(GPtrArray *chain)
{
    Merged *merged = g_new0(Merged, 1);
    merged->chain = g_ptr_array_ref(chain);
    merged->env = g_hash_table_new(g_str_hash, g_str_equal);
    merged->git_remotes = g_ptr_array_new();
    merged->routes = g_ptr_array_new();
    merged->provider_routes = g_ptr_array_new_with_free_func((GDestroyNotify)bb_route_unref);
    merged->supervise = TRUE;
    merged->prompt = g_string_new(NULL);
    for (guint i = chain->len; i > 0; i--)
        merge_one(merged, g_ptr_array_index(chain, i - 1));
    if (merged->template_name == NULL) {
        BbBottleManifest *named = g_ptr_array_index(chain, 0);
        merged->template_name = DEFAULT_PROVIDER;
        merged->template_pos.file = named->path;
        merged->template_pos.line = 1;
        merged->template_pos.column = 1;
    }
    return merged;
}

static gchar *
describe_implementations(BbRegistry *registry, GType iface_type)
{
    g_autoptr(GPtrArray) impls = bb_registry_list(registry, iface_type);
    g_autoptr(GString) names = g_string_new(NULL);
    for (guint i = 0; impls != NULL && i < impls->len; i++) {
        const BbImplementation *impl = g_ptr_array_index(impls, i);
        g_string_append_printf(names, "%s%s", names->len > 0 ? ", " : "", impl->name);
    }
    if (names->len == 0)
        g_string_append(names, "none installed");
    return g_string_free(g_steal_pointer(&names), FALSE);
}

static void
check_dockerfile(Merged *merged, GPtrArray *diagnostics)
{
    if (merged->dockerfile == NULL || g_file_test(merged->dockerfile, G_FILE_TEST_IS_REGULAR))
        return;
    add_error(diagnostics, &merged->dockerfile_pos,
              "agent_provider.dockerfile: '%s' is not a file; expected a path to a Dockerfile "
              "(relative paths start at the bottle's directory)",
              merged->dockerfile);
}

static void
check_detectors(BbRegistry *registry, const BbManifestRoute *route, const BbDlpSelection *sel,
                const BbSourcePos *pos, const gchar *key, GPtrArray *diagnostics)
{
    for (guint i = 0; sel->detectors != NULL && sel->detectors[i] != NULL; i++) {
        g_autofree gchar *known = NULL;
        if (bb_registry_lookup(registry, BB_TYPE_DETECTOR, sel->detectors[i]) != NULL)
            continue;
        known = describe_implementations(registry, BB_TYPE_DETECTOR);
        add_error(diagnostics, pos, "%s.dlp.%s[%u]: no detector named '%s'; expected one of %s",
                  route->key_path, key, i, sel->detectors[i], known);
    }
}

static void
check_routes_against_registry(Merged *merged, BbRegistry *registry, GPtrArray *diagnostics)
{
    for (guint i = 0; i < merged->routes->len; i++) {
        const BbManifestRoute *route = g_ptr_array_index(merged->routes, i);
        if (route->route->auth_scheme != NULL &&
            bb_registry_lookup(registry, BB_TYPE_AUTH_SCHEME, route->route->auth_scheme) == NULL) {
            g_autofree gchar *known = describe_implementations(registry, BB_TYPE_AUTH_SCHEME);
            add_error(diagnostics, &route->scheme_pos,
                      "%s.auth.scheme: no auth scheme named '%s'; expected one of %s",
                      route->key_path, route->route->auth_scheme, known);
        }
        check_detectors(registry, route, &route->route->outbound, &route->outbound_pos,
                        "outbound_detectors", diagnostics);
        check_detectors(registry, route, &route->route->inbound, &route->inbound_pos,
                        "inbound_detectors", diagnostics);
    }
}

/* Asks the provider to vet its settings and hand over the routes it owns. */
static void
apply_provider(Merged *merged, BbRegistry *registry, GPtrArray *diagnostics)
{
    g_autoptr(GObject) provider = NULL;
    g_autoptr(GPtrArray) routes = NULL;
    g_autoptr(GError) error = NULL;
    BbProviderSettings settings = {merged->template_name, merged->auth_token_ref,
                                   merged->forward_host_credentials};

    const BbImplementation *impl =
        bb_registry_lookup(registry, BB_TYPE_AGENT_PROVIDER, merged->template_name);

    if (impl == NULL) {
        g_autofree gchar *known = describe_implementations(registry, BB_TYPE_AGENT_PROVIDER);
        add_error(diagnostics, &merged->template_pos,
                  "agent_provider.template: no provider named '%s'%s; expected one of %s",
                  merged->template_name,
                  /* line 1 is the opening ---: no bottle set a template */
                  merged->template_pos.line == 1 ? " (the default when no bottle sets one)" : "",
                  known);
        return;
    }
    /* The plan carries the provider's own spelling of its name. */
    merged->template_name = impl->name;
    settings.template_name = impl->name;
    provider = bb_registry_create(registry, BB_TYPE_AGENT_PROVIDER, merged->template_name, &error);
    if (provider == NULL) {
        add_error(diagnostics, &merged->template_pos,
                  "agent_provider.template: provider '%s' failed to start: %s; expected a "
                  "working provider plugin (see bot-bottle plugins)",
                  merged->template_name, error->message);
        return;
    }
    if (!bb_agent_provider_validate_settings(BB_AGENT_PROVIDER(provider), &settings, &error)) {
        add_error(diagnostics, &merged->template_pos,
                  "agent_provider: %s; expected settings provider '%s' supports", error->message,
                  merged->template_name);
        return;
    }
    routes = bb_agent_provider_get_routes(BB_AGENT_PROVIDER(provider), &settings, &error);
    if (routes == NULL) {
        add_error(diagnostics, &merged->template_pos,
                  "agent_provider: provider '%s' could not describe its routes: %s; expected "
                  "working provider settings",
                  merged->template_name, error->message);
        return;
    }
    for (guint i = 0; i < routes->len; i++)
        g_ptr_array_add(merged->provider_routes, bb_route_ref(g_ptr_array_index(routes, i)));
}

/* The Dockerfile cascade: bottle override, manifest, contrib, provider. */
static void
pick_dockerfile(Merged *merged, BbCatalog *catalog, BbRegistry *registry)
{
    BbBottleManifest *named = g_ptr_array_index(merged->chain, 0);
    g_autoptr(GObject) provider = NULL;
    if (bb_registry_lookup(registry, BB_TYPE_AGENT_PROVIDER, merged->template_name) != NULL)
        provider =
            bb_registry_create(registry, BB_TYPE_AGENT_PROVIDER, merged->template_name, NULL);
    merged->image_dockerfile = bb_dockerfile_cascade(
        named->path, merged->dockerfile, bb_catalog_get_config_dir(catalog), merged->template_name,
        provider != NULL ? BB_AGENT_PROVIDER(provider) : NULL);
}

/* The provider's placeholders (CLAUDE_CODE_OAUTH_TOKEN, …) join the
 * agent's env; a manifest's own value for the same name wins. */
static void
add_provider_env(BbPlan *plan, BbRegistry *registry)
{
    g_autoptr(GObject) provider = NULL;
    if (bb_registry_lookup(registry, BB_TYPE_AGENT_PROVIDER, bb_plan_get_provider(plan)) != NULL)
        provider =
            bb_registry_create(registry, BB_TYPE_AGENT_PROVIDER, bb_plan_get_provider(plan), NULL);
    if (provider == NULL)
        return;
    g_autoptr(GHashTable) env =
        bb_agent_provider_get_placeholder_env(BB_AGENT_PROVIDER(provider), plan);
    GHashTableIter iter;
    gpointer name, value;
    g_hash_table_iter_init(&iter, env);
    while (g_hash_table_iter_next(&iter, &name, &value))
        if (!g_hash_table_contains(bb_plan_get_env(plan), name))
            bb_plan_set_env(plan, name, value);
}

/* Resolves and checks a bottle; NULL when an error was reported. */
static Merged *
resolve_merged(BbCatalog *catalog, const gchar *bottle_name, const BbSourcePos *from,
               const gchar *from_key, const gchar *hint, BbRegistry *registry,
               GPtrArray *diagnostics)
{
    guint errors_before = bb_diagnostics_count_errors(diagnostics);
    g_autoptr(GPtrArray) chain =
        resolve_chain(catalog, bottle_name, from, from_key, hint, diagnostics);
    g_autoptr(Merged) merged = NULL;

    if (chain == NULL)
        return NULL;
    merged = merge_chain(chain);
    check_dockerfile(merged, diagnostics);
    if (registry != NULL) {
        check_routes_against_registry(merged, registry, diagnostics);
        apply_provider(merged, registry, diagnostics);
        pick_dockerfile(merged, catalog, registry);
    }
    if (bb_diagnostics_count_errors(diagnostics) > errors_before)
        return NULL;
    return g_steal_pointer(&merged);
}

gboolean
bb_resolve_bottle(BbCatalog *catalog, const gchar *bottle_name, BbRegistry *registry,
                  GPtrArray *diagnostics)
{
    BbSourcePos nowhere = {bottle_name, 0, 0};
    g_autoptr(Merged) merged =
        resolve_merged(catalog, bottle_name, &nowhere, "bottle", "", registry, diagnostics);
    return merged != NULL;
}

static gboolean
is_provider_host(Merged *merged, const gchar *host)
{
    for (guint i = 0; i < merged->provider_routes->len; i++) {
        const BbRoute *route = g_ptr_array_index(merged->provider_routes, i);
        if (g_strcmp0(route->host, host) == 0)
            return TRUE;
    }
    return FALSE;
}

static void
add_routes(BbPlan *plan, Merged *merged)
{
    for (guint i = 0; i < merged->routes->len; i++) {
        const BbManifestRoute *mroute = g_ptr_array_index(merged->routes, i);
        BbRoute *route = mroute->route;
        if (is_provider_host(merged, route->host))
            continue;
        bb_plan_add_route(plan, route);
        if (route->token_ref != NULL) {
            g_autofree gchar *used_by = g_strdup_printf("route %s", route->host);
            bb_plan_add_secret_ref(plan, route->token_ref, used_by);
            /* The agent sees the variable, holding a placeholder the proxy
             * replaces; a manifest's own env value for it wins. */
            if (!g_hash_table_contains(bb_plan_get_env(plan), route->token_ref))
                bb_plan_set_env(plan, route->token_ref, BB_PLACEHOLDER_TOKEN);
        }
    }
    for (guint i = 0; i < merged->provider_routes->len; i++) {
        BbRoute *route = g_ptr_array_index(merged->provider_routes, i);
        bb_plan_add_route(plan, route);
        if (route->token_ref != NULL) {
            g_autofree gchar *used_by =
                g_strdup_printf("route %s (provider %s)", route->host, merged->template_name);
            bb_plan_add_secret_ref(plan, route->token_ref, used_by);
        }
    }
}

/* Whether @path, with every symbolic link followed, lies under @root. */
static gboolean
resolves_inside(const gchar *path, const gchar *root)
{
    g_autofree gchar *real_path = realpath(path, NULL);
    g_autofree gchar *real_root = realpath(root, NULL);
    g_autofree gchar *prefix = NULL;
    if (real_path == NULL || real_root == NULL)
        return FALSE;
    prefix = g_strconcat(real_root, "/", NULL);
    return g_str_has_prefix(real_path, prefix);
}

/* A repo agent's skills come from the repo first, then from home. A repo
 * skill that leads outside the repo (a symlink to ~/.ssh, say) would
 * copy the user's files into the agent, so it is refused. */
static gchar *
find_skill(BbCatalog *catalog, BbAgentManifest *agent, const gchar *name, GString *problem)
{
    const gchar *repo_dir = bb_catalog_get_repo_dir(catalog);
    g_autofree gchar *home_skill =
        g_build_filename(bb_catalog_get_config_dir(catalog), "skills", name, NULL);
    g_autofree gchar *repo_skill = NULL;

    if (agent->origin == BB_ORIGIN_REPO && repo_dir != NULL) {
        repo_skill = g_build_filename(repo_dir, ".bot-bottle", "skills", name, NULL);
        if (g_file_test(repo_skill, G_FILE_TEST_IS_DIR)) {
            if (resolves_inside(repo_skill, repo_dir))
                return g_steal_pointer(&repo_skill);
            g_string_printf(problem,
                            "skill '%s' at %s/ leads outside the repository; expected a "
                            "directory inside %s",
                            name, repo_skill, repo_dir);
            return NULL;
        }
    }
    if (g_file_test(home_skill, G_FILE_TEST_IS_DIR))
        return g_steal_pointer(&home_skill);
    g_string_printf(problem, "no skill named '%s'; expected a directory ", name);
    if (repo_skill != NULL)
        g_string_append_printf(problem, "%s/ or ", repo_skill);
    g_string_append_printf(problem, "%s/", home_skill);
    return NULL;
}

static void
add_skills(BbPlan *plan, BbCatalog *catalog, BbAgentManifest *agent, GPtrArray *diagnostics)
{
    for (guint i = 0; i < agent->skills->len; i++) {
        const BbManifestSkill *skill = g_ptr_array_index(agent->skills, i);
        g_autoptr(GString) problem = g_string_new(NULL);
        g_autofree gchar *dir = find_skill(catalog, agent, skill->name, problem);
        if (dir == NULL)
            add_error(diagnostics, &skill->pos, "skills[%u]: %s", i, problem->str);
        else
            bb_plan_add_skill(plan, skill->name, dir);
    }
}

static void
fill_plan(BbPlan *plan, Merged *merged, BbAgentManifest *agent)
{
    g_autoptr(GPtrArray) chain_paths = g_ptr_array_new();
    BbBottleManifest *named = g_ptr_array_index(merged->chain, 0);
    GHashTableIter iter;
    gpointer key, value;

    bb_plan_set_agent(plan, agent->name, agent->path, agent->origin);
    for (guint i = 0; i < merged->chain->len; i++) {
        BbBottleManifest *bottle = g_ptr_array_index(merged->chain, i);
        g_ptr_array_add(chain_paths, bottle->path);
    }
    g_ptr_array_add(chain_paths, NULL);
    bb_plan_set_bottle(plan, named->name, (const gchar *const *)chain_paths->pdata);
    bb_plan_set_provider(plan, merged->template_name,
                         merged->image_dockerfile != NULL ? merged->image_dockerfile
                                                          : merged->dockerfile,
                         merged->auth_token_ref, merged->forward_host_credentials);
    if (merged->auth_token_ref != NULL) {
        g_autofree gchar *used_by = g_strdup_printf("provider %s", merged->template_name);
        bb_plan_add_secret_ref(plan, merged->auth_token_ref, used_by);
    }
    g_hash_table_iter_init(&iter, merged->env);
    while (g_hash_table_iter_next(&iter, &key, &value))
        bb_plan_set_env(plan, key, value);
    add_routes(plan, merged);
    append_prompt(merged->prompt, agent->body);
    bb_plan_set_prompt(plan, merged->prompt->str);
    bb_plan_set_git_user(plan, merged->git_user_name, merged->git_user_email);
    for (guint i = 0; i < merged->git_remotes->len; i++)
        bb_plan_add_git_remote(plan, g_ptr_array_index(merged->git_remotes, i));
    bb_plan_set_supervise(plan, merged->supervise);
}

BbPlan *
bb_resolve_agent(BbCatalog *catalog, BbAgentManifest *agent, BbRegistry *registry,
                 GPtrArray *diagnostics)
{
    guint errors_before = bb_diagnostics_count_errors(diagnostics);
    const gchar *hint = agent->origin == BB_ORIGIN_REPO
                            ? "; a repository cannot ship bottles, so a repo agent must name one "
                              "of yours"
                            : "";
    g_autoptr(Merged) merged = NULL;
    g_autoptr(BbPlan) plan = NULL;

    if (report_if_broken(catalog, agent->path, agent->n_errors, diagnostics))
        return NULL;
    merged = resolve_merged(catalog, agent->bottle, &agent->bottle_pos, "bottle", hint, registry,
                            diagnostics);
    if (merged == NULL)
        return NULL;
    plan = bb_plan_new();
    fill_plan(plan, merged, agent);
    if (registry != NULL)
        add_provider_env(plan, registry);
    add_skills(plan, catalog, agent, diagnostics);
    if (bb_diagnostics_count_errors(diagnostics) > errors_before)
        return NULL;
    bb_plan_seal(plan);
    return g_steal_pointer(&plan);
}
