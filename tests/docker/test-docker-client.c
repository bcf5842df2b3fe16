/* The engine client against a scripted fake engine on a Unix socket (framing,
 * errors, hostile answers), the tar writer against GNU tar, DOCKER_HOST
 * handling and is_available's advice when no engine is there. */
#include <glib/gstdio.h>
#include <gio/gunixsocketaddress.h>
#include <string.h>
#include <unistd.h>
#include "bb-docker-api.h"
#include "bb-docker-backend.h"
#include "bb-docker-bottle.h"
#include "bb-docker-image.h"
#include "bb-docker-subnet.h"
#include "bb-docker-tar.h"
#include "bb-error.h"

typedef struct {
    GSocket *listener;
    gchar *path;
    gchar *response; /* sent verbatim to the next connection */
    GString *request;
    GThread *thread;
} FakeEngine;

static gpointer
fake_engine_serve(gpointer data)
{
    FakeEngine *fake = data;
    g_autoptr(GSocket) connection = g_socket_accept(fake->listener, NULL, NULL);
    if (connection == NULL)
        return NULL;
    g_socket_set_timeout(connection, 5);
    gchar buffer[4096];
    /* Read the head (and a small body) of the request. */
    while (strstr(fake->request->str, "\r\n\r\n") == NULL) {
        gssize got = g_socket_receive(connection, buffer, sizeof buffer, NULL, NULL);
        if (got <= 0)
            break;
        g_string_append_len(fake->request, buffer, got);
    }
    g_socket_send(connection, fake->response, strlen(fake->response), NULL, NULL);
    g_socket_shutdown(connection, FALSE, TRUE, NULL);
    return NULL;
}

static FakeEngine *
fake_engine_new(const gchar *response)
{
    FakeEngine *fake = g_new0(FakeEngine, 1);
    fake->path = g_build_filename(g_get_tmp_dir(), "fake-docker.sock", NULL);
    g_unlink(fake->path);
    g_autoptr(GError) error = NULL;
    fake->listener =
        g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, &error);
    g_assert_no_error(error);
    g_autoptr(GSocketAddress) address = g_unix_socket_address_new(fake->path);
    g_assert_true(g_socket_bind(fake->listener, address, TRUE, &error));
    g_assert_true(g_socket_listen(fake->listener, &error));
    fake->response = g_strdup(response);
    fake->request = g_string_new(NULL);
    fake->thread = g_thread_new("fake-engine", fake_engine_serve, fake);
    return fake;
}

static void
fake_engine_free(FakeEngine *fake)
{
    g_thread_join(fake->thread);
    g_object_unref(fake->listener);
    g_unlink(fake->path);
    g_free(fake->path);
    g_free(fake->response);
    g_string_free(fake->request, TRUE);
    g_free(fake);
}

static void
test_chunked_json(void)
{
    FakeEngine *fake = fake_engine_new("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                       "Transfer-Encoding: chunked\r\n\r\n"
                                       "5\r\n{\"Id\"\r\n"
                                       "9;ext=1\r\n:\"abc123\"\r\n"
                                       "1\r\n}\r\n0\r\n\r\n");
    g_autoptr(BbDockerClient) client = bb_docker_client_new(fake->path);
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) reply = bb_docker_client_call(client, "POST", "/containers/create?name=x",
                                                      NULL, NULL, NULL, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(json_object_get_string_member(json_node_get_object(reply), "Id"), ==, "abc123");
    g_assert_true(g_str_has_prefix(fake->request->str,
                                   "POST /" BB_DOCKER_API_VERSION "/containers/create?name=x "
                                   "HTTP/1.1\r\n"));
    fake_engine_free(fake);
}

static void
test_error_message(void)
{
    FakeEngine *fake = fake_engine_new("HTTP/1.1 409 Conflict\r\nContent-Length: 33\r\n\r\n"
                                       "{\"message\":\"name already in use\"}");
    g_autoptr(BbDockerClient) client = bb_docker_client_new(fake->path);
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) reply =
        bb_docker_client_call(client, "POST", "/networks/create", NULL, NULL, NULL, &error);
    g_assert_null(reply);
    g_assert_error(error, BB_ERROR, BB_ERROR_FAILED);
    g_assert_nonnull(strstr(error->message, "409 name already in use"));
    fake_engine_free(fake);
}

static void
test_hostile_answers(void)
{
    const gchar *answers[] = {
        "SSH-2.0-OpenSSH_9.2\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffff\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort",
        "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
    };
    for (gsize i = 0; i < G_N_ELEMENTS(answers); i++) {
        FakeEngine *fake = fake_engine_new(answers[i]);
        g_autoptr(BbDockerClient) client = bb_docker_client_new(fake->path);
        g_autoptr(GError) error = NULL;
        guint status = 0;
        g_autoptr(GBytes) body =
            bb_docker_client_request(client, "GET", "/info", NULL, NULL, &status, NULL, &error);
        g_assert_null(body);
        g_assert_nonnull(error);
        fake_engine_free(fake);
    }
}

static void
test_docker_host(void)
{
    g_autoptr(GError) error = NULL;
    g_setenv("DOCKER_HOST", "tcp://192.0.2.1:2375", TRUE);
    g_autoptr(BbDockerClient) tcp = bb_docker_client_new_from_env(&error);
    g_assert_null(tcp);
    g_assert_error(error, BB_ERROR, BB_ERROR_UNAVAILABLE);
    g_assert_nonnull(strstr(error->message, "unix://"));
    g_setenv("DOCKER_HOST", "unix:///run/user/1000/docker.sock", TRUE);
    g_autoptr(BbDockerClient) rootless = bb_docker_client_new_from_env(NULL);
    g_assert_cmpstr(bb_docker_client_get_socket_path(rootless), ==, "/run/user/1000/docker.sock");
    g_unsetenv("DOCKER_HOST");
    g_autoptr(BbDockerClient) fallback = bb_docker_client_new_from_env(NULL);
    g_assert_cmpstr(bb_docker_client_get_socket_path(fallback), ==, "/var/run/docker.sock");
}

static void
test_available(void)
{
    g_autoptr(GError) error = NULL;
    g_setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock", TRUE);
    g_autoptr(BbDockerBackend) missing = bb_docker_backend_new();
    g_assert_false(bb_backend_is_available(BB_BACKEND(missing), &error));
    g_assert_error(error, BB_ERROR, BB_ERROR_UNAVAILABLE);
    g_assert_nonnull(strstr(error->message, "/nonexistent/docker.sock"));
    g_assert_nonnull(strstr(error->message, "DOCKER_HOST"));
    g_clear_error(&error);
    /* Control: the engine on this machine. */
    g_unsetenv("DOCKER_HOST");
    g_autoptr(BbDockerBackend) present = bb_docker_backend_new();
    g_assert_true(bb_backend_is_available(BB_BACKEND(present), &error));
    g_assert_no_error(error);
}

static void
test_tar_roundtrip(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(BbDockerTar) tar = bb_docker_tar_new();
    g_autoptr(GBytes) data = g_bytes_new_static("payload\n", 8);
    g_autofree gchar *long_dir = g_strnfill(70, 'd');
    g_autofree gchar *long_path = g_strdup_printf("/%s/%s/file.txt", long_dir, long_dir);
    g_assert_true(bb_docker_tar_add_dir(tar, "/etc/app", 0750, 0, 0, &error));
    g_assert_true(bb_docker_tar_add_file(tar, "/etc/app/conf", data, 0640, 0, 0, &error));
    g_assert_true(bb_docker_tar_add_symlink(tar, "/etc/app/link", "conf", &error));
    g_assert_true(bb_docker_tar_add_file(tar, long_path, data, 0600, 0, 0, &error));
    g_assert_true(bb_docker_tar_contains(tar, "etc/app"));
    g_autofree gchar *too_long = g_strnfill(300, 'x');
    g_assert_false(bb_docker_tar_add_file(tar, too_long, data, 0600, 0, 0, &error));
    g_clear_error(&error);
    g_autoptr(GBytes) archive = bb_docker_tar_finish(tar);
    g_assert_cmpuint(g_bytes_get_size(archive) % 512, ==, 0);

    g_autofree gchar *dir = g_dir_make_tmp("bb-tar-XXXXXX", &error);
    g_autofree gchar *archive_path = g_build_filename(dir, "a.tar", NULL);
    g_assert_true(g_file_set_contents(archive_path, g_bytes_get_data(archive, NULL),
                                      g_bytes_get_size(archive), &error));
    g_autofree gchar *root = g_build_filename(dir, "root", NULL);
    g_mkdir(root, 0755);
    const gchar *argv[] = {"tar", "-xpf", archive_path, "-C", root, NULL};
    gint status = -1;
    g_assert_true(g_spawn_sync(NULL, (gchar **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL,
                               NULL, &status, &error));
    g_assert_true(g_spawn_check_wait_status(status, &error));
    g_autofree gchar *conf = g_build_filename(root, "etc/app/conf", NULL);
    g_autofree gchar *contents = NULL;
    g_assert_true(g_file_get_contents(conf, &contents, NULL, &error));
    g_assert_cmpstr(contents, ==, "payload\n");
    GStatBuf st;
    g_assert_cmpint(g_stat(conf, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 0777, ==, 0640);
    g_autofree gchar *link = g_build_filename(root, "etc/app/link", NULL);
    g_autofree gchar *target = g_file_read_link(link, &error);
    g_assert_cmpstr(target, ==, "conf");
    g_autofree gchar *long_file = g_build_filename(root, long_path, NULL);
    g_assert_true(g_file_test(long_file, G_FILE_TEST_IS_REGULAR));
}

static void
test_shared_libraries(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree gchar *interpreter = NULL;
    g_autoptr(GPtrArray) libraries = bb_docker_shared_libraries("/bin/sh", &interpreter, &error);
    g_assert_no_error(error);
    gboolean has_libc = FALSE;
    for (guint i = 0; i < libraries->len; i++) {
        const gchar *library = g_ptr_array_index(libraries, i);
        g_assert_true(g_path_is_absolute(library));
        g_assert_null(strstr(library, "ld-linux"));
        has_libc |= strstr(library, "libc.so") != NULL;
    }
    g_assert_true(has_libc);
    g_assert_nonnull(strstr(interpreter, "ld-linux"));
    /* Control: a static or non-ELF file needs nothing. */
    g_autofree gchar *none = NULL;
    g_autoptr(GPtrArray) empty = bb_docker_shared_libraries("/etc/hostname", &none, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(empty->len, ==, 0);
    g_assert_null(none);
}

static void
test_subnets(void)
{
    g_assert_true(bb_docker_subnets_overlap("172.17.0.0/16", "172.17.5.0/24"));
    g_assert_true(bb_docker_subnets_overlap("172.20.3.0/24", "172.16.0.0/12"));
    g_assert_false(bb_docker_subnets_overlap("172.20.3.0/24", "172.20.4.0/24"));
    g_assert_false(bb_docker_subnets_overlap("10.0.0.0/8", "172.16.0.0/12"));
    g_assert_true(bb_docker_subnets_overlap("garbage", "172.16.0.0/12"));
    /* With all of 172.16/12 but one /24 taken, that /24 is the answer. */
    g_autoptr(GPtrArray) used = g_ptr_array_new_with_free_func(g_free);
    for (guint second = 16; second < 32; second++)
        for (guint third = 0; third < 256; third++)
            if (!(second == 29 && third == 77))
                g_ptr_array_add(used, g_strdup_printf("172.%u.%u.0/24", second, third));
    g_autoptr(GError) error = NULL;
    g_autofree gchar *picked = bb_docker_subnet_pick_free(used, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(picked, ==, "172.29.77.0/24");
    g_ptr_array_add(used, g_strdup("172.29.77.0/24"));
    g_clear_error(&error);
    g_autofree gchar *none = bb_docker_subnet_pick_free(used, &error);
    g_assert_null(none);
    g_assert_error(error, BB_ERROR, BB_ERROR_FAILED);
    g_autofree gchar *address = bb_docker_subnet_address("172.29.77.0/24", 2);
    g_assert_cmpstr(address, ==, "172.29.77.2");
}

static void
test_owner_alive(void)
{
    g_autofree gchar *self = g_strdup_printf("%d", (int)getpid());
    g_assert_true(bb_docker_owner_alive(self, NULL));
    /* Same PID, another start time: a reused PID, the owner is gone. */
    g_assert_false(bb_docker_owner_alive(self, "0"));
    g_assert_false(bb_docker_owner_alive("not-a-pid", NULL));
    g_assert_false(bb_docker_owner_alive(NULL, NULL));
    /* A PID beyond pid_max exists nowhere. */
    g_assert_false(bb_docker_owner_alive("2147483646", NULL));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_test_add_func("/docker/client/chunked-json", test_chunked_json);
    g_test_add_func("/docker/client/error-message", test_error_message);
    g_test_add_func("/docker/client/hostile-answers", test_hostile_answers);
    g_test_add_func("/docker/client/docker-host", test_docker_host);
    g_test_add_func("/docker/backend/available", test_available);
    g_test_add_func("/docker/tar/roundtrip", test_tar_roundtrip);
    g_test_add_func("/docker/image/shared-libraries", test_shared_libraries);
    g_test_add_func("/docker/subnet/pick", test_subnets);
    g_test_add_func("/docker/cleanup/owner-alive", test_owner_alive);
    return g_test_run();
}
