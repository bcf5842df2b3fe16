/* The Dockerfile cascade (bottle override → manifest → contrib → provider
 * default) and the host-side prepare hook that runs before offline builds. */
#include <bot-bottle.h>
#include <glib/gstdio.h>
#include <string.h>

static gchar *
put(const gchar *relative, const gchar *contents, guint mode)
{
    gchar *path = g_build_filename(g_get_home_dir(), relative, NULL);
    g_autofree gchar *dir = g_path_get_dirname(path);
    g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
    g_assert_true(g_file_set_contents(path, contents, -1, NULL));
    g_assert_cmpint(g_chmod(path, mode), ==, 0);
    return path;
}

static BbAgentProvider *
claude_provider(BbRegistry **registry)
{
    *registry = bb_registry_new();
    g_assert_true(bb_registry_load_all(*registry, NULL, NULL));
    return bb_registry_create(*registry, BB_TYPE_AGENT_PROVIDER, "claude", NULL);
}

static void
test_cascade(void)
{
    g_autoptr(BbRegistry) registry = NULL;
    g_autoptr(BbAgentProvider) provider = claude_provider(&registry);
    g_autofree gchar *config = g_build_filename(g_get_home_dir(), ".bot-bottle", NULL);
    g_autofree gchar *bottle = put(".bot-bottle/bottles/dev.md", "---\n---\n", 0644);
    g_autofree gchar *override = put(".bot-bottle/bottles/dev.Dockerfile", "FROM a\n", 0644);
    g_autofree gchar *manifest = put("images/Dockerfile", "FROM b\n", 0644);
    g_autofree gchar *contrib = put(".bot-bottle/contrib/claude/Dockerfile", "FROM c\n", 0644);
    g_autofree gchar *fallback = bb_data_path("providers", "claude", "Dockerfile", NULL);
    g_assert_true(g_file_test(fallback, G_FILE_TEST_IS_REGULAR));

    g_autofree gchar *first = bb_dockerfile_cascade(bottle, manifest, config, "claude", provider);
    g_assert_cmpstr(first, ==, override);
    g_assert_cmpint(g_unlink(override), ==, 0);
    g_autofree gchar *second = bb_dockerfile_cascade(bottle, manifest, config, "claude", provider);
    g_assert_cmpstr(second, ==, manifest);
    g_autofree gchar *third = bb_dockerfile_cascade(bottle, NULL, config, "claude", provider);
    g_assert_cmpstr(third, ==, contrib);
    g_assert_cmpint(g_unlink(contrib), ==, 0);
    g_autofree gchar *fourth = bb_dockerfile_cascade(bottle, NULL, config, "claude", provider);
    g_assert_cmpstr(fourth, ==, fallback);
    /* No provider and nothing else: no Dockerfile. */
    g_assert_null(bb_dockerfile_cascade(bottle, NULL, config, "claude", NULL));
}

static void
test_prepare(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree gchar *plain = put("plain/Dockerfile", "FROM x\n", 0644);
    g_autofree gchar *same = bb_dockerfile_prepare(plain, NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(same, ==, plain);

    /* prepare gets the contexts dir, logs to stderr, prints the Dockerfile. */
    g_autofree gchar *dockerfile = put("prov/Dockerfile", "FROM y\n", 0644);
    g_autofree gchar *script = put("prov/prepare",
                                   "#!/bin/sh\nmkdir -p \"$1/ctx\" && echo 'FROM y' > "
                                   "\"$1/ctx/Dockerfile\"\necho progress >&2\n"
                                   "echo \"$1/ctx/Dockerfile\"\n",
                                   0755);
    g_autofree gchar *prepared = bb_dockerfile_prepare(dockerfile, NULL, &error);
    g_assert_no_error(error);
    g_autofree gchar *expected = g_build_filename(g_get_user_cache_dir(), "bot-bottle", "contexts",
                                                  "ctx", "Dockerfile", NULL);
    g_assert_cmpstr(prepared, ==, expected);

    /* A prepare others can write never runs. */
    g_assert_cmpint(g_chmod(script, 0775), ==, 0);
    g_assert_null(bb_dockerfile_prepare(dockerfile, NULL, &error));
    g_assert_error(error, BB_ERROR, BB_ERROR_PERMISSION);
    g_assert_nonnull(strstr(error->message, "chmod go-w"));
    g_clear_error(&error);

    /* A failing prepare fails the build, naming the program. */
    g_free(put("prov/prepare", "#!/bin/sh\necho no npm >&2\nexit 3\n", 0755));
    g_assert_null(bb_dockerfile_prepare(dockerfile, NULL, &error));
    g_assert_error(error, BB_ERROR, BB_ERROR_UNAVAILABLE);
    g_assert_nonnull(strstr(error->message, "exit 3"));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_test_add_func("/providers/dockerfile/cascade", test_cascade);
    g_test_add_func("/providers/dockerfile/prepare", test_prepare);
    return g_test_run();
}
