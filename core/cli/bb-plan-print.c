#include <stdio.h>
#include <string.h>

#include "bb-plan-print.h"

static gboolean
secret_is_set(const gchar *env_name)
{
    const gchar *value = g_getenv(env_name);
    return value != NULL && value[0] != '\0';
}

static void
add_string_member(JsonBuilder *b, const gchar *name, const gchar *value)
{
    json_builder_set_member_name(b, name);
    if (value != NULL)
        json_builder_add_string_value(b, value);
    else
        json_builder_add_null_value(b);
}

static void
add_strv_member(JsonBuilder *b, const gchar *name, const gchar *const *values)
{
    json_builder_set_member_name(b, name);
    if (values == NULL) {
        json_builder_add_null_value(b);
        return;
    }
    json_builder_begin_array(b);
    for (guint i = 0; values[i] != NULL; i++)
        json_builder_add_string_value(b, values[i]);
    json_builder_end_array(b);
}

static void
add_dlp_selection(JsonBuilder *b, const gchar *name, const BbDlpSelection *selection)
{
    json_builder_set_member_name(b, name);
    if (!selection->enabled) {
        json_builder_add_boolean_value(b, FALSE);
        return;
    }
    if (selection->detectors == NULL) {
        json_builder_add_string_value(b, "all");
        return;
    }
    json_builder_begin_array(b);
    for (guint i = 0; selection->detectors[i] != NULL; i++)
        json_builder_add_string_value(b, selection->detectors[i]);
    json_builder_end_array(b);
}

static void
add_match(JsonBuilder *b, const BbRouteMatch *match)
{
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "paths");
    json_builder_begin_array(b);
    for (guint i = 0; i < match->paths->len; i++) {
        const BbPathMatch *path = g_ptr_array_index(match->paths, i);
        json_builder_begin_object(b);
        add_string_member(b, "type", bb_match_type_to_string(path->type));
        add_string_member(b, "value", path->value);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    add_strv_member(b, "methods", (const gchar *const *)match->methods);
    json_builder_set_member_name(b, "headers");
    json_builder_begin_array(b);
    for (guint i = 0; i < match->headers->len; i++) {
        const BbHeaderMatch *header = g_ptr_array_index(match->headers, i);
        json_builder_begin_object(b);
        add_string_member(b, "name", header->name);
        add_string_member(b, "type", bb_match_type_to_string(header->type));
        add_string_member(b, "value", header->value);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
}

static void
add_route(JsonBuilder *b, const BbRoute *route)
{
    json_builder_begin_object(b);
    add_string_member(b, "host", route->host);
    json_builder_set_member_name(b, "port");
    json_builder_add_int_value(b, route->port);
    add_string_member(b, "auth_scheme", route->auth_scheme);
    add_string_member(b, "token_ref", route->token_ref);
    json_builder_set_member_name(b, "matches");
    json_builder_begin_array(b);
    for (guint i = 0; i < route->matches->len; i++)
        add_match(b, g_ptr_array_index(route->matches, i));
    json_builder_end_array(b);
    json_builder_set_member_name(b, "dlp");
    json_builder_begin_object(b);
    add_dlp_selection(b, "outbound_detectors", &route->outbound);
    add_dlp_selection(b, "inbound_detectors", &route->inbound);
    add_string_member(b, "outbound_on_match", bb_on_match_to_string(route->outbound_on_match));
    json_builder_end_object(b);
    json_builder_set_member_name(b, "git_fetch");
    json_builder_add_boolean_value(b, route->git_fetch);
    json_builder_set_member_name(b, "provider_owned");
    json_builder_add_boolean_value(b, route->provider_owned);
    json_builder_end_object(b);
}

static void
add_env(JsonBuilder *b, BbPlan *plan)
{
    g_autoptr(GPtrArray) names = bb_plan_get_env_names(plan);
    GHashTable *env = bb_plan_get_env(plan);
    json_builder_set_member_name(b, "env");
    json_builder_begin_object(b);
    for (guint i = 0; i < names->len; i++) {
        const gchar *name = g_ptr_array_index(names, i);
        add_string_member(b, name, g_hash_table_lookup(env, name));
    }
    json_builder_end_object(b);
}

static void
add_secrets(JsonBuilder *b, BbPlan *plan)
{
    GPtrArray *refs = bb_plan_get_secret_refs(plan);
    json_builder_set_member_name(b, "secrets");
    json_builder_begin_array(b);
    for (guint i = 0; i < refs->len; i++) {
        const BbSecretRef *ref = g_ptr_array_index(refs, i);
        json_builder_begin_object(b);
        add_string_member(b, "env_name", ref->env_name);
        add_string_member(b, "used_by", ref->used_by);
        json_builder_set_member_name(b, "set");
        json_builder_add_boolean_value(b, secret_is_set(ref->env_name));
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
}

static void
add_git(JsonBuilder *b, BbPlan *plan)
{
    GPtrArray *remotes = bb_plan_get_git_remotes(plan);
    json_builder_set_member_name(b, "git");
    json_builder_begin_object(b);
    add_string_member(b, "user_name", bb_plan_get_git_user_name(plan));
    add_string_member(b, "user_email", bb_plan_get_git_user_email(plan));
    json_builder_set_member_name(b, "remotes");
    json_builder_begin_array(b);
    for (guint i = 0; i < remotes->len; i++) {
        const BbGitRemote *remote = g_ptr_array_index(remotes, i);
        json_builder_begin_object(b);
        add_string_member(b, "host", remote->host);
        add_string_member(b, "name", remote->name);
        add_string_member(b, "upstream", remote->upstream);
        add_string_member(b, "identity_file", remote->identity_file);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    json_builder_end_object(b);
}

JsonNode *
bb_plan_to_json(BbPlan *plan)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    GPtrArray *routes = bb_plan_get_routes(plan);
    GPtrArray *skills = bb_plan_get_skills(plan);

    json_builder_begin_object(b);
    add_string_member(b, "agent", bb_plan_get_agent_name(plan));
    add_string_member(b, "agent_path", bb_plan_get_agent_path(plan));
    add_string_member(b, "agent_origin",
                      bb_manifest_origin_to_string(bb_plan_get_agent_origin(plan)));
    add_string_member(b, "bottle", bb_plan_get_bottle_name(plan));
    add_strv_member(b, "bottle_chain", bb_plan_get_bottle_chain(plan));
    json_builder_set_member_name(b, "provider");
    json_builder_begin_object(b);
    add_string_member(b, "template", bb_plan_get_provider(plan));
    add_string_member(b, "dockerfile", bb_plan_get_dockerfile(plan));
    add_string_member(b, "auth_token_ref", bb_plan_get_provider_auth_token_ref(plan));
    json_builder_set_member_name(b, "forward_host_credentials");
    json_builder_add_boolean_value(b, bb_plan_get_forward_host_credentials(plan));
    json_builder_end_object(b);
    add_env(b, plan);
    json_builder_set_member_name(b, "routes");
    json_builder_begin_array(b);
    for (guint i = 0; i < routes->len; i++)
        add_route(b, g_ptr_array_index(routes, i));
    json_builder_end_array(b);
    json_builder_set_member_name(b, "skills");
    json_builder_begin_array(b);
    for (guint i = 0; i < skills->len; i++) {
        const BbSkill *skill = g_ptr_array_index(skills, i);
        json_builder_begin_object(b);
        add_string_member(b, "name", skill->name);
        add_string_member(b, "path", skill->path);
        json_builder_end_object(b);
    }
    json_builder_end_array(b);
    add_git(b, plan);
    add_secrets(b, plan);
    json_builder_set_member_name(b, "supervise");
    json_builder_add_boolean_value(b, bb_plan_get_supervise(plan));
    add_string_member(b, "prompt", bb_plan_get_prompt(plan));
    json_builder_end_object(b);
    return json_builder_get_root(b);
}

static gchar *
describe_route(const BbRoute *route)
{
    g_autoptr(GString) text = g_string_new(route->host);
    if (route->port != 0)
        g_string_append_printf(text, ":%u", route->port);
    if (route->auth_scheme != NULL)
        g_string_append_printf(text, "  auth %s $%s", route->auth_scheme, route->token_ref);
    if (route->matches->len > 0)
        g_string_append_printf(text, "  %u match rule%s", route->matches->len,
                               route->matches->len == 1 ? "" : "s");
    if (route->git_fetch)
        g_string_append(text, "  git fetch");
    if (!route->outbound.enabled)
        g_string_append(text, "  outbound DLP off");
    g_string_append_printf(text, "  on match: %s", bb_on_match_to_string(route->outbound_on_match));
    if (route->provider_owned)
        g_string_append(text, "  (provider)");
    return g_string_free(g_steal_pointer(&text), FALSE);
}

static void
print_field(BbCli *cli, const gchar *label, const gchar *value)
{
    g_autofree gchar *painted = bb_cli_paint(cli, "1", label);
    /* Pad by the raw label width: escape codes take no columns. */
    printf("%s%*s %s\n", painted, (gint)(10 - strlen(label)), "", value != NULL ? value : "-");
}

void
bb_plan_print_text(BbCli *cli, BbPlan *plan)
{
    g_autoptr(GPtrArray) env_names = bb_plan_get_env_names(plan);
    g_autofree gchar *chain = g_strjoinv(" → ", (gchar **)bb_plan_get_bottle_chain(plan));
    g_autofree gchar *agent = g_strdup_printf(
        "%s (%s: %s)", bb_plan_get_agent_name(plan),
        bb_manifest_origin_to_string(bb_plan_get_agent_origin(plan)), bb_plan_get_agent_path(plan));
    GPtrArray *routes = bb_plan_get_routes(plan);
    GPtrArray *skills = bb_plan_get_skills(plan);
    GPtrArray *refs = bb_plan_get_secret_refs(plan);
    GPtrArray *remotes = bb_plan_get_git_remotes(plan);

    print_field(cli, "agent", agent);
    print_field(cli, "bottle", bb_plan_get_bottle_name(plan));
    print_field(cli, "chain", chain);
    print_field(cli, "provider", bb_plan_get_provider(plan));
    if (bb_plan_get_dockerfile(plan) != NULL)
        print_field(cli, "dockerfile", bb_plan_get_dockerfile(plan));
    for (guint i = 0; i < env_names->len; i++) {
        const gchar *name = g_ptr_array_index(env_names, i);
        g_autofree gchar *line = g_strdup_printf(
            "%s=%s", name, (const gchar *)g_hash_table_lookup(bb_plan_get_env(plan), name));
        print_field(cli, i == 0 ? "env" : "", line);
    }
    for (guint i = 0; i < routes->len; i++) {
        g_autofree gchar *line = describe_route(g_ptr_array_index(routes, i));
        print_field(cli, i == 0 ? "routes" : "", line);
    }
    if (routes->len == 0)
        print_field(cli, "routes", "(none: every host is blocked)");
    for (guint i = 0; i < skills->len; i++) {
        const BbSkill *skill = g_ptr_array_index(skills, i);
        g_autofree gchar *line = g_strdup_printf("%s (%s)", skill->name, skill->path);
        print_field(cli, i == 0 ? "skills" : "", line);
    }
    if (bb_plan_get_git_user_name(plan) != NULL) {
        g_autofree gchar *line = g_strdup_printf("%s <%s>", bb_plan_get_git_user_name(plan),
                                                 bb_plan_get_git_user_email(plan));
        print_field(cli, "git user", line);
    }
    for (guint i = 0; i < remotes->len; i++) {
        const BbGitRemote *remote = g_ptr_array_index(remotes, i);
        g_autofree gchar *line = g_strdup_printf("%s → %s", remote->host, remote->upstream);
        print_field(cli, i == 0 ? "remotes" : "", line);
    }
    for (guint i = 0; i < refs->len; i++) {
        const BbSecretRef *ref = g_ptr_array_index(refs, i);
        g_autofree gchar *state = bb_cli_paint(cli, secret_is_set(ref->env_name) ? "32" : "1;33",
                                               secret_is_set(ref->env_name) ? "set" : "unset");
        g_autofree gchar *line =
            g_strdup_printf("$%s (%s) for %s", ref->env_name, state, ref->used_by);
        print_field(cli, i == 0 ? "secrets" : "", line);
    }
    print_field(cli, "supervise", bb_plan_get_supervise(plan) ? "yes" : "no");
    print_field(cli, "prompt", "");
    printf("%s\n", bb_plan_get_prompt(plan));
}
