/* Container hardening (SECURITY.md category 8), secrets reaching only the
 * sidecar, the agent's environment and CA, the agent target, and cleanup
 * after the owner is SIGKILLed — on the real engine, each with a control. */
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "bb-docker-backend.h"
#include "bb-docker-target.h"
#include "docker-e2e-fixture.h"

static BbE2e *e2e;
static BbDockerBottle *bottle;
static gchar *secret_value;

#define SECRET_NAME "BB_TEST_UPSTREAM_TOKEN"

static gint
agent_sh(const gchar *script, gchar **out)
{
    return bb_e2e_sh(e2e, bottle->agent_id, NULL, script, out);
}

static gchar *
status_field(const gchar *container, const gchar *field)
{
    g_autofree gchar *script = g_strdup_printf("grep '^%s:' /proc/self/status", field);
    g_autofree gchar *out = NULL;
    g_assert_cmpint(bb_e2e_sh(e2e, container, NULL, script, &out), ==, 0);
    gchar *value = g_strdup(g_strstrip(strchr(out, ':') + 1));
    return value;
}

static void
test_capabilities(void)
{
    const gchar *fields[] = {"CapEff", "CapPrm", "CapBnd", "CapAmb", "CapInh"};
    for (gsize i = 0; i < G_N_ELEMENTS(fields); i++) {
        g_autofree gchar *value = status_field(bottle->agent_id, fields[i]);
        g_assert_cmpstr(value, ==, "0000000000000000");
    }
    /* Even root inside the agent (as provisioning uses) holds none. */
    g_autofree gchar *out = NULL;
    g_assert_cmpint(
        bb_e2e_sh(e2e, bottle->agent_id, "0:0", "grep ^CapBnd: /proc/self/status", &out), ==, 0);
    g_assert_nonnull(strstr(out, "0000000000000000"));
    /* Control: a default container does have capabilities. */
    g_autofree gchar *control = status_field(e2e->probe_id, "CapBnd");
    g_assert_cmpstr(control, !=, "0000000000000000");
}

static void
test_no_new_privileges(void)
{
    g_autofree gchar *value = status_field(bottle->agent_id, "NoNewPrivs");
    g_assert_cmpstr(value, ==, "1");
    g_autofree gchar *seccomp = status_field(bottle->agent_id, "Seccomp");
    g_assert_cmpstr(seccomp, ==, "2");
    g_autofree gchar *control = status_field(e2e->probe_id, "NoNewPrivs");
    g_assert_cmpstr(control, ==, "0");
    /* A setuid binary does not elevate. */
    g_autofree gchar *out = NULL;
    agent_sh("su -c 'id -u' root </dev/null 2>&1; true", &out);
    g_assert_null(strstr(out, "\n0\n"));
    g_assert_false(g_str_has_prefix(out, "0\n"));
}

static void
test_non_root(void)
{
    g_autofree gchar *out = NULL;
    g_assert_cmpint(agent_sh("id -u", &out), ==, 0);
    g_assert_cmpstr(g_strstrip(out), ==, "1000");
}

static void
test_pids_limit(void)
{
    g_autofree gchar *out = NULL;
    g_assert_cmpint(agent_sh("cat /sys/fs/cgroup/pids.max 2>/dev/null || "
                             "cat /sys/fs/cgroup/pids/pids.max",
                             &out),
                    ==, 0);
    g_assert_cmpstr(g_strstrip(out), ==, "1024");
    g_autofree gchar *control = NULL;
    bb_e2e_sh(e2e, e2e->probe_id, NULL,
              "cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max",
              &control);
    g_assert_cmpstr(g_strstrip(control), ==, "max");
    g_autofree gchar *memory = NULL;
    g_assert_cmpint(agent_sh("cat /sys/fs/cgroup/memory.max 2>/dev/null || "
                             "cat /sys/fs/cgroup/memory/memory.limit_in_bytes",
                             &memory),
                    ==, 0);
    g_assert_cmpstr(g_strstrip(memory), ==, "4294967296");
}

static void
test_no_inherited_fds(void)
{
    /* Only stdio: nothing of ours (sockets, the engine connection) leaks in. */
    g_autofree gchar *out = NULL;
    g_assert_cmpint(agent_sh("ls /proc/1/fd | sort -n | tr '\\n' ' '", &out), ==, 0);
    g_assert_cmpstr(g_strstrip(out), ==, "0 1 2");
}

static void
test_sidecar_hardening(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonObject) info =
        bb_docker_container_inspect(e2e->client, bottle->sidecar_id, &error);
    g_assert_no_error(error);
    JsonObject *host = json_object_get_object_member(info, "HostConfig");
    g_assert_true(json_object_get_boolean_member(host, "ReadonlyRootfs"));
    JsonArray *drop = json_object_get_array_member(host, "CapDrop");
    g_assert_cmpstr(json_array_get_string_element(drop, 0), ==, "ALL");
    JsonObject *config = json_object_get_object_member(info, "Config");
    g_assert_cmpstr(json_object_get_string_member(config, "User"), !=, "");
}

static gchar *
inspect_text(const gchar *container)
{
    g_autofree gchar *path = g_strdup_printf("/containers/%s/json", container);
    guint status = 0;
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) body =
        bb_docker_client_request(e2e->client, "GET", path, NULL, NULL, &status, NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(status, ==, 200);
    return g_strndup(g_bytes_get_data(body, NULL), g_bytes_get_size(body));
}

static void
test_secret_only_in_sidecar(void)
{
    /* Control: the sidecar received the secret (it logs its hash). */
    g_autofree gchar *hash = g_compute_checksum_for_string(G_CHECKSUM_SHA256, secret_value, -1);
    g_autofree gchar *line = g_strdup_printf("SECRET %s sha256=%s", SECRET_NAME, hash);
    g_assert_true(bb_e2e_log_contains(e2e, bottle->sidecar_id, line));
    g_assert_true(bb_e2e_log_contains(e2e, bottle->sidecar_id, "SECRETS 1"));

    const gchar *containers[] = {bottle->agent_id, bottle->sidecar_id};
    for (gsize i = 0; i < G_N_ELEMENTS(containers); i++) {
        g_autofree gchar *inspect = inspect_text(containers[i]);
        g_assert_null(strstr(inspect, secret_value));
        g_assert_null(strstr(inspect, "PRIVATE KEY"));
        g_autofree gchar *logs = bb_docker_container_logs(e2e->client, containers[i], NULL);
        g_assert_null(strstr(logs, secret_value));
    }
    g_autofree gchar *out = NULL;
    agent_sh("env; cat /proc/1/environ | tr '\\0' '\\n'", &out);
    g_assert_nonnull(strstr(out, "HTTP_PROXY="));
    g_assert_null(strstr(out, secret_value));
    g_assert_null(strstr(out, SECRET_NAME "="));
    /* The agent's whole filesystem, as root (what an escalation could read). */
    g_autofree gchar *grep = g_strdup_printf(
        "grep -rlsF -e '%s' / --exclude-dir=proc --exclude-dir=sys --exclude-dir=dev; "
        "grep -rlsF 'PRIVATE KEY-----' /etc /home /root /tmp /run /var /opt; echo done",
        secret_value);
    g_autofree gchar *found = NULL;
    bb_e2e_sh(e2e, bottle->agent_id, "0:0", grep, &found);
    g_assert_cmpstr(g_strstrip(found), ==, "done");
}

static void
test_agent_environment(void)
{
    g_autofree gchar *out = NULL;
    g_assert_cmpint(agent_sh("env", &out), ==, 0);
    g_autofree gchar *proxy = g_strdup_printf("HTTPS_PROXY=http://%s:9099\n", bottle->sidecar_ip);
    g_assert_nonnull(strstr(out, proxy));
    g_assert_nonnull(strstr(out, "\nNO_PROXY=\n"));
    const gchar *ca_vars[] = {"SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS", "REQUESTS_CA_BUNDLE",
                              "CURL_CA_BUNDLE", "GIT_SSL_CAINFO"};
    for (gsize i = 0; i < G_N_ELEMENTS(ca_vars); i++) {
        g_autofree gchar *expected = g_strdup_printf("%s=" BB_DOCKER_AGENT_CA_PATH, ca_vars[i]);
        g_assert_nonnull(strstr(out, expected));
    }
    g_autofree gchar *ca = NULL;
    g_assert_cmpint(agent_sh("cat " BB_DOCKER_AGENT_CA_PATH, &ca), ==, 0);
    g_assert_cmpstr(ca, ==, bottle->ca_pem);
    /* In the system bundle too; the control is that the file existed before. */
    g_autofree gchar *bundle = NULL;
    g_assert_cmpint(agent_sh("cat /etc/ssl/certs/ca-certificates.crt", &bundle), ==, 0);
    g_assert_nonnull(strstr(bundle, bottle->ca_pem));
    g_assert_cmpuint(strlen(bundle), >, strlen(bottle->ca_pem) + 1000);
}

static void
test_target(void)
{
    g_autoptr(BbDockerTarget) target =
        bb_docker_target_new(e2e->client, bottle->agent_id, "1000:1000");
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) contents = g_bytes_new_static("hello\n", 6);
    g_assert_true(bb_agent_target_write_file(
        BB_AGENT_TARGET(target), "/home/agent/.config/bb/note.txt", contents, 0600, FALSE, &error));
    g_assert_no_error(error);
    g_assert_true(bb_agent_target_write_file(BB_AGENT_TARGET(target), "/etc/bb-test/root.txt",
                                             contents, 0644, TRUE, &error));
    g_assert_no_error(error);
    g_autofree gchar *host_dir = g_dir_make_tmp("bb-target-XXXXXX", &error);
    g_assert_no_error(error);
    g_autofree gchar *sub = g_build_filename(host_dir, "sub", NULL);
    g_assert_cmpint(g_mkdir(sub, 0755), ==, 0);
    g_autofree gchar *file = g_build_filename(sub, "skill.md", NULL);
    g_assert_true(g_file_set_contents(file, "# skill\n", -1, &error));
    g_assert_true(bb_agent_target_copy_dir(BB_AGENT_TARGET(target), host_dir,
                                           "/home/agent/skills/demo", &error));
    g_assert_no_error(error);

    g_autofree gchar *out = NULL;
    g_assert_cmpint(agent_sh("stat -c '%u %a %n' /home/agent/.config/bb/note.txt "
                             "/home/agent/.config/bb /etc/bb-test/root.txt "
                             "/home/agent/skills/demo/sub/skill.md; "
                             "cat /home/agent/skills/demo/sub/skill.md",
                             &out),
                    ==, 0);
    g_assert_nonnull(strstr(out, "1000 600 /home/agent/.config/bb/note.txt\n"));
    g_assert_nonnull(strstr(out, "1000 755 /home/agent/.config/bb\n"));
    g_assert_nonnull(strstr(out, "0 644 /etc/bb-test/root.txt\n"));
    g_assert_nonnull(strstr(out, "1000 644 /home/agent/skills/demo/sub/skill.md\n# skill\n"));
    /* The agent cannot write where only root may: the control for as_root. */
    g_assert_cmpint(agent_sh("echo x > /etc/bb-test/root.txt", NULL), !=, 0);

    gint status = -1;
    const gchar *argv[] = {"sh", "-c", "test \"$(id -u)\" = 0", NULL};
    g_assert_true(bb_agent_target_exec(BB_AGENT_TARGET(target), argv, TRUE, &status, &error));
    g_assert_cmpint(status, ==, 0);
    g_assert_true(bb_agent_target_exec(BB_AGENT_TARGET(target), argv, FALSE, &status, &error));
    g_assert_cmpint(status, ==, 1);
}

static void
test_tty(void)
{
    int input[2], output[2];
    g_assert_cmpint(pipe(input), ==, 0);
    g_assert_cmpint(pipe(output), ==, 0);
    const gchar script[] = "echo tty-$((6*7)); tty; exit 7\n";
    g_assert_cmpint(write(input[1], script, sizeof script - 1), ==, sizeof script - 1);
    close(input[1]);
    const gchar *argv[] = {"bash", "--norc", "-i", NULL};
    gint status = -1;
    g_autoptr(GError) error = NULL;
    g_assert_true(bb_docker_exec_tty(e2e->client, bottle->agent_id, argv, NULL, input[0], output[1],
                                     &status, &error));
    g_assert_no_error(error);
    close(input[0]);
    close(output[1]);
    g_autofree gchar *text = g_malloc0(65536);
    gsize total = 0;
    gssize got;
    while ((got = read(output[0], text + total, 65535 - total)) > 0)
        total += got;
    close(output[0]);
    g_test_message("tty output: %s (status %d)", text, status);
    g_assert_cmpint(status, ==, 7);
    g_assert_nonnull(strstr(text, "tty-42"));
    /* A real terminal in the agent; the control is the exec without one. */
    g_assert_nonnull(strstr(text, "/dev/pts/"));
    g_autofree gchar *plain = NULL;
    agent_sh("tty; true", &plain);
    g_assert_nonnull(strstr(plain, "not a tty"));
}

static guint
count_labelled(const gchar *endpoint, const gchar *slug)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonArray) found =
        g_str_equal(endpoint, "containers")
            ? bb_docker_container_list(e2e->client, BB_DOCKER_LABEL_SLUG, slug, &error)
            : bb_docker_network_list(e2e->client, BB_DOCKER_LABEL_SLUG, slug, &error);
    g_assert_no_error(error);
    return json_array_get_length(found);
}

static guint
count_volumes(const gchar *slug)
{
    g_autofree gchar *label =
        g_strdup_printf("{\"label\":[\"" BB_DOCKER_LABEL_SLUG "=%s\"]}", slug);
    g_autofree gchar *filter = bb_docker_query_escape(label);
    g_autofree gchar *path = g_strdup_printf("/volumes?filters=%s", filter);
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) reply =
        bb_docker_client_call(e2e->client, "GET", path, NULL, NULL, NULL, &error);
    g_assert_no_error(error);
    JsonArray *volumes = json_object_get_array_member(json_node_get_object(reply), "Volumes");
    return volumes != NULL ? json_array_get_length(volumes) : 0;
}

static void
test_cleanup_after_sigkill(void)
{
    const gchar *argv[] = {g_getenv("BB_TEST_SELF"), "--launch-and-wait", e2e->base_image,
                           e2e->fixture_image, NULL};
    GPid pid = 0;
    gint out_fd = -1;
    g_autoptr(GError) error = NULL;
    g_assert_true(g_spawn_async_with_pipes(NULL, (gchar **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                           NULL, NULL, &pid, NULL, &out_fd, NULL, &error));
    g_assert_no_error(error);
    g_autoptr(GIOChannel) channel = g_io_channel_unix_new(out_fd);
    g_io_channel_set_close_on_unref(channel, TRUE);
    g_autofree gchar *slug = NULL;
    g_io_channel_read_line(channel, &slug, NULL, NULL, &error);
    g_assert_no_error(error);
    g_assert_nonnull(slug);
    g_strstrip(slug);
    g_assert_cmpuint(count_labelled("containers", slug), ==, 2);
    g_assert_cmpuint(count_labelled("networks", slug), ==, 2);
    g_assert_cmpuint(count_volumes(slug), ==, 1);

    kill(pid, SIGKILL);
    int wait_status = 0;
    waitpid(pid, &wait_status, 0);
    g_spawn_close_pid(pid);
    g_assert_true(WIFSIGNALED(wait_status));
    /* Control: the SIGKILL left the bottle behind; only cleanup removes it. */
    g_assert_cmpuint(count_labelled("containers", slug), ==, 2);

    g_autoptr(BbDockerBackend) backend = bb_docker_backend_new();
    /* `list` shows it as orphaned, our own live bottle as running. */
    g_autoptr(GPtrArray) infos = bb_backend_list(BB_BACKEND(backend), &error);
    g_assert_no_error(error);
    guint seen = 0;
    for (guint i = 0; i < infos->len; i++) {
        BbBottleInfo *info = g_ptr_array_index(infos, i);
        if (g_str_equal(info->slug, slug)) {
            g_assert_cmpstr(info->state, ==, "orphaned");
            seen++;
        } else if (g_str_equal(info->slug, bottle->slug)) {
            g_assert_cmpstr(info->state, ==, "running");
            seen++;
        }
    }
    g_assert_cmpuint(seen, ==, 2);
    g_assert_true(bb_backend_cleanup(BB_BACKEND(backend), NULL, &error));
    g_assert_no_error(error);
    g_assert_cmpuint(count_labelled("containers", slug), ==, 0);
    g_assert_cmpuint(count_labelled("networks", slug), ==, 0);
    g_assert_cmpuint(count_volumes(slug), ==, 0);
    /* Our own, live bottle survives an orphan cleanup. */
    g_assert_cmpuint(count_labelled("containers", bottle->slug), ==, 2);
}

static int
launch_and_wait(const gchar *agent_image, const gchar *sidecar_image)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(BbDockerClient) client = bb_docker_client_new_from_env(&error);
    BbDockerBottleSpec spec = {
        .agent_name = "orphan", .agent_image = agent_image, .sidecar_image = sidecar_image};
    g_autoptr(BbDockerBottle) launched = bb_docker_bottle_launch(client, &spec, &error);
    if (launched == NULL) {
        g_printerr("%s\n", error->message);
        return 1;
    }
    g_print("%s\n", launched->slug);
    fflush(stdout);
    g_usleep(G_USEC_PER_SEC * 120); /* bounded: the parent kills us long before */
    return 0;
}

int
main(int argc, char **argv)
{
    if (argc == 4 && g_str_equal(argv[1], "--launch-and-wait"))
        return launch_and_wait(argv[2], argv[3]);
    g_setenv("BB_TEST_SELF", argv[0], TRUE);
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_autoptr(GError) error = NULL;
    e2e = bb_e2e_setup(&error);
    g_assert_no_error(error);
    secret_value = bb_e2e_marker("sk-live-not-for-the-agent");
    g_autoptr(GHashTable) secrets = g_hash_table_new(g_str_hash, g_str_equal);
    g_hash_table_insert(secrets, SECRET_NAME, secret_value);
    bottle = bb_e2e_launch_bottle(e2e, "hardening", secrets, &error);
    g_assert_no_error(error);

    g_test_add_func("/docker/hardening/capabilities", test_capabilities);
    g_test_add_func("/docker/hardening/no-new-privileges", test_no_new_privileges);
    g_test_add_func("/docker/hardening/non-root", test_non_root);
    g_test_add_func("/docker/hardening/pids-memory-limits", test_pids_limit);
    g_test_add_func("/docker/hardening/no-inherited-fds", test_no_inherited_fds);
    g_test_add_func("/docker/hardening/sidecar", test_sidecar_hardening);
    g_test_add_func("/docker/secrets/only-in-sidecar", test_secret_only_in_sidecar);
    g_test_add_func("/docker/agent/environment", test_agent_environment);
    g_test_add_func("/docker/agent/target", test_target);
    g_test_add_func("/docker/agent/tty", test_tty);
    g_test_add_func("/docker/cleanup/after-sigkill", test_cleanup_after_sigkill);
    int result = g_test_run();

    bb_docker_bottle_remove(e2e->client, bottle->slug, NULL);
    bb_docker_bottle_free(bottle);
    bb_e2e_teardown(e2e);
    g_free(secret_value);
    return result;
}
