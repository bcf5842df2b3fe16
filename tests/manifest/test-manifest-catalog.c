/* The catalog and the resolver, against manifests written into the
 * test's private $HOME. */
#include <glib/gstdio.h>
#include <unistd.h>

#include "bb-agent-provider.h"
#include "bb-catalog.h"
#include "bb-config.h"
#include "bb-error.h"
#include "manifest-test-fakes.h"

static gchar *
home_path(const gchar *relative)
{
    return g_build_filename(g_get_home_dir(), relative, NULL);
}

static void
write_home_file(const gchar *relative, const gchar *text)
{
    g_autofree gchar *path = home_path(relative);
    g_autofree gchar *dir = g_path_get_dirname(path);
    g_autoptr(GError) error = NULL;
    g_assert_cmpint(g_mkdir_with_parents(dir, 0700), ==, 0);
    g_file_set_contents(path, text, -1, &error);
    g_assert_no_error(error);
}

static void
make_home_dir(const gchar *relative)
{
    g_autofree gchar *path = home_path(relative);
    g_assert_cmpint(g_mkdir_with_parents(path, 0700), ==, 0);
}

/* A catalog over ~/.bot-bottle and, when @with_repo, ~/src/proj. */
static BbCatalog *
load_catalog(gboolean with_repo)
{
    g_autofree gchar *config = bb_config_dir();
    g_autofree gchar *repo = with_repo ? home_path("src/proj") : NULL;
    g_autoptr(GError) error = NULL;
    BbCatalog *catalog;
    if (with_repo)
        make_home_dir("src/proj/.git");
    catalog = bb_catalog_new(config, repo);
    g_assert_true(bb_catalog_load(catalog, &error));
    g_assert_no_error(error);
    return catalog;
}

static gchar *
diagnostics_text(BbCatalog *catalog)
{
    GPtrArray *diagnostics = bb_catalog_get_diagnostics(catalog);
    g_autoptr(GString) text = g_string_new(NULL);
    for (guint i = 0; i < diagnostics->len; i++) {
        g_autofree gchar *line = bb_diagnostic_to_string(g_ptr_array_index(diagnostics, i));
        g_string_append_printf(text, "%s%s", i > 0 ? "\n" : "", line);
    }
    return g_string_free(g_steal_pointer(&text), FALSE);
}

/* Replaces the test's home directory in @text with "~" so expected
 * messages are stable. */
static gchar *
tildify(const gchar *text)
{
    g_auto(GStrv) parts = g_strsplit(text, g_get_home_dir(), -1);
    return g_strjoinv("~", parts);
}

static gchar *
tildified_diagnostics(BbCatalog *catalog)
{
    g_autofree gchar *text = diagnostics_text(catalog);
    return tildify(text);
}

static gchar *
resolve_error(BbCatalog *catalog, const gchar *agent, BbRegistry *registry)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(BbPlan) plan = bb_catalog_resolve(catalog, agent, registry, &error);
    g_assert_null(plan);
    g_assert_error(error, BB_ERROR, BB_ERROR_INVALID_MANIFEST);
    return tildify(error->message);
}

static BbPlan *
resolve_ok(BbCatalog *catalog, const gchar *agent, BbRegistry *registry)
{
    g_autoptr(GError) error = NULL;
    BbPlan *plan = bb_catalog_resolve(catalog, agent, registry, &error);
    g_assert_no_error(error);
    g_assert_nonnull(plan);
    return plan;
}

static void
test_config_dir(void)
{
    g_autofree gchar *expected = home_path(".bot-bottle");
    g_autofree gchar *dir = bb_config_dir();
    g_autofree gchar *overridden = NULL;
    g_assert_cmpstr(dir, ==, expected);
    g_setenv("BOT_BOTTLE_CONFIG_DIR", "/elsewhere/conf", TRUE);
    overridden = bb_config_dir();
    g_unsetenv("BOT_BOTTLE_CONFIG_DIR");
    g_assert_cmpstr(overridden, ==, "/elsewhere/conf");
}

static void
test_repo_root(void)
{
    g_autofree gchar *repo = home_path("work/proj");
    g_autofree gchar *deep = home_path("work/proj/a/b");
    g_autofree gchar *found = NULL;
    g_autofree gchar *plain = home_path("notes");
    g_autofree gchar *none = NULL;
    make_home_dir("work/proj/.git");
    make_home_dir("work/proj/a/b");
    make_home_dir(".bot-bottle");
    make_home_dir("notes");
    found = bb_find_repo_root(deep);
    g_assert_cmpstr(found, ==, repo);
    /* Walking up from ~/notes reaches ~, whose .bot-bottle is the user's
     * config and not a repository. */
    none = bb_find_repo_root(plain);
    g_assert_null(none);
}

static const gchar base_bottle[] =
    "---\n"
    "agent_provider:\n"
    "  template: fakeprov\n"
    "  auth_token: BB_TEST_PROVIDER_TOKEN\n"
    "env:\n"
    "  A: base-a\n"
    "  B: base-b\n"
    "git:\n"
    "  user: {name: Base Name, email: base@example.com}\n"
    "  remotes:\n"
    "    github.com: {Name: one, Upstream: ssh://git@github.com/o.git}\n"
    "egress:\n"
    "  routes:\n"
    "    - host: a.example\n"
    "      matches: [{methods: [GET]}]\n"
    "    - host: b.example\n"
    "supervise: false\n"
    "---\n"
    "Base prompt.\n";

static const gchar dev_bottle[] =
    "---\n"
    "extends: base\n"
    "agent_provider:\n"
    "  dockerfile: docker/Dockerfile\n"
    "env:\n"
    "  B: dev-b\n"
    "  C: dev-c\n"
    "git:\n"
    "  user: {email: dev@example.com}\n"
    "  remotes:\n"
    "    github.com: {Name: two, Upstream: ssh://git@github.com/t.git, IdentityFile: keys/id}\n"
    "    gitlab.com: {Name: three, Upstream: ssh://git@gitlab.com/x.git, KnownHostKey: k}\n"
    "egress:\n"
    "  routes:\n"
    "    - host: A.Example.\n"
    "      port: 8443\n"
    "      auth: {scheme: bearer, token_ref: BB_TEST_A_TOKEN}\n"
    "      dlp: {outbound_detectors: [token-patterns], inbound_detectors: false,\n"
    "            outbound_on_match: block}\n"
    "      git: {fetch: true}\n"
    "    - host: c.example\n"
    "      matches:\n"
    "        - paths: [{value: /api/}, {type: exact, value: /x}, {type: regex, value: "
    "'/r/[0-9]+'}]\n"
    "          headers: [{name: X-V, value: '2'}, {name: Accept, type: regex, value: 'a/.*'}]\n"
    "---\n"
    "Dev prompt.\n";

static void
write_dev_setup(void)
{
    write_home_file(".bot-bottle/bottles/base.md", base_bottle);
    write_home_file(".bot-bottle/bottles/dev.md", dev_bottle);
    write_home_file(".bot-bottle/bottles/docker/Dockerfile", "FROM scratch\n");
    write_home_file(".bot-bottle/agents/helper.md",
                    "---\nbottle: dev\nskills: [review]\n---\n\nAgent prompt.\n\n");
    make_home_dir(".bot-bottle/skills/review");
}

static const BbGitRemote *
find_remote(BbPlan *plan, const gchar *host)
{
    GPtrArray *remotes = bb_plan_get_git_remotes(plan);
    for (guint i = 0; i < remotes->len; i++) {
        const BbGitRemote *remote = g_ptr_array_index(remotes, i);
        if (g_strcmp0(remote->host, host) == 0)
            return remote;
    }
    return NULL;
}

/* Every key of both bottles and the agent lands in the plan, merged. */
static void
test_resolve_every_key(void)
{
    g_autoptr(BbCatalog) catalog = NULL;
    g_autoptr(BbPlan) plan = NULL;
    g_autofree gchar *dockerfile = home_path(".bot-bottle/bottles/docker/Dockerfile");
    g_autofree gchar *identity = home_path(".bot-bottle/bottles/keys/id");
    g_autofree gchar *skill_dir = home_path(".bot-bottle/skills/review");
    g_autofree gchar *dev_path = home_path(".bot-bottle/bottles/dev.md");
    g_autofree gchar *base_path = home_path(".bot-bottle/bottles/base.md");
    GHashTable *env;
    BbRoute *route;
    const BbRouteMatch *match;
    const BbGitRemote *remote;
    const BbSkill *skill;

    write_dev_setup();
    catalog = load_catalog(FALSE);
    plan = resolve_ok(catalog, "helper", NULL);

    g_assert_cmpstr(bb_plan_get_agent_name(plan), ==, "helper");
    g_assert_cmpint(bb_plan_get_agent_origin(plan), ==, BB_ORIGIN_HOME);
    g_assert_cmpstr(bb_plan_get_bottle_name(plan), ==, "dev");
    g_assert_cmpuint(g_strv_length((gchar **)bb_plan_get_bottle_chain(plan)), ==, 2);
    g_assert_cmpstr(bb_plan_get_bottle_chain(plan)[0], ==, dev_path);
    g_assert_cmpstr(bb_plan_get_bottle_chain(plan)[1], ==, base_path);

    /* agent_provider merges field by field */
    g_assert_cmpstr(bb_plan_get_provider(plan), ==, "fakeprov");
    g_assert_cmpstr(bb_plan_get_provider_auth_token_ref(plan), ==, "BB_TEST_PROVIDER_TOKEN");
    g_assert_cmpstr(bb_plan_get_dockerfile(plan), ==, dockerfile);
    g_assert_false(bb_plan_get_forward_host_credentials(plan));

    /* env merges key by key, child wins; a route's token is a placeholder */
    env = bb_plan_get_env(plan);
    g_assert_cmpuint(g_hash_table_size(env), ==, 4);
    g_assert_cmpstr(g_hash_table_lookup(env, "BB_TEST_A_TOKEN"), ==, BB_PLACEHOLDER_TOKEN);
    g_assert_cmpstr(g_hash_table_lookup(env, "A"), ==, "base-a");
    g_assert_cmpstr(g_hash_table_lookup(env, "B"), ==, "dev-b");
    g_assert_cmpstr(g_hash_table_lookup(env, "C"), ==, "dev-c");

    /* git.user field by field; remotes by host */
    g_assert_cmpstr(bb_plan_get_git_user_name(plan), ==, "Base Name");
    g_assert_cmpstr(bb_plan_get_git_user_email(plan), ==, "dev@example.com");
    g_assert_cmpuint(bb_plan_get_git_remotes(plan)->len, ==, 2);
    remote = find_remote(plan, "github.com");
    g_assert_cmpstr(remote->name, ==, "two");
    g_assert_cmpstr(remote->upstream, ==, "ssh://git@github.com/t.git");
    g_assert_cmpstr(remote->identity_file, ==, identity);
    remote = find_remote(plan, "gitlab.com");
    g_assert_cmpstr(remote->known_host_key, ==, "k");

    /* routes by host: the child's a.example replaces the parent's whole */
    g_assert_cmpuint(bb_plan_get_routes(plan)->len, ==, 3);
    route = bb_plan_find_route(plan, "a.example");
    g_assert_nonnull(route);
    g_assert_cmpuint(route->port, ==, 8443);
    g_assert_cmpuint(route->matches->len, ==, 0);
    g_assert_cmpstr(route->auth_scheme, ==, "bearer");
    g_assert_cmpstr(route->token_ref, ==, "BB_TEST_A_TOKEN");
    g_assert_true(route->outbound.enabled);
    g_assert_cmpstrv(route->outbound.detectors, ((const gchar *const[]){"token-patterns", NULL}));
    g_assert_false(route->inbound.enabled);
    g_assert_cmpint(route->outbound_on_match, ==, BB_ON_MATCH_BLOCK);
    g_assert_true(route->git_fetch);
    g_assert_false(route->provider_owned);
    route = bb_plan_find_route(plan, "b.example");
    g_assert_nonnull(route);
    g_assert_cmpint(route->outbound_on_match, ==, BB_ON_MATCH_SUPERVISE);
    g_assert_true(route->inbound.enabled);
    g_assert_null(route->outbound.detectors);
    route = bb_plan_find_route(plan, "c.example");
    g_assert_cmpuint(route->matches->len, ==, 1);
    match = g_ptr_array_index(route->matches, 0);
    g_assert_cmpuint(match->paths->len, ==, 3);
    g_assert_cmpint(((BbPathMatch *)g_ptr_array_index(match->paths, 0))->type, ==, BB_MATCH_PREFIX);
    g_assert_cmpint(((BbPathMatch *)g_ptr_array_index(match->paths, 1))->type, ==, BB_MATCH_EXACT);
    g_assert_nonnull(((BbPathMatch *)g_ptr_array_index(match->paths, 2))->regex);
    g_assert_null(match->methods);
    g_assert_cmpuint(match->headers->len, ==, 2);
    g_assert_cmpstr(((BbHeaderMatch *)g_ptr_array_index(match->headers, 0))->name, ==, "x-v");
    g_assert_cmpint(((BbHeaderMatch *)g_ptr_array_index(match->headers, 1))->type, ==,
                    BB_MATCH_REGEX);

    /* skills, prompt (root first, agent last), supervise inherited */
    g_assert_cmpuint(bb_plan_get_skills(plan)->len, ==, 1);
    skill = g_ptr_array_index(bb_plan_get_skills(plan), 0);
    g_assert_cmpstr(skill->name, ==, "review");
    g_assert_cmpstr(skill->path, ==, skill_dir);
    g_assert_cmpstr(bb_plan_get_prompt(plan), ==, "Base prompt.\n\nDev prompt.\n\nAgent prompt.");
    g_assert_false(bb_plan_get_supervise(plan));
}

static void
test_extends_scalars(void)
{
    g_autoptr(BbCatalog) catalog = NULL;
    g_autoptr(BbPlan) plan = NULL;
    write_home_file(".bot-bottle/bottles/root.md",
                    "---\nsupervise: false\nagent_provider: {template: one, "
                    "forward_host_credentials: true}\n---\n");
    write_home_file(".bot-bottle/bottles/mid.md", "---\nextends: root\nsupervise: true\n---\n");
    write_home_file(".bot-bottle/bottles/leaf.md",
                    "---\nextends: mid\nagent_provider: {template: two}\n---\nLeaf only.\n");
    write_home_file(".bot-bottle/agents/x.md", "---\nbottle: leaf\n---\n");
    write_home_file(".bot-bottle/agents/bare.md", "---\nbottle: plain\n---\n");
    write_home_file(".bot-bottle/bottles/plain.md", "---\n---\n");
    catalog = load_catalog(FALSE);
    plan = resolve_ok(catalog, "x", NULL);
    g_assert_cmpstr(bb_plan_get_provider(plan), ==, "two");
    g_assert_true(bb_plan_get_forward_host_credentials(plan));
    g_assert_true(bb_plan_get_supervise(plan));
    g_assert_cmpstr(bb_plan_get_prompt(plan), ==, "Leaf only.");
    g_assert_cmpuint(g_strv_length((gchar **)bb_plan_get_bottle_chain(plan)), ==, 3);
    g_clear_object(&plan);

    /* Nothing set anywhere: the shell provider, supervise on, no prompt. */
    plan = resolve_ok(catalog, "bare", NULL);
    g_assert_cmpstr(bb_plan_get_provider(plan), ==, "shell");
    g_assert_true(bb_plan_get_supervise(plan));
    g_assert_cmpstr(bb_plan_get_prompt(plan), ==, "");
    g_assert_cmpuint(bb_plan_get_routes(plan)->len, ==, 0);
}

static void
test_extends_cycle(void)
{
    g_autoptr(BbCatalog) catalog = NULL;
    g_autofree gchar *message = NULL;
    write_home_file(".bot-bottle/bottles/a.md", "---\nextends: b\n---\n");
    write_home_file(".bot-bottle/bottles/b.md", "---\nsupervise: true\nextends: c\n---\n");
    write_home_file(".bot-bottle/bottles/c.md", "---\nextends: a\n---\n");
    write_home_file(".bot-bottle/agents/x.md", "---\nbottle: a\n---\n");
    catalog = load_catalog(FALSE);
    message = resolve_error(catalog, "x", NULL);
    g_assert_cmpstr(message, ==,
                    "~/.bot-bottle/bottles/c.md:2:10: error: extends: extends cycle: a → b → c "
                    "→ a; expected a chain that ends at a bottle without extends");
    g_assert_false(bb_catalog_check(catalog, NULL));
}

static void
test_extends_self(void)
{
    g_autoptr(BbCatalog) catalog = NULL;
    g_autofree gchar *message = NULL;
    write_home_file(".bot-bottle/bottles/a.md", "---\nextends: a\n---\n");
    write_home_file(".bot-bottle/agents/x.md", "---\nbottle: a\n---\n");
    catalog = load_catalog(FALSE);
    message = resolve_error(catalog, "x", NULL);
    g_assert_cmpstr(message, ==,
                    "~/.bot-bottle/bottles/a.md:2:10: error: extends: extends cycle: a → a; "
                    "expected a chain that ends at a bottle without extends");
}

static void
test_extends_missing_parent(void)
{
    g_autoptr(BbCatalog) catalog = NULL;
    g_autofree gchar *message = NULL;
    write_home_file(".bot-bottle/bottles/a.md", "---\nenv: {X: y}\nextends: nope\n---\n");
    write_home_file(".bot-bottle/agents/x.md", "---\nbottle: a\n---\n");
    catalog = load_catalog(FALSE);
    message = resolve_error(catalog, "x", NULL);
    g_assert_cmpstr(message, ==,
                    "~/.bot-bottle/bottles/a.md:3:10: error: extends: no bottle named 'nope'; "
                    "expected one of the bottles in ~/.bot-bottle/bottles (a)");
}

/* A broken parent makes its children unresolvable, with its own errors. */
static void
test_extends_broken_parent(void)
{
    g_autoptr(BbCatalog) catalog = NULL;
    g_autofree gchar *message = NULL;
    write_home_file(".bot-bottle/bottles/base.md", "---\nsupervise: 3\n---\n");
    write_home_file(".bot-bottle/bottles/a.md", "---\nextends: base\n---\n");
    write_home_file(".bot-bottle/agents/x.md", "---\nbottle: a\n---\n");
    catalog = load_catalog(FALSE);
    message = resolve_error(catalog, "x", NULL);
    g_assert_cmpstr(message, ==,
                    "~/.bot-bottle/bottles/base.md:2:12: error: supervise: got a number '3'; "
                    "expected true or false");
}

static void
test_trust_repo_bottles_ignored(void)
{
    g_autoptr(BbCatalog) catalog = NULL;
    g_autofree gchar *diagnostics = NULL;
    g_autofree gchar *message = NULL;
    g_autoptr(GPtrArray) bottles = NULL;
    write_home_file(".bot-bottle/bottles/safe.md", "---\n---\n");
    write_home_file("src/proj/.bot-bottle/bottles/evil.md",
                    "---\negress:\n  routes: [{host: attacker.example}]\n---\n");
    write_home_file("src/proj/.bot-bottle/agents/sneaky.md", "---\nbottle: evil\n---\n");
    catalog = load_catalog(TRUE);
    bottles = bb_catalog_get_bottles(catalog);
    g_assert_cmpuint(bottles->len, ==, 1);
    g_assert_cmpstr(((BbCatalogEntry *)g_ptr_array_index(bottles, 0))->name, ==, "safe");
    diagnostics = tildified_diagnostics(catalog);
    g_assert_cmpstr(diagnostics, ==,
                    "~/src/proj/.bot-bottle/bottles: warning: ignored: a repository cannot "
                    "define bottles, because bottles grant egress, secrets and git remotes; "
                    "expected bottles only in ~/.bot-bottle/bottles (copy one there if you "
                    "trust it)");
    message = resolve_error(catalog, "sneaky", NULL);
    g_assert_cmpstr(message, ==,
                    "~/src/proj/.bot-bottle/agents/sneaky.md:2:9: error: bottle: no bottle "
                    "named 'evil'; expected one of the bottles in ~/.bot-bottle/bottles (safe); "
                    "a repository cannot ship bottles, so a repo agent must name one of yours");
}

static void
test_trust_repo_agent_home_bottle(void)
{
    g_autoptr(BbCatalog) catalog = NULL;
    g_autoptr(BbPlan) plan = NULL;
    g_autofree gchar *repo_skill = home_path("src/proj/.bot-bottle/skills/lint");
    g_autofree gchar *home_skill = home_path(".bot-bottle/skills/review");
    GPtrArray *skills;
    write_home_file(".bot-bottle/bottles/dev.md", "---\nenv: {A: b}\n---\nHome bottle.\n");
    write_home_file("src/proj/.bot-bottle/agents/builder.md",
                    "---\nbottle: dev\nskills: [lint, review]\n---\nRepo agent.\n");
    make_home_dir("src/proj/.bot-bottle/skills/lint");
    make_home_dir(".bot-bottle/skills/lint"); /* the repo's copy wins for a repo agent */
    make_home_dir(".bot-bottle/skills/review");
    catalog = load_catalog(TRUE);
    g_assert_true(bb_catalog_check(catalog, NULL));
    plan = resolve_ok(catalog, "builder", NULL);
    g_assert_cmpint(bb_plan_get_agent_origin(plan), ==, BB_ORIGIN_REPO);
    g_assert_cmpstr(bb_plan_get_bottle_name(plan), ==, "dev");
    g_assert_cmpstr(bb_plan_get_prompt(plan), ==, "Home bottle.\n\nRepo agent.");
    skills = bb_plan_get_skills(plan);
    g_assert_cmpuint(skills->len, ==, 2);
    g_assert_cmpstr(((BbSkill *)g_ptr_array_index(skills, 0))->path, ==, repo_skill);
    g_assert_cmpstr(((BbSkill *)g_ptr_array_index(skills, 1))->path, ==, home_skill);
}

/* A repo must not reach outside itself through symbolic links: not to
 * copy ~/.ssh in as a "skill", not to have a private file read as an agent. */
static void
test_trust_repo_symlinks(void)
{
    g_autoptr(BbCatalog) catalog = NULL;
    g_autoptr(GPtrArray) agents = NULL;
    g_autofree gchar *message = NULL;
    g_autofree gchar *diagnostics = NULL;
    g_autofree gchar *secret_dir = home_path(".ssh");
    g_autofree gchar *secret_file = home_path("private.md");
    g_autofree gchar *skill_link = home_path("src/proj/.bot-bottle/skills/keys");
    g_autofree gchar *agent_link = home_path("src/proj/.bot-bottle/agents/linked.md");
    write_home_file(".bot-bottle/bottles/dev.md", "---\n---\n");
    write_home_file(".ssh/id_ed25519", "PRIVATE KEY\n");
    write_home_file("private.md", "---\nbottle: dev\n---\nprivate notes\n");
    write_home_file("src/proj/.bot-bottle/agents/thief.md",
                    "---\nbottle: dev\nskills: [keys]\n---\n");
    write_home_file("src/proj/.bot-bottle/agents/honest.md",
                    "---\nbottle: dev\nskills: [ok]\n---\n");
    make_home_dir("src/proj/.bot-bottle/skills/ok");
    g_assert_cmpint(symlink(secret_dir, skill_link), ==, 0);
    g_assert_cmpint(symlink(secret_file, agent_link), ==, 0);
    catalog = load_catalog(TRUE);

    agents = bb_catalog_get_agents(catalog);
    g_assert_cmpuint(agents->len, ==, 2); /* honest and thief; not linked */
    diagnostics = tildified_diagnostics(catalog);
    g_assert_cmpstr(diagnostics, ==,
                    "~/src/proj/.bot-bottle/agents/linked.md: warning: ignored: a symbolic link "
                    "inside a repository; expected a regular file");
    message = resolve_error(catalog, "thief", NULL);
    g_assert_cmpstr(message, ==,
                    "~/src/proj/.bot-bottle/agents/thief.md:3:10: error: skills[0]: skill 'keys' "
                    "at ~/src/proj/.bot-bottle/skills/keys/ leads outside the repository; "
                    "expected a directory inside ~/src/proj");
    /* control: a skill really inside the repo resolves */
    {
        g_autoptr(BbPlan) plan = resolve_ok(catalog, "honest", NULL);
        g_assert_cmpuint(bb_plan_get_skills(plan)->len, ==, 1);
    }
}

/* Run from ~ itself: ~/.bot-bottle is the user's config, not a repo's,
 * so its agents are not listed twice and nothing is shadowed. */
static void
test_trust_home_is_not_a_repo(void)
{
    g_autofree gchar *config = bb_config_dir();
    g_autoptr(BbCatalog) catalog = bb_catalog_new(config, g_get_home_dir());
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) agents = NULL;
    write_home_file(".bot-bottle/bottles/dev.md", "---\n---\n");
    write_home_file(".bot-bottle/agents/a.md", "---\nbottle: dev\n---\n");
    g_assert_true(bb_catalog_load(catalog, &error));
    agents = bb_catalog_get_agents(catalog);
    g_assert_cmpuint(agents->len, ==, 1);
    g_assert_cmpint(((BbCatalogEntry *)g_ptr_array_index(agents, 0))->origin, ==, BB_ORIGIN_HOME);
    g_assert_cmpuint(bb_catalog_get_diagnostics(catalog)->len, ==, 0);
}

static void
test_catalog_shadowed_agent(void)
{
    g_autoptr(BbCatalog) catalog = NULL;
    g_autoptr(BbPlan) plan = NULL;
    g_autoptr(GPtrArray) agents = NULL;
    g_autofree gchar *diagnostics = NULL;
    const BbCatalogEntry *first, *second;
    write_home_file(".bot-bottle/bottles/dev.md", "---\n---\n");
    write_home_file(".bot-bottle/agents/helper.md", "---\nbottle: dev\n---\nFrom home.\n");
    write_home_file("src/proj/.bot-bottle/agents/helper.md", "---\nbottle: dev\n---\nFrom repo.\n");
    write_home_file("src/proj/.bot-bottle/agents/another.md", "---\nbottle: dev\n---\n");
    catalog = load_catalog(TRUE);
    agents = bb_catalog_get_agents(catalog);
    g_assert_cmpuint(agents->len, ==, 3);
    g_assert_cmpstr(((BbCatalogEntry *)g_ptr_array_index(agents, 0))->name, ==, "another");
    first = g_ptr_array_index(agents, 1);
    second = g_ptr_array_index(agents, 2);
    g_assert_cmpstr(first->name, ==, "helper");
    g_assert_cmpint(first->origin, ==, BB_ORIGIN_HOME);
    g_assert_false(first->shadowed);
    g_assert_cmpstr(second->name, ==, "helper");
    g_assert_cmpint(second->origin, ==, BB_ORIGIN_REPO);
    g_assert_true(second->shadowed);
    diagnostics = tildified_diagnostics(catalog);
    g_assert_cmpstr(diagnostics, ==,
                    "~/src/proj/.bot-bottle/agents/helper.md: warning: ignored: agent 'helper' "
                    "is also defined in ~/.bot-bottle/agents/helper.md, which wins; expected a "
                    "repo agent name not used by your own agents");
    plan = resolve_ok(catalog, "helper", NULL);
    g_assert_cmpstr(bb_plan_get_prompt(plan), ==, "From home.");
    g_assert_true(bb_catalog_check(catalog, NULL)); /* warnings are not errors */
}

static void
test_skills_missing(void)
{
    g_autoptr(BbCatalog) catalog = NULL;
    g_autofree gchar *message = NULL;
    write_home_file(".bot-bottle/bottles/dev.md", "---\n---\n");
    write_home_file(".bot-bottle/agents/x.md",
                    "---\nbottle: dev\nskills:\n  - here\n  - gone\n---\n");
    write_home_file(".bot-bottle/skills/here/SKILL.md", "x\n");
    write_home_file(".bot-bottle/skills/gone", "a file, not a skill directory\n");
    catalog = load_catalog(FALSE);
    message = resolve_error(catalog, "x", NULL);
    g_assert_cmpstr(message, ==,
                    "~/.bot-bottle/agents/x.md:5:5: error: skills[1]: no skill named 'gone'; "
                    "expected a directory ~/.bot-bottle/skills/gone/");
}

static void
test_agent_not_found(void)
{
    g_autoptr(BbCatalog) catalog = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(BbPlan) plan = NULL;
    catalog = load_catalog(FALSE);
    plan = bb_catalog_resolve(catalog, "ghost", NULL, &error);
    g_assert_null(plan);
    g_assert_error(error, BB_ERROR, BB_ERROR_NOT_FOUND);
}

static void
test_agent_missing_bottle(void)
{
    g_autoptr(BbCatalog) catalog = NULL;
    g_autofree gchar *message = NULL;
    write_home_file(".bot-bottle/agents/x.md", "---\nbottle: nowhere\n---\n");
    catalog = load_catalog(FALSE);
    message = resolve_error(catalog, "x", NULL);
    g_assert_cmpstr(message, ==,
                    "~/.bot-bottle/agents/x.md:2:9: error: bottle: no bottle named 'nowhere'; "
                    "expected one of the bottles in ~/.bot-bottle/bottles (there are none)");
}

static void
test_dockerfile_missing(void)
{
    g_autoptr(BbCatalog) catalog = NULL;
    g_autofree gchar *message = NULL;
    write_home_file(".bot-bottle/bottles/dev.md",
                    "---\nagent_provider:\n  dockerfile: ../Dockerfile.none\n---\n");
    write_home_file(".bot-bottle/agents/x.md", "---\nbottle: dev\n---\n");
    catalog = load_catalog(FALSE);
    message = resolve_error(catalog, "x", NULL);
    g_assert_cmpstr(message, ==,
                    "~/.bot-bottle/bottles/dev.md:3:15: error: agent_provider.dockerfile: "
                    "'~/.bot-bottle/Dockerfile.none' is not a file; expected a path to a "
                    "Dockerfile (relative paths start at the bottle's directory)");
}

/* Every problem of every file, in one check. */
static void
test_check_collects_everything(void)
{
    g_autoptr(BbCatalog) catalog = NULL;
    g_autofree gchar *diagnostics = NULL;
    write_home_file(".bot-bottle/bottles/one.md", "---\nsupervise: maybe\nfoo: 1\n---\n");
    write_home_file(".bot-bottle/bottles/two.md", "---\nextends: zero\n---\n");
    write_home_file(".bot-bottle/agents/a.md", "---\nbottle: two\n---\n");
    write_home_file(".bot-bottle/agents/b.md", "no frontmatter\n");
    write_home_file(".bot-bottle/agents/Bad Name.md", "---\nbottle: one\n---\n");
    catalog = load_catalog(FALSE);
    g_assert_false(bb_catalog_check(catalog, NULL));
    diagnostics = tildified_diagnostics(catalog);
    g_assert_nonnull(strstr(diagnostics, "~/.bot-bottle/bottles/one.md:2:12: error: supervise: "
                                         "got a string 'maybe'; expected true or false"));
    g_assert_nonnull(strstr(diagnostics, "~/.bot-bottle/bottles/one.md:3:1: error: foo: unknown "
                                         "key; expected one of extends"));
    g_assert_nonnull(strstr(diagnostics, "~/.bot-bottle/agents/b.md:1:1: error: frontmatter: "
                                         "missing;"));
    g_assert_nonnull(strstr(diagnostics, "~/.bot-bottle/agents/Bad Name.md: warning: ignored: "
                                         "the file name is not a valid manifest name"));
    /* reported once, though both the bottle and the agent reach it */
    g_assert_nonnull(strstr(diagnostics, "~/.bot-bottle/bottles/two.md:2:10: error: extends: no "
                                         "bottle named 'zero'"));
    g_assert_null(strstr(strstr(diagnostics, "named 'zero'") + 1, "named 'zero'"));
}

/* Serialises everything a plan exposes, to look for leaked values. */
static gchar *
plan_dump(BbPlan *plan)
{
    g_autoptr(GString) out = g_string_new(NULL);
    GPtrArray *routes = bb_plan_get_routes(plan);
    GPtrArray *refs = bb_plan_get_secret_refs(plan);
    GHashTableIter iter;
    gpointer key, value;
    g_string_append_printf(out, "%s %s %s %s %s %s\n", bb_plan_get_agent_name(plan),
                           bb_plan_get_bottle_name(plan), bb_plan_get_provider(plan),
                           bb_plan_get_provider_auth_token_ref(plan), bb_plan_get_prompt(plan),
                           bb_plan_get_dockerfile(plan));
    g_hash_table_iter_init(&iter, bb_plan_get_env(plan));
    while (g_hash_table_iter_next(&iter, &key, &value))
        g_string_append_printf(out, "%s=%s\n", (gchar *)key, (gchar *)value);
    for (guint i = 0; i < routes->len; i++) {
        BbRoute *route = g_ptr_array_index(routes, i);
        g_string_append_printf(out, "%s %s %s\n", route->host, route->auth_scheme,
                               route->token_ref);
    }
    for (guint i = 0; i < refs->len; i++) {
        BbSecretRef *ref = g_ptr_array_index(refs, i);
        g_string_append_printf(out, "%s %s\n", ref->env_name, ref->used_by);
    }
    return g_string_free(g_steal_pointer(&out), FALSE);
}

static const BbSecretRef *
find_ref(BbPlan *plan, const gchar *env_name)
{
    GPtrArray *refs = bb_plan_get_secret_refs(plan);
    for (guint i = 0; i < refs->len; i++) {
        const BbSecretRef *ref = g_ptr_array_index(refs, i);
        if (g_strcmp0(ref->env_name, env_name) == 0)
            return ref;
    }
    return NULL;
}

static void
test_secret_refs_never_values(void)
{
    g_autoptr(BbCatalog) catalog = NULL;
    g_autoptr(BbPlan) plan = NULL;
    g_autoptr(BbRegistry) registry = fake_registry_new();
    g_autofree gchar *dump = NULL;
    g_setenv("BB_TEST_PROVIDER_TOKEN", "sk-provider-SECRET-value-1", TRUE);
    g_setenv("BB_TEST_A_TOKEN", "ghp_route-SECRET-value-2", TRUE);
    write_dev_setup();
    catalog = load_catalog(FALSE);
    plan = resolve_ok(catalog, "helper", registry);
    g_assert_cmpuint(bb_plan_get_secret_refs(plan)->len, ==, 2);
    g_assert_cmpstr(find_ref(plan, "BB_TEST_PROVIDER_TOKEN")->used_by, ==, "provider fakeprov");
    g_assert_cmpstr(find_ref(plan, "BB_TEST_A_TOKEN")->used_by, ==, "route a.example");
    dump = plan_dump(plan);
    /* control: the dump holds the references themselves */
    g_assert_nonnull(strstr(dump, "BB_TEST_A_TOKEN"));
    g_assert_null(strstr(dump, "SECRET"));
    g_unsetenv("BB_TEST_PROVIDER_TOKEN");
    g_unsetenv("BB_TEST_A_TOKEN");
}

static void
test_registry_provider_route_wins(void)
{
    g_autoptr(BbCatalog) catalog = NULL;
    g_autoptr(BbPlan) plan = NULL;
    g_autoptr(BbPlan) plain = NULL;
    g_autoptr(BbRegistry) registry = fake_registry_new();
    BbRoute *route;
    write_home_file(".bot-bottle/bottles/dev.md",
                    "---\nagent_provider: {template: FakeProv, auth_token: BB_TEST_P}\n"
                    "egress:\n  routes:\n    - host: " FAKE_PROVIDER_HOST "\n"
                    "      auth: {scheme: Bearer, token_ref: BB_TEST_HIJACK}\n"
                    "    - host: other.example\n---\n");
    write_home_file(".bot-bottle/agents/x.md", "---\nbottle: dev\n---\n");
    catalog = load_catalog(FALSE);
    /* control: without a registry the manifest route stands */
    plain = resolve_ok(catalog, "x", NULL);
    g_assert_cmpstr(bb_plan_find_route(plain, FAKE_PROVIDER_HOST)->token_ref, ==, "BB_TEST_HIJACK");
    plan = resolve_ok(catalog, "x", registry);
    g_assert_cmpuint(bb_plan_get_routes(plan)->len, ==, 2);
    g_assert_cmpstr(bb_plan_get_provider(plan), ==, "fakeprov"); /* written FakeProv */
    route = bb_plan_find_route(plan, FAKE_PROVIDER_HOST);
    g_assert_true(route->provider_owned);
    g_assert_cmpstr(route->token_ref, ==, "BB_TEST_P");
    g_assert_null(find_ref(plan, "BB_TEST_HIJACK"));
    g_assert_nonnull(find_ref(plan, "BB_TEST_P"));
    g_assert_nonnull(bb_plan_find_route(plan, "other.example"));
}

static void
test_registry_unknown_names(void)
{
    g_autoptr(BbCatalog) catalog = NULL;
    g_autoptr(BbRegistry) registry = fake_registry_new();
    g_autofree gchar *message = NULL;
    write_home_file(".bot-bottle/bottles/dev.md",
                    "---\n"
                    "agent_provider: {template: nosuch}\n"
                    "egress:\n"
                    "  routes:\n"
                    "    - host: a.example\n"
                    "      auth: {scheme: Digest, token_ref: T}\n"
                    "      dlp:\n"
                    "        outbound_detectors: [token-patterns, nope]\n"
                    "---\n");
    write_home_file(".bot-bottle/agents/x.md", "---\nbottle: dev\n---\n");
    catalog = load_catalog(FALSE);
    g_assert_true(bb_catalog_check(catalog, NULL)); /* names are not checked without a registry */
    message = resolve_error(catalog, "x", registry);
    g_assert_cmpstr(message, ==,
                    "~/.bot-bottle/bottles/dev.md:6:22: error: egress.routes[0].auth.scheme: no "
                    "auth scheme named 'Digest'; expected one of Bearer\n"
                    "~/.bot-bottle/bottles/dev.md:8:29: error: "
                    "egress.routes[0].dlp.outbound_detectors[1]: no detector named 'nope'; "
                    "expected one of injection, token-patterns\n"
                    "~/.bot-bottle/bottles/dev.md:2:28: error: agent_provider.template: no "
                    "provider named 'nosuch'; expected one of fakeprov");
    g_assert_false(bb_catalog_check(catalog, registry));
}

static void
test_registry_default_and_settings(void)
{
    g_autoptr(BbCatalog) catalog = NULL;
    g_autoptr(BbRegistry) registry = fake_registry_new();
    g_autofree gchar *message = NULL;
    write_home_file(".bot-bottle/bottles/plain.md", "---\n---\n");
    write_home_file(".bot-bottle/bottles/fwd.md",
                    "---\nagent_provider:\n  template: fakeprov\n  forward_host_credentials: "
                    "true\n---\n");
    write_home_file(".bot-bottle/agents/p.md", "---\nbottle: plain\n---\n");
    write_home_file(".bot-bottle/agents/f.md", "---\nbottle: fwd\n---\n");
    catalog = load_catalog(FALSE);
    message = resolve_error(catalog, "p", registry);
    g_assert_cmpstr(message, ==,
                    "~/.bot-bottle/bottles/plain.md:1:1: error: agent_provider.template: no "
                    "provider named 'shell' (the default when no bottle sets one); expected one "
                    "of fakeprov");
    g_free(message);
    message = resolve_error(catalog, "f", registry);
    g_assert_cmpstr(message, ==,
                    "~/.bot-bottle/bottles/fwd.md:3:13: error: agent_provider: fakeprov cannot "
                    "forward host credentials; expected settings provider 'fakeprov' supports");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_test_add_func("/manifest/config/dir", test_config_dir);
    g_test_add_func("/manifest/config/repo-root", test_repo_root);
    g_test_add_func("/manifest/resolve/every-key", test_resolve_every_key);
    g_test_add_func("/manifest/resolve/agent-not-found", test_agent_not_found);
    g_test_add_func("/manifest/resolve/agent-missing-bottle", test_agent_missing_bottle);
    g_test_add_func("/manifest/resolve/dockerfile-missing", test_dockerfile_missing);
    g_test_add_func("/manifest/extends/scalars", test_extends_scalars);
    g_test_add_func("/manifest/extends/cycle", test_extends_cycle);
    g_test_add_func("/manifest/extends/self", test_extends_self);
    g_test_add_func("/manifest/extends/missing-parent", test_extends_missing_parent);
    g_test_add_func("/manifest/extends/broken-parent", test_extends_broken_parent);
    g_test_add_func("/manifest/trust/repo-bottles-ignored", test_trust_repo_bottles_ignored);
    g_test_add_func("/manifest/trust/repo-agent-home-bottle", test_trust_repo_agent_home_bottle);
    g_test_add_func("/manifest/trust/repo-symlinks", test_trust_repo_symlinks);
    g_test_add_func("/manifest/trust/home-is-not-a-repo", test_trust_home_is_not_a_repo);
    g_test_add_func("/manifest/catalog/shadowed-agent", test_catalog_shadowed_agent);
    g_test_add_func("/manifest/catalog/check-collects-everything", test_check_collects_everything);
    g_test_add_func("/manifest/skills/missing", test_skills_missing);
    g_test_add_func("/manifest/secrets/refs-never-values", test_secret_refs_never_values);
    g_test_add_func("/manifest/registry/provider-route-wins", test_registry_provider_route_wins);
    g_test_add_func("/manifest/registry/unknown-names", test_registry_unknown_names);
    g_test_add_func("/manifest/registry/default-and-settings", test_registry_default_and_settings);
    return g_test_run();
}
