/* The "fake internet" upstream of the Docker end-to-end tests, and the
 * stand-in sidecar until the real one is wired in. It logs every TCP
 * connection (peer and first line) and every DNS query it receives to
 * stdout, so tests judge an attack at its destination.
 *
 *   bb-test-fixture [--secrets FILE] [--ca-cert FILE] [other sidecar options]
 *
 * Listens on TCP 80, 443 (TLS, a self-signed certificate for
 * api.fixture.test and other.fixture.test printed to the log) and 9099,
 * answering "HTTP/1.1 200" with body "fixture", and on UDP 53 (answers
 * REFUSED). As the stand-in sidecar it takes the real
 * sidecar's command line: it reads the secrets JSON object from --secrets
 * and logs the SHA-256 of each value (never the value), and writes a CA
 * certificate to --ca-cert. */
#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <string.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
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

/* Reads a request head (bounded) from @read_some; returns it. */
typedef gssize (*ReadFunc)(gpointer source, gchar *buffer, gsize size);

static GString *
read_head(ReadFunc read_some, gpointer source)
{
    GString *head = g_string_new(NULL);
    gchar buffer[4096];
    while (head->len < 65536 && strstr(head->str, "\r\n\r\n") == NULL) {
        gssize got = read_some(source, buffer, sizeof buffer);
        if (got <= 0)
            break;
        g_string_append_len(head, buffer, got);
    }
    return head;
}

static void
log_request(const gchar *peer, guint port, const GString *head)
{
    g_auto(GStrv) lines = g_strsplit(head->str, "\r\n", -1);
    log_line("TCP %s port=%u %s", peer, port, lines[0] != NULL ? lines[0] : "");
    for (gchar **line = lines; *line != NULL && **line != '\0'; line++) {
        /* Credentials are logged as hashes: tests compare, nobody reads them. */
        if (g_ascii_strncasecmp(*line, "Authorization:", 14) == 0) {
            g_autofree gchar *value = g_strstrip(g_strdup(*line + 14));
            g_autofree gchar *hash = g_compute_checksum_for_string(G_CHECKSUM_SHA256, value, -1);
            log_line("AUTH %s sha256=%s", peer, hash);
        }
    }
}

static const gchar fixture_reply[] = "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n"
                                     "Connection: close\r\n\r\nfixture\n";

static gssize
read_socket(gpointer source, gchar *buffer, gsize size)
{
    return g_socket_receive(source, buffer, size, NULL, NULL);
}

static gssize
read_tls(gpointer source, gchar *buffer, gsize size)
{
    return SSL_read(source, buffer, (int)size);
}

static SSL_CTX *tls_context;

static gboolean
on_connection(GThreadedSocketService *service, GSocketConnection *connection, GObject *source,
              gpointer user_data)
{
    g_autofree gchar *peer = peer_of(connection);
    GSocket *socket = g_socket_connection_get_socket(connection);
    g_socket_set_timeout(socket, 5);
    g_autoptr(GSocketAddress) local = g_socket_connection_get_local_address(connection, NULL);
    guint port = local != NULL && G_IS_INET_SOCKET_ADDRESS(local)
                     ? g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(local))
                     : 0;
    if (port != 443) {
        g_autoptr(GString) head = read_head(read_socket, socket);
        log_request(peer, port, head);
        g_socket_send(socket, fixture_reply, sizeof fixture_reply - 1, NULL, NULL);
        return TRUE;
    }
    /* GSocket keeps its fd non-blocking; OpenSSL here wants plain
     * blocking I/O, bounded by a receive timeout. */
    gint fd = g_socket_get_fd(socket);
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    struct timeval timeout = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    SSL *tls = SSL_new(tls_context);
    SSL_set_fd(tls, fd);
    if (SSL_accept(tls) == 1) {
        g_autoptr(GString) head = read_head(read_tls, tls);
        log_request(peer, port, head);
        SSL_write(tls, fixture_reply, sizeof fixture_reply - 1);
        SSL_shutdown(tls);
    } else {
        log_line("TLS %s handshake failed", peer);
    }
    SSL_free(tls);
    return TRUE;
}

/* A server certificate for the TLS port; its PEM goes to the log so the
 * test can hand it to the proxy as the upstream CA. */
static gboolean
setup_tls(void)
{
    g_autofree gchar *cert = NULL;
    g_autofree gchar *key = NULL;
    g_autoptr(GError) error = NULL;
    if (!bb_test_server_cert_generate(
            "api.fixture.test,other.fixture.test,api.anthropic.com,api.openai.com", &cert, &key,
            &error)) {
        log_line("TLS setup failed: %s", error->message);
        return FALSE;
    }
    tls_context = SSL_CTX_new(TLS_server_method());
    BIO *cert_bio = BIO_new_mem_buf(cert, -1);
    BIO *key_bio = BIO_new_mem_buf(key, -1);
    X509 *x509 = PEM_read_bio_X509(cert_bio, NULL, NULL, NULL);
    EVP_PKEY *pkey = PEM_read_bio_PrivateKey(key_bio, NULL, NULL, NULL);
    gboolean ok = x509 != NULL && pkey != NULL && SSL_CTX_use_certificate(tls_context, x509) == 1 &&
                  SSL_CTX_use_PrivateKey(tls_context, pkey) == 1;
    X509_free(x509);
    EVP_PKEY_free(pkey);
    BIO_free(cert_bio);
    BIO_free(key_bio);
    if (ok)
        log_line("UPSTREAM-CA-BEGIN\n%sUPSTREAM-CA-END", cert);
    return ok;
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

/* As a stand-in sidecar: the launch document (bb-sidecar-launch.h) from
 * stdin; what its "secrets" hold is logged as hashes. */
static void
read_secrets(const gchar *path)
{
    g_autofree gchar *text = NULL;
    gsize length = 0;
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonParser) parser = json_parser_new();
    const gchar *source = g_str_equal(path, "-") ? "/dev/stdin" : path;
    if (!g_file_get_contents(source, &text, &length, &error) ||
        !json_parser_load_from_data(parser, text, length, &error) ||
        !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
        log_line("SECRETS unreadable: %s", error != NULL ? error->message : "not an object");
        return;
    }
    JsonObject *root = json_node_get_object(json_parser_get_root(parser));
    JsonObject *secrets = json_object_has_member(root, "secrets")
                              ? json_object_get_object_member(root, "secrets")
                              : root;
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
    g_autofree gchar *encoded = g_base64_encode((const guchar *)cert, strlen(cert));
    log_line("CA written");
    log_line("bb-sidecar: ca %s", encoded);
}

int
main(int argc, char **argv)
{
    const gchar *launch = NULL;
    /* As a stand-in sidecar image: nothing to compile. */
    for (int i = 1; i < argc; i++) {
        if (g_str_equal(argv[i], "--precompile-dlp"))
            return 0;
    }
    for (int i = 1; i + 1 < argc; i++) {
        if (g_str_equal(argv[i], "--secrets") || g_str_equal(argv[i], "--launch-config"))
            launch = argv[i + 1];
        else if (g_str_equal(argv[i], "--ca-cert"))
            write_ca(argv[i + 1]);
    }
    /* Like the real sidecar: CA first, then the document. */
    if (launch != NULL)
        read_secrets(launch);
    if (!setup_tls())
        return 1;
    g_autoptr(GSocketService) service = g_threaded_socket_service_new(16);
    const guint ports[] = {80, 443, 9099};
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
    log_line("stand-in sidecar ready on port 9099");
    g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
    g_main_loop_run(loop);
    return 0;
}
