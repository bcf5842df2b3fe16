/* Image preparation on the real engine: the stat-keyed cache in front of
 * assembled and built images (a hit skips the work, a change or an image
 * deleted on the engine rebuilds), pruning of unused images, and a
 * contrib detector carried into the sidecar, judged at the upstream.
 * Every image these tests delete carries a name unique to this run; the
 * shared bot-bottle-sidecar images are only ever created. */
#include <glib/gstdio.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>
#include "bb-docker-backend.h"
#include "bb-docker-image-cache.h"
#include "bb-docker-image.h"
#include "bb-docker-tar.h"
#include "bb-plan-private.h"
#include "bb-route.h"
#include "docker-e2e-fixture.h"

#define ALLOWED "api.fixture.test"
#define ACME_KEY "acme_live_0123456789abcdef0123456789abcdef"
/* One hex digit short: not a key, a control the detector must pass. */
#define ACME_NEAR "acme_live_0123456789abcdef0123456789abcde"

static BbE2e *e2e;
static GPtrArray *images_to_remove; /* our own, unique-named images */

static gboolean
image_exists(const gchar *ref)
{
    gboolean exists = FALSE;
    g_autoptr(GError) error = NULL;
    g_assert_true(bb_docker_image_exists(e2e->client, ref, &exists, &error));
    return exists;
}

static void
remove_image(const gchar *ref)
{
    g_autoptr(GError) error = NULL;
    g_assert_true(bb_docker_image_remove(e2e->client, ref, &error));
    g_assert_no_error(error);
}

static gchar *
temp_dir(const gchar *name)
{
    gchar *dir = g_build_filename(g_get_home_dir(), name, NULL);
    g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
    return dir;
}

/* A copy of the fixture program: a real dynamic executable we may edit. */
static gchar *
copy_program(const gchar *dir)
{
    g_autofree gchar *contents = NULL;
    gsize length = 0;
    g_assert_true(g_file_get_contents(g_getenv("BB_TEST_FIXTURE"), &contents, &length, NULL));
    gchar *path = g_build_filename(dir, "bb-test-program", NULL);
    g_assert_true(g_file_set_contents(path, contents, (gssize)length, NULL));
    g_assert_cmpint(g_chmod(path, 0755), ==, 0);
    return path;
}

/* Overwrites one byte in place and puts the mtime back: same path, size,
 * inode, mode and mtime, different contents. */
static void
edit_keeping_stat(const gchar *path)
{
    struct stat st;
    g_assert_cmpint(stat(path, &st), ==, 0);
    FILE *file = fopen(path, "r+b");
    g_assert_nonnull(file);
    g_assert_cmpint(fseek(file, (long)st.st_size - 1, SEEK_SET), ==, 0);
    gint last = fgetc(file);
    g_assert_cmpint(fseek(file, (long)st.st_size - 1, SEEK_SET), ==, 0);
    fputc(last ^ 0x5a, file);
    fclose(file);
    struct timespec times[2] = {st.st_atim, st.st_mtim};
    g_assert_cmpint(utimensat(AT_FDCWD, path, times, 0), ==, 0);
}

static gchar *
assemble(const BbDockerImageRecipe *recipe)
{
    g_autoptr(GError) error = NULL;
    gchar *ref = bb_docker_image_assemble_cached(e2e->client, recipe, NULL, NULL, &error);
    g_assert_no_error(error);
    g_assert_nonnull(ref);
    g_ptr_array_add(images_to_remove, g_strdup(ref));
    return ref;
}

static void
test_assembled_cache(void)
{
    g_autofree gchar *dir = temp_dir("assembled");
    g_autofree gchar *program = copy_program(dir);
    g_autofree gchar *repository = g_strdup_printf("bot-bottle-test-cache-%d", (int)getpid());
    const gchar *programs[] = {program, NULL};
    const gchar *env[] = {"BB_TEST=1", NULL};
    BbDockerImageRecipe recipe = {
        .repository = repository,
        .programs = programs,
        .env = env,
        .uid = 65532,
        .user_name = "test",
    };
    g_autofree gchar *first = assemble(&recipe);
    g_assert_true(image_exists(first));

    /* Unchanged metadata: the cached ref, contents not read again (the
     * edit would give another content hash if they were). */
    edit_keeping_stat(program);
    g_autofree gchar *hit = assemble(&recipe);
    g_assert_cmpstr(hit, ==, first);

    /* Touched: a miss, assembled from the new contents. */
    g_assert_cmpint(g_utime(program, NULL), ==, 0);
    g_autofree gchar *touched = assemble(&recipe);
    g_assert_cmpstr(touched, !=, first);
    g_assert_true(image_exists(touched));

    /* The image deleted on the engine: the entry is not trusted. */
    remove_image(touched);
    g_assert_false(image_exists(touched));
    g_autofree gchar *rebuilt = assemble(&recipe);
    g_assert_cmpstr(rebuilt, ==, touched);
    g_assert_true(image_exists(rebuilt));

    /* The recipe is part of the key. */
    const gchar *other_env[] = {"BB_TEST=2", NULL};
    recipe.env = other_env;
    g_autofree gchar *other = assemble(&recipe);
    g_assert_cmpstr(other, !=, rebuilt);
}

typedef struct {
    const gchar *dir;
    guint calls;
} Derive;

static gboolean
derive_file(gpointer data, GError **error)
{
    Derive *derive = data;
    derive->calls++;
    g_autofree gchar *path = g_build_filename(derive->dir, "derived.txt", NULL);
    return g_file_set_contents(path, "made from the inputs\n", -1, error);
}

/* Derived trees are made only when the image is built, are not part of
 * the key (making them does not turn the next lookup into a miss), and
 * deleting them is a miss like any input file. */
static void
test_derived_tree(void)
{
    g_autofree gchar *dir = temp_dir("derived");
    g_autofree gchar *program = copy_program(dir);
    g_autofree gchar *out = temp_dir("derived-out");
    g_autofree gchar *repository = g_strdup_printf("bot-bottle-test-derived-%d", (int)getpid());
    const gchar *programs[] = {program, NULL};
    const gchar *derived[] = {out, "/usr/share/derived", NULL};
    Derive derive = {out, 0};
    BbDockerImageRecipe recipe = {
        .repository = repository,
        .programs = programs,
        .uid = 65532,
        .user_name = "test",
        .derived_trees = derived,
        .derive = derive_file,
        .derive_data = &derive,
    };
    g_autofree gchar *first = assemble(&recipe);
    g_assert_cmpuint(derive.calls, ==, 1);
    g_autofree gchar *hit = assemble(&recipe);
    g_assert_cmpstr(hit, ==, first);
    g_assert_cmpuint(derive.calls, ==, 1);
    /* In the image: a container made from it holds the file. */
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonObject) config = json_object_new();
    json_object_set_string_member(config, "Image", first);
    g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), json_object_ref(config));
    g_autofree gchar *name = g_strdup_printf("bb-test-derived-%d", (int)getpid());
    g_autofree gchar *id = bb_docker_container_create(e2e->client, name, node, &error);
    g_assert_no_error(error);
    g_autoptr(GBytes) tar =
        bb_docker_container_get_archive(e2e->client, id, "/usr/share/derived/derived.txt", &error);
    g_assert_no_error(error);
    g_assert_nonnull(tar);
    g_autoptr(GBytes) contents = bb_docker_tar_read_first_file(tar, &error);
    g_assert_no_error(error);
    g_assert_cmpmem(g_bytes_get_data(contents, NULL), g_bytes_get_size(contents),
                    "made from the inputs\n", 21);
    g_assert_true(bb_docker_container_remove(e2e->client, id, &error));
    /* Deleted: a miss, derived again, the same image. */
    g_autofree gchar *path = g_build_filename(out, "derived.txt", NULL);
    g_assert_cmpint(g_unlink(path), ==, 0);
    g_autofree gchar *again = assemble(&recipe);
    g_assert_cmpuint(derive.calls, ==, 2);
    g_assert_cmpstr(again, ==, first);
}

static gchar *
build_agent(BbDockerBackend *backend, const gchar *dockerfile)
{
    g_autoptr(GError) error = NULL;
    gchar *ref = bb_docker_backend_build_agent_image(backend, dockerfile, NULL, NULL, NULL, &error);
    g_assert_no_error(error);
    g_assert_nonnull(ref);
    g_ptr_array_add(images_to_remove, g_strdup(ref));
    return ref;
}

static void
test_agent_cache(void)
{
    g_autofree gchar *dir = temp_dir("agent-context");
    g_autofree gchar *dockerfile = g_build_filename(dir, "Dockerfile", NULL);
    g_autofree gchar *marker_path = g_build_filename(dir, "marker", NULL);
    g_autofree gchar *marker = bb_e2e_marker("agent-cache");
    g_autofree gchar *recipe = g_strdup_printf(
        "FROM scratch\nLABEL bot-bottle.test=%d\nCOPY marker /marker\n", (int)getpid());
    g_assert_true(g_file_set_contents(dockerfile, recipe, -1, NULL));
    g_assert_true(g_file_set_contents(marker_path, marker, -1, NULL));
    g_autoptr(BbDockerBackend) backend = bb_docker_backend_new();

    g_autofree gchar *first = build_agent(backend, dockerfile);
    g_assert_true(g_str_has_prefix(first, "bot-bottle-agent:"));
    edit_keeping_stat(marker_path);
    g_autofree gchar *hit = build_agent(backend, dockerfile);
    g_assert_cmpstr(hit, ==, first);
    edit_keeping_stat(marker_path); /* the byte back: the first contents */

    /* The image deleted on the engine: built again. */
    remove_image(first);
    g_autofree gchar *rebuilt = build_agent(backend, dockerfile);
    g_assert_cmpstr(rebuilt, ==, first);
    g_assert_true(image_exists(rebuilt));

    g_autofree gchar *changed_marker = bb_e2e_marker("agent-cache-changed");
    g_assert_true(g_file_set_contents(marker_path, changed_marker, -1, NULL));
    g_autofree gchar *changed = build_agent(backend, dockerfile);
    g_assert_cmpstr(changed, !=, first);
}

static gchar *
import_tagged(const gchar *ref)
{
    g_autoptr(BbDockerTar) tar = bb_docker_tar_new();
    g_autoptr(GBytes) contents = g_bytes_new_static(ref, strlen(ref));
    g_autoptr(GError) error = NULL;
    g_assert_true(bb_docker_tar_add_file(tar, "ref", contents, 0644, 0, 0, &error));
    g_autoptr(GBytes) archive = bb_docker_tar_finish(tar);
    const gchar *changes[] = {"CMD [\"/ref\"]", NULL};
    g_assert_true(bb_docker_image_import(e2e->client, archive, ref, changes, &error));
    g_assert_no_error(error);
    g_ptr_array_add(images_to_remove, g_strdup(ref));
    return g_strdup(ref);
}

static void
test_prune(void)
{
    g_autofree gchar *repository = g_strdup_printf("bot-bottle-test-prune-%d", (int)getpid());
    g_autofree gchar *r1 = g_strdup_printf("%s:old1", repository);
    g_autofree gchar *r2 = g_strdup_printf("%s:old2", repository);
    g_autofree gchar *kept = g_strdup_printf("%s:current", repository);
    g_autofree gchar *used = g_strdup_printf("%s:used", repository);
    const gchar *refs[] = {r1, r2, kept, used};
    for (guint i = 0; i < G_N_ELEMENTS(refs); i++)
        g_free(import_tagged(refs[i]));
    /* A stopped container keeps its image. */
    g_autoptr(JsonBuilder) b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "Image");
    json_builder_add_string_value(b, used);
    json_builder_set_member_name(b, "Labels");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "bot-bottle.test");
    g_autofree gchar *pid = g_strdup_printf("%d", (int)getpid());
    json_builder_add_string_value(b, pid);
    json_builder_end_object(b);
    json_builder_end_object(b);
    g_autoptr(JsonNode) config = json_builder_get_root(b);
    g_autoptr(GError) error = NULL;
    g_autofree gchar *name = g_strdup_printf("bb-test-prune-%d", (int)getpid());
    g_autofree gchar *container = bb_docker_container_create(e2e->client, name, config, &error);
    g_assert_no_error(error);

    const gchar *repositories[] = {repository, NULL};
    const gchar *keep[] = {kept, NULL};
    g_autoptr(GPtrArray) removed = bb_docker_image_prune(e2e->client, repositories, keep, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(removed->len, ==, 2);
    g_assert_true(g_ptr_array_find_with_equal_func(removed, r1, g_str_equal, NULL));
    g_assert_true(g_ptr_array_find_with_equal_func(removed, r2, g_str_equal, NULL));
    g_assert_false(image_exists(r1));
    g_assert_false(image_exists(r2));
    g_assert_true(image_exists(kept));
    g_assert_true(image_exists(used));

    /* Once the container is gone, its image goes too. */
    g_assert_true(bb_docker_container_remove(e2e->client, container, &error));
    g_autoptr(GPtrArray) again = bb_docker_image_prune(e2e->client, repositories, keep, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(again->len, ==, 1);
    g_assert_cmpstr(g_ptr_array_index(again, 0), ==, used);
    g_assert_true(image_exists(kept));
}

/* The fixture prints its self-signed certificate between markers. */
static gchar *
fixture_ca_file(void)
{
    g_autoptr(GError) error = NULL;
    gchar *path = bb_e2e_fixture_ca_file(e2e, g_get_home_dir(), &error);
    g_assert_no_error(error);
    return path;
}

typedef struct {
    BbDockerBackend *docker;
    gchar *slug;
} Bottle;

/* A bottle through BbBackend, as the CLI drives it: one route with
 * outbound DLP on every detector the sidecar has, blocking on a match. */
static Bottle
launch_bottle(const gchar *config_dir)
{
    g_autoptr(GError) error = NULL;
    g_setenv("BOT_BOTTLE_CONFIG_DIR", config_dir, TRUE);
    g_autoptr(BbPlan) plan = bb_plan_new();
    bb_plan_set_agent(plan, "images-contrib", "/nonexistent/agent.md", BB_ORIGIN_HOME);
    g_autoptr(BbRoute) route = bb_route_new(ALLOWED);
    route->outbound.enabled = TRUE;
    route->inbound.enabled = FALSE;
    route->outbound_on_match = BB_ON_MATCH_BLOCK;
    bb_plan_add_route(plan, route);
    bb_plan_seal(plan);

    Bottle bottle = {bb_docker_backend_new(), NULL};
    BbBackend *backend = BB_BACKEND(bottle.docker);
    bb_docker_backend_set_agent_image(bottle.docker, e2e->base_image);
    g_assert_true(bb_backend_is_available(backend, &error));
    g_assert_true(bb_backend_prepare_images(backend, plan, NULL, NULL, NULL, &error));
    g_assert_no_error(error);
    g_autofree gchar *ca_path = fixture_ca_file();
    g_autofree gchar *pin = g_strdup_printf(ALLOWED ":443:%s", e2e->fixture_ip);
    gchar *resolve[] = {pin, NULL};
    g_autoptr(GHashTable) secrets = g_hash_table_new(g_str_hash, g_str_equal);
    BbLaunchOptions options = {.resolve = resolve, .upstream_ca = ca_path, .secrets = secrets};
    bottle.slug = bb_backend_launch(backend, plan, &options, NULL, &error);
    g_assert_no_error(error);
    g_autoptr(JsonArray) containers =
        bb_docker_container_list(e2e->client, BB_DOCKER_LABEL_SLUG, bottle.slug, &error);
    for (guint i = 0; i < json_array_get_length(containers); i++) {
        JsonObject *container = json_array_get_object_element(containers, i);
        JsonObject *labels = json_object_get_object_member(container, "Labels");
        if (g_str_equal(json_object_get_string_member(labels, BB_DOCKER_LABEL_ROLE), "sidecar"))
            g_assert_true(bb_docker_network_connect(e2e->client, e2e->internet,
                                                    json_object_get_string_member(container, "Id"),
                                                    &error));
    }
    g_assert_no_error(error);
    return bottle;
}

static void
stop_bottle(Bottle *bottle)
{
    g_autoptr(GError) error = NULL;
    g_assert_true(bb_backend_stop(BB_BACKEND(bottle->docker), bottle->slug, &error));
    g_clear_object(&bottle->docker);
    g_clear_pointer(&bottle->slug, g_free);
}

/* The HTTP status the agent gets for a GET carrying @value; @marker in
 * the path shows at the upstream whether the request arrived. */
static gchar *
agent_get(Bottle *bottle, const gchar *marker, const gchar *value)
{
    g_autofree gchar *script =
        g_strdup_printf("code=$(curl -sS -o /dev/null -w '%%{http_code}' --max-time 10 "
                        "'https://" ALLOWED "/%s?k=%s'); exit $((code / 100))",
                        marker, value);
    const gchar *argv[] = {"sh", "-c", script, NULL};
    gint status = -1;
    g_autoptr(GError) error = NULL;
    g_assert_true(
        bb_backend_exec(BB_BACKEND(bottle->docker), bottle->slug, argv, FALSE, &status, &error));
    g_assert_no_error(error);
    return g_strdup_printf("%dxx", status);
}

static void
install_contrib(const gchar *config_dir, const gchar *name, const gchar *file, GBytes *contents)
{
    g_autofree gchar *dir = g_build_filename(config_dir, "contrib", name, NULL);
    g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
    g_autofree gchar *contrib = g_path_get_dirname(dir);
    g_assert_cmpint(g_chmod(config_dir, 0755), ==, 0);
    g_assert_cmpint(g_chmod(contrib, 0755), ==, 0);
    g_assert_cmpint(g_chmod(dir, 0755), ==, 0);
    g_autofree gchar *path = g_build_filename(dir, file, NULL);
    g_assert_true(g_file_set_contents(path, g_bytes_get_data(contents, NULL),
                                      (gssize)g_bytes_get_size(contents), NULL));
    g_assert_cmpint(g_chmod(path, 0644), ==, 0);
}

static void
test_contrib_detector_in_sidecar(void)
{
    g_setenv("BOT_BOTTLE_SIDECAR", g_getenv("BB_TEST_SIDECAR"), TRUE);
    g_unsetenv("BOT_BOTTLE_NO_CONTRIB");
    g_autofree gchar *with = temp_dir("config-with-acme");
    g_autoptr(GMappedFile) module = g_mapped_file_new(g_getenv("BB_TEST_ACME_PLUGIN"), FALSE, NULL);
    g_assert_nonnull(module);
    g_autoptr(GBytes) acme = g_mapped_file_get_bytes(module);
    install_contrib(with, "acme", "libbb-acme.so", acme);
    /* A broken one beside it is skipped with a warning, never fatal. */
    g_autoptr(GBytes) junk = g_bytes_new_static("not an ELF file", 15);
    install_contrib(with, "broken", "libbb-broken.so", junk);
    g_test_expect_message("bb-docker", G_LOG_LEVEL_WARNING, "*libbb-broken.so*left out*");
    Bottle bottle = launch_bottle(with);
    g_test_assert_expected_messages();

    /* The ACME key never reaches the upstream; a near miss does. */
    g_autofree gchar *blocked = bb_e2e_marker("acme-blocked");
    g_autofree gchar *status = agent_get(&bottle, blocked, ACME_KEY);
    g_assert_cmpstr(status, ==, "4xx");
    g_assert_false(bb_e2e_log_contains(e2e, e2e->fixture_id, blocked));
    g_assert_false(bb_e2e_log_contains(e2e, e2e->fixture_id, ACME_KEY));
    g_autofree gchar *near = bb_e2e_marker("acme-near");
    g_autofree gchar *near_status = agent_get(&bottle, near, ACME_NEAR);
    g_assert_cmpstr(near_status, ==, "2xx");
    g_assert_true(bb_e2e_log_contains(e2e, e2e->fixture_id, near));
    stop_bottle(&bottle);

    /* Control: the same bottle without the plugin lets the key through
     * (the built-in detectors do not know the format). */
    g_autofree gchar *without = temp_dir("config-without-acme");
    Bottle control = launch_bottle(without);
    g_autofree gchar *passed = bb_e2e_marker("acme-passed");
    g_autofree gchar *passed_status = agent_get(&control, passed, ACME_KEY);
    g_assert_cmpstr(passed_status, ==, "2xx");
    g_assert_true(bb_e2e_log_contains(e2e, e2e->fixture_id, passed));
    stop_bottle(&control);
    g_unsetenv("BOT_BOTTLE_CONFIG_DIR");
}

static gboolean
pid_alive(const gchar *text)
{
    guint64 pid = 0;
    return g_ascii_string_to_unsigned(text, 10, 1, G_MAXINT, &pid, NULL) &&
           kill((pid_t)pid, 0) == 0;
}

/* The pid in "bot-bottle-test-cache-<pid>:<tag>", or in the image's label. */
static gchar *
image_owner(JsonObject *image, const gchar *tag)
{
    JsonNode *labels = json_object_get_member(image, "Labels");
    if (labels != NULL && JSON_NODE_HOLDS_OBJECT(labels) &&
        json_object_has_member(json_node_get_object(labels), "bot-bottle.test"))
        return g_strdup(
            json_object_get_string_member(json_node_get_object(labels), "bot-bottle.test"));
    const gchar *colon = strrchr(tag, ':');
    const gchar *dash = colon != NULL ? g_strrstr_len(tag, colon - tag, "-") : NULL;
    return dash != NULL ? g_strndup(dash + 1, colon - dash - 1) : NULL;
}

/* A run that aborted leaves its images; the next run removes them. */
static void
remove_stale_images(void)
{
    const gchar *filters[] = {
        "{\"reference\":[\"bot-bottle-test-cache-*\",\"bot-bottle-test-prune-*\"]}",
        "{\"label\":[\"bot-bottle.test\"],\"reference\":[\"bot-bottle-agent\"]}",
    };
    for (guint f = 0; f < G_N_ELEMENTS(filters); f++) {
        g_autofree gchar *query = bb_docker_query_escape(filters[f]);
        g_autofree gchar *path = g_strdup_printf("/images/json?filters=%s", query);
        g_autoptr(GError) error = NULL;
        g_autoptr(JsonNode) reply =
            bb_docker_client_call(e2e->client, "GET", path, NULL, NULL, NULL, &error);
        g_assert_no_error(error);
        JsonArray *images = json_node_get_array(reply);
        for (guint i = 0; i < json_array_get_length(images); i++) {
            JsonObject *image = json_array_get_object_element(images, i);
            JsonArray *tags = json_object_get_array_member(image, "RepoTags");
            for (guint t = 0; tags != NULL && t < json_array_get_length(tags); t++) {
                const gchar *tag = json_array_get_string_element(tags, t);
                g_autofree gchar *owner = image_owner(image, tag);
                if (owner != NULL && !pid_alive(owner))
                    bb_docker_image_remove(e2e->client, tag, NULL);
            }
        }
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_autoptr(GError) error = NULL;
    e2e = bb_e2e_setup(&error);
    g_assert_no_error(error);
    images_to_remove = g_ptr_array_new_with_free_func(g_free);
    remove_stale_images();
    g_test_add_func("/docker/images/assembled-cache", test_assembled_cache);
    g_test_add_func("/docker/images/derived-tree", test_derived_tree);
    g_test_add_func("/docker/images/agent-cache", test_agent_cache);
    g_test_add_func("/docker/images/prune", test_prune);
    g_test_add_func("/docker/images/contrib-detector-in-sidecar", test_contrib_detector_in_sidecar);
    int result = g_test_run();
    for (guint i = 0; i < images_to_remove->len; i++)
        bb_docker_image_remove(e2e->client, g_ptr_array_index(images_to_remove, i), NULL);
    g_ptr_array_unref(images_to_remove);
    bb_e2e_teardown(e2e);
    return result;
}
