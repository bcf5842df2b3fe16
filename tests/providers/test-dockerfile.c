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

static guint
prepare_runs(void)
{
    g_autofree gchar *runs =
        g_build_filename(g_get_user_cache_dir(), "bot-bottle", "contexts", "runs", NULL);
    g_autofree gchar *contents = NULL;
    if (!g_file_get_contents(runs, &contents, NULL, NULL))
        return 0;
    return (guint)strlen(contents);
}

/* The memo of a prepare run: reused while its inputs are unchanged, and
 * never trusted after one of them changed. */
static void
test_prepare_memo(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree gchar *plain = put("memo-plain/Dockerfile", "FROM x\n", 0644);
    g_autofree gchar *plain_cached = bb_dockerfile_prepared_cached(plain);
    g_assert_cmpstr(plain_cached, ==, plain);

    g_autofree gchar *dockerfile = put("memo/prov/Dockerfile", "FROM y\n", 0644);
    g_free(put("memo/prov/prepare",
               "#!/bin/sh\nmkdir -p \"$1/m\" && echo 'FROM y' > \"$1/m/Dockerfile\"\n"
               "printf x >> \"$1/runs\"\necho \"$1/m/Dockerfile\"\n",
               0755));
    g_assert_null(bb_dockerfile_prepared_cached(dockerfile));
    g_autofree gchar *prepared = bb_dockerfile_prepare(dockerfile, NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(prepare_runs(), ==, 1);
    g_autofree gchar *hit = bb_dockerfile_prepared_cached(dockerfile);
    g_assert_cmpstr(hit, ==, prepared);
    g_assert_cmpuint(prepare_runs(), ==, 1);

    /* The Dockerfile beside it changed: run again. */
    g_free(put("memo/prov/Dockerfile", "FROM y2\n", 0644));
    g_assert_null(bb_dockerfile_prepared_cached(dockerfile));
    g_free(bb_dockerfile_prepare(dockerfile, NULL, &error));
    g_assert_no_error(error);
    g_autofree gchar *again = bb_dockerfile_prepared_cached(dockerfile);
    g_assert_cmpstr(again, ==, prepared);
    /* A shared script two levels up (make-base-image.sh) changed. */
    g_free(put("memo/shared.sh", "#!/bin/sh\n", 0755));
    g_assert_null(bb_dockerfile_prepared_cached(dockerfile));
    g_free(bb_dockerfile_prepare(dockerfile, NULL, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(prepare_runs(), ==, 3);

    /* The package spec (environment) changed; a refresh is asked for. */
    g_setenv("BB_TEST_PACKAGE", "pkg@2", TRUE);
    g_assert_null(bb_dockerfile_prepared_cached(dockerfile));
    g_free(bb_dockerfile_prepare(dockerfile, NULL, &error));
    g_assert_no_error(error);
    g_autofree gchar *with_env = bb_dockerfile_prepared_cached(dockerfile);
    g_assert_cmpstr(with_env, ==, prepared);
    g_setenv("BB_NPM_REFRESH", "1", TRUE);
    g_assert_null(bb_dockerfile_prepared_cached(dockerfile));
    g_unsetenv("BB_NPM_REFRESH");

    /* What it printed is gone: run again. */
    g_assert_cmpint(g_unlink(prepared), ==, 0);
    g_assert_null(bb_dockerfile_prepared_cached(dockerfile));

    /* A corrupt memo is no memo. */
    g_free(bb_dockerfile_prepare(dockerfile, NULL, &error));
    g_assert_no_error(error);
    g_autofree gchar *memo =
        g_build_filename(g_get_user_cache_dir(), "bot-bottle", "prepared.ini", NULL);
    g_assert_true(g_file_set_contents(memo, "[\x01broken\nkey", -1, NULL));
    g_assert_null(bb_dockerfile_prepared_cached(dockerfile));
    g_unsetenv("BB_TEST_PACKAGE");
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_test_add_func("/providers/dockerfile/cascade", test_cascade);
    g_test_add_func("/providers/dockerfile/prepare", test_prepare);
    g_test_add_func("/providers/dockerfile/prepare-memo", test_prepare_memo);
    return g_test_run();
}
