/* Provisioning defaults and the built-in providers' overrides, against a
 * recording BbAgentTarget: what lands where, that a skill's symlinks are
 * never followed, and that manifest values cannot add git config keys. */
#include <bot-bottle.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "bb-plan-private.h"

/* A target that keeps every written file in a table: path → contents. */
#define BB_TYPE_FAKE_TARGET (bb_fake_target_get_type())
G_DECLARE_FINAL_TYPE(BbFakeTarget, bb_fake_target, BB, FAKE_TARGET, GObject)
struct _BbFakeTarget {
    GObject parent_instance;
    GHashTable *files;
};
static void bb_fake_target_iface_init(BbAgentTargetInterface *iface);
G_DEFINE_FINAL_TYPE_WITH_CODE(BbFakeTarget, bb_fake_target, G_TYPE_OBJECT,
                              G_IMPLEMENT_INTERFACE(BB_TYPE_AGENT_TARGET,
                                                    bb_fake_target_iface_init))

static gboolean
fake_write_file(BbAgentTarget *target, const gchar *path, GBytes *contents, guint mode,
                gboolean as_root, GError **error)
{
    BbFakeTarget *self = BB_FAKE_TARGET(target);
    g_hash_table_insert(self->files, g_strdup(path),
                        g_strndup(g_bytes_get_data(contents, NULL), g_bytes_get_size(contents)));
    return TRUE;
}

static void
bb_fake_target_iface_init(BbAgentTargetInterface *iface)
{
    iface->write_file = fake_write_file;
}

static void
bb_fake_target_finalize(GObject *object)
{
    g_hash_table_unref(BB_FAKE_TARGET(object)->files);
    G_OBJECT_CLASS(bb_fake_target_parent_class)->finalize(object);
}

static void
bb_fake_target_class_init(BbFakeTargetClass *klass)
{
    G_OBJECT_CLASS(klass)->finalize = bb_fake_target_finalize;
}

static void
bb_fake_target_init(BbFakeTarget *self)
{
    self->files = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

static BbAgentProvider *
create_provider(BbRegistry *registry, const gchar *name)
{
    g_autoptr(GError) error = NULL;
    BbAgentProvider *provider = bb_registry_create(registry, BB_TYPE_AGENT_PROVIDER, name, &error);
    g_assert_no_error(error);
    return provider;
}

static BbRegistry *
load_registry(void)
{
    BbRegistry *registry = bb_registry_new();
    g_autoptr(GError) error = NULL;
    g_assert_true(bb_registry_load_all(registry, NULL, &error));
    return registry;
}

/* A skill with a file, a nested file and a symlink to a "host secret". */
static gchar *
make_skill(const gchar *secret_path)
{
    g_autofree gchar *root = g_build_filename(g_get_home_dir(), "skills", "review", NULL);
    g_autofree gchar *nested = g_build_filename(root, "refs", NULL);
    g_assert_cmpint(g_mkdir_with_parents(nested, 0755), ==, 0);
    g_autofree gchar *skill_md = g_build_filename(root, "SKILL.md", NULL);
    g_autofree gchar *ref = g_build_filename(nested, "style.md", NULL);
    g_autofree gchar *link = g_build_filename(root, "stolen", NULL);
    g_assert_true(g_file_set_contents(skill_md, "# review\n", -1, NULL));
    g_assert_true(g_file_set_contents(ref, "be kind\n", -1, NULL));
    g_assert_true(g_file_set_contents(secret_path, "HOST-SECRET-KEY\n", -1, NULL));
    g_assert_cmpint(symlink(secret_path, link), ==, 0);
    return g_steal_pointer(&root);
}

static BbPlan *
full_plan(const gchar *provider)
{
    g_autofree gchar *secret = g_build_filename(g_get_home_dir(), "id_secret", NULL);
    g_autofree gchar *skill = make_skill(secret);
    BbPlan *plan = bb_plan_new();
    bb_plan_set_provider(plan, provider, NULL, NULL, FALSE);
    bb_plan_set_prompt(plan, "Be careful with the build.\n");
    bb_plan_add_skill(plan, "review", skill);
    bb_plan_set_git_user(plan, "Ada Bot", "ada@example.test");
    BbGitRemote remote = {
        .host = "github.com", .name = "app", .upstream = "ssh://git@github.com/acme/app.git"};
    bb_plan_add_git_remote(plan, &remote);
    bb_plan_seal(plan);
    return plan;
}

static GHashTable *
provision(const gchar *provider_name)
{
    g_autoptr(BbRegistry) registry = load_registry();
    g_autoptr(BbAgentProvider) provider = create_provider(registry, provider_name);
    g_autoptr(BbPlan) plan = full_plan(provider_name);
    g_autoptr(BbFakeTarget) target = g_object_new(BB_TYPE_FAKE_TARGET, NULL);
    BbAgentTarget *t = BB_AGENT_TARGET(target);
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) ca = g_bytes_new_static("PEM", 3);
    g_assert_true(bb_agent_provider_provision_ca(provider, plan, t, ca, &error));
    g_assert_true(bb_agent_provider_provision_git(provider, plan, t, &error));
    g_assert_true(bb_agent_provider_provision_prompt(provider, plan, t, &error));
    g_assert_true(bb_agent_provider_provision_skills(provider, plan, t, &error));
    g_assert_no_error(error);
    return g_hash_table_ref(target->files);
}

static void
assert_no_secret(GHashTable *files)
{
    GHashTableIter iter;
    gpointer key, value;
    g_hash_table_iter_init(&iter, files);
    while (g_hash_table_iter_next(&iter, &key, &value)) {
        g_assert_null(strstr(key, "stolen"));
        g_assert_null(strstr(value, "HOST-SECRET-KEY"));
    }
}

static void
test_defaults(void)
{
    g_autoptr(GHashTable) files = provision("shell");
    const gchar *config = g_hash_table_lookup(files, "/home/agent/.gitconfig");
    g_assert_nonnull(config);
    g_assert_nonnull(strstr(config, "name = \"Ada Bot\""));
    g_assert_nonnull(strstr(config, "email = \"ada@example.test\""));
    g_assert_nonnull(strstr(config, "[url \"" BB_GIT_GATE_BASE "/app\"]"));
    g_assert_nonnull(strstr(config, "insteadOf = \"ssh://git@github.com/acme/app.git\""));
    g_assert_cmpstr(g_hash_table_lookup(files, "/etc/bot-bottle/prompt.md"), ==,
                    "Be careful with the build.\n");
    g_assert_cmpstr(g_hash_table_lookup(files, "/etc/bot-bottle/skills/review/SKILL.md"), ==,
                    "# review\n");
    /* Control for the symlink check: nested regular files are copied. */
    g_assert_cmpstr(g_hash_table_lookup(files, "/etc/bot-bottle/skills/review/refs/style.md"), ==,
                    "be kind\n");
    assert_no_secret(files);
}

static void
test_claude(void)
{
    g_autoptr(GHashTable) files = provision("claude");
    g_assert_cmpstr(g_hash_table_lookup(files, "/home/agent/.claude/CLAUDE.md"), ==,
                    "Be careful with the build.\n");
    g_assert_cmpstr(g_hash_table_lookup(files, "/home/agent/.claude/skills/review/SKILL.md"), ==,
                    "# review\n");
    g_assert_null(g_hash_table_lookup(files, "/etc/bot-bottle/prompt.md"));
    /* git is the core default, not overridden. */
    g_assert_nonnull(g_hash_table_lookup(files, "/home/agent/.gitconfig"));
    assert_no_secret(files);
}

static void
test_codex(void)
{
    g_autoptr(GHashTable) files = provision("codex");
    g_assert_cmpstr(g_hash_table_lookup(files, "/home/agent/.codex/AGENTS.md"), ==,
                    "Be careful with the build.\n");
    g_assert_nonnull(g_hash_table_lookup(files, "/home/agent/.codex/skills/review/SKILL.md"));
    assert_no_secret(files);
}

/* A name with a quote and a newline stays one quoted value. */
static void
test_git_injection(void)
{
    g_autoptr(BbPlan) plan = bb_plan_new();
    bb_plan_set_git_user(plan, "x\"\n[core]\n\tsshCommand = evil", "a@b");
    bb_plan_seal(plan);
    g_autofree gchar *config = bb_agent_provider_render_gitconfig(plan);
    g_auto(GStrv) lines = g_strsplit(config, "\n", -1);
    for (gchar **line = lines; *line != NULL; line++)
        g_assert_false(g_str_has_prefix(*line, "[core]"));
    g_assert_nonnull(strstr(config, "name = \"x\\\" [core] \tsshCommand = evil\""));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_test_add_func("/providers/provision/defaults", test_defaults);
    g_test_add_func("/providers/provision/claude", test_claude);
    g_test_add_func("/providers/provision/codex", test_codex);
    g_test_add_func("/providers/provision/git-injection", test_git_injection);
    return g_test_run();
}
