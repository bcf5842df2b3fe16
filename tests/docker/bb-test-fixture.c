/* The "fake internet" upstream of the Docker end-to-end tests, and the
 * stand-in sidecar until the real one is wired in. It logs every TCP
 * connection (peer and first line) and every DNS query it receives to
 * stdout, so tests judge an attack at its destination.
 *
 *   bb-test-fixture [--secrets FILE] [--ca-cert FILE] [other sidecar options]
 *
 * Listens on TCP 80 and 9099 (answers "HTTP/1.1 200" with body "fixture")
 * and UDP 53 (answers REFUSED). As the stand-in sidecar it takes the real
 * sidecar's command line: it reads the secrets JSON object from --secrets
 * and logs the SHA-256 of each value (never the value), and writes a CA
 * certificate to --ca-cert. */
#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>
#include "bb-test-ca.h"

static void log_line(const gchar *format, ...) G_GNUC_PRINTF(1, 2);

static void
log_line(const gchar *format, ...)
{
    static GMutex lock;
    va_list args;
    va_start(args, format);
    g_mutex_lock(&lock);
    vprintf(format, args);
    putchar('\n');
    fflush(stdout);
    g_mutex_unlock(&lock);
    va_end(args);
}

static gchar *
peer_of(GSocketConnection *connection)
{
    g_autoptr(GSocketAddress) address = g_socket_connection_get_remote_address(connection, NULL);
    if (address == NULL || !G_IS_INET_SOCKET_ADDRESS(address))
        return g_strdup("?");
    return g_inet_address_to_string(
        g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(address)));
}

static gboolean
on_connection(GThreadedSocketService *service, GSocketConnection *connection, GObject *source,
              gpointer user_data)
{
    g_autofree gchar *peer = peer_of(connection);
    g_autoptr(GDataInputStream) in =
        g_data_input_stream_new(g_io_stream_get_input_stream(G_IO_STREAM(connection)));
    g_socket_set_timeout(g_socket_connection_get_socket(connection), 5);
    g_autofree gchar *first = g_data_input_stream_read_line(in, NULL, NULL, NULL);
    if (first != NULL)
        g_strchomp(first);
    g_autoptr(GSocketAddress) local = g_socket_connection_get_local_address(connection, NULL);
    guint port = local != NULL && G_IS_INET_SOCKET_ADDRESS(local)
                     ? g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(local))
                     : 0;
    log_line("TCP %s port=%u %s", peer, port, first != NULL ? first : "");
    for (;;) {
        g_autofree gchar *line = g_data_input_stream_read_line(in, NULL, NULL, NULL);
        if (line == NULL || *g_strchomp(line) == '\0')
            break;
        /* Credentials are logged as hashes: tests compare, nobody reads them. */
        if (g_ascii_strncasecmp(line, "Authorization:", 14) == 0) {
            g_autofree gchar *hash =
                g_compute_checksum_for_string(G_CHECKSUM_SHA256, g_strstrip(line + 14), -1);
            log_line("AUTH %s sha256=%s", peer, hash);
        }
    }
    static const gchar reply[] = "HTTP/1.1 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n"
                                 "\r\nfixture\n";
    g_output_stream_write_all(g_io_stream_get_output_stream(G_IO_STREAM(connection)), reply,
                              sizeof reply - 1, NULL, NULL, NULL);
    return TRUE;
}

static gchar *
dns_question_name(const guint8 *packet, gsize length)
{
    g_autoptr(GString) name = g_string_new(NULL);
    gsize offset = 12;
    while (offset < length && packet[offset] != 0) {
        guint label = packet[offset++];
        if (label > 63 || offset + label > length)
            return g_strdup("<malformed>");
        if (name->len > 0)
            g_string_append_c(name, '.');
        g_string_append_len(name, (const gchar *)packet + offset, label);
        offset += label;
    }
    return g_string_free(g_steal_pointer(&name), FALSE);
}

static gpointer
serve_dns(gpointer data)
{
    GSocket *socket = data;
    for (;;) {
        guint8 packet[1500];
        g_autoptr(GSocketAddress) from = NULL;
        gssize got =
            g_socket_receive_from(socket, &from, (gchar *)packet, sizeof packet, NULL, NULL);
        if (got < 12)
            continue;
        g_autofree gchar *name = dns_question_name(packet, got);
        g_autofree gchar *peer = g_inet_address_to_string(
            g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(from)));
        log_line("DNS %s %s", peer, name);
        packet[2] |= 0x80;                  /* response */
        packet[3] = (packet[3] & 0xf0) | 5; /* REFUSED */
        g_socket_send_to(socket, from, (const gchar *)packet, got, NULL, NULL);
    }
    return NULL;
}

static void
read_secrets(const gchar *path)
{
    g_autofree gchar *text = NULL;
    gsize length = 0;
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonParser) parser = json_parser_new();
    if (!g_file_get_contents(path, &text, &length, &error) ||
        !json_parser_load_from_data(parser, text, length, &error) ||
        !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
        log_line("SECRETS unreadable: %s", error != NULL ? error->message : "not an object");
        return;
    }
    JsonObject *secrets = json_node_get_object(json_parser_get_root(parser));
    g_autoptr(GList) names = json_object_get_members(secrets);
    for (GList *l = names; l != NULL; l = l->next) {
        const gchar *value = json_object_get_string_member(secrets, l->data);
        g_autofree gchar *hash = g_compute_checksum_for_string(G_CHECKSUM_SHA256, value, -1);
        log_line("SECRET %s sha256=%s", (const gchar *)l->data, hash);
    }
    log_line("SECRETS %u", g_list_length(names));
}

static void
write_ca(const gchar *path)
{
    g_autofree gchar *cert = NULL;
    g_autofree gchar *key = NULL;
    g_autoptr(GError) error = NULL;
    if (!bb_test_ca_generate("stand-in sidecar", &cert, &key, &error) ||
        !g_file_set_contents(path, cert, -1, &error)) {
        log_line("CA failed: %s", error->message);
        return;
    }
    log_line("CA written");
}

int
main(int argc, char **argv)
{
    for (int i = 1; i + 1 < argc; i++) {
        if (g_str_equal(argv[i], "--secrets"))
            read_secrets(argv[i + 1]);
        else if (g_str_equal(argv[i], "--ca-cert"))
            write_ca(argv[i + 1]);
    }
    g_autoptr(GSocketService) service = g_threaded_socket_service_new(16);
    const guint ports[] = {80, 9099};
    for (gsize i = 0; i < G_N_ELEMENTS(ports); i++) {
        g_autoptr(GError) error = NULL;
        if (!g_socket_listener_add_inet_port(G_SOCKET_LISTENER(service), ports[i], NULL, &error)) {
            log_line("LISTEN %u failed: %s", ports[i], error->message);
            return 1;
        }
    }
    g_signal_connect(service, "run", G_CALLBACK(on_connection), NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(GSocket) dns =
        g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_DATAGRAM, G_SOCKET_PROTOCOL_UDP, &error);
    g_autoptr(GInetAddress) any = g_inet_address_new_any(G_SOCKET_FAMILY_IPV4);
    g_autoptr(GSocketAddress) address = g_inet_socket_address_new(any, 53);
    if (dns == NULL || !g_socket_bind(dns, address, TRUE, &error)) {
        log_line("LISTEN 53 failed: %s", error->message);
        return 1;
    }
    g_thread_unref(g_thread_new("dns", serve_dns, dns));
    log_line("READY");
    g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
    g_main_loop_run(loop);
    return 0;
}
