#include "bb-demo-upstream.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <openssl/pem.h>
#include <string.h>

#include "bb-egress-ca.h"
#include "bb-error.h"

#define BB_DEMO_MAX_HEAD 16384
#define BB_DEMO_MAX_BODY 65536

struct _BbDemoUpstream {
    GThread *thread;
    GMainContext *context;
    GMainLoop *loop;
    GSocketService *service;
    GTlsCertificate *certificate;
    gchar *ca_pem;
    gchar *address;
    GMutex lock;
    GPtrArray *requests; /* of BbDemoRequest */
};

static void
bb_demo_request_free(BbDemoRequest *request)
{
    g_free(request->request_line);
    g_free(request->authorization);
    g_free(request->body);
    g_free(request);
}

/* docker0's address when Docker's default bridge exists (every container
 * can reach it), else the first non-loopback IPv4 address that is up. */
static gchar *
bb_demo_host_address(GError **error)
{
    struct ifaddrs *list = NULL;
    if (getifaddrs(&list) != 0) {
        g_set_error(error, BB_ERROR, BB_ERROR_UNAVAILABLE, "cannot list network interfaces");
        return NULL;
    }
    gchar *docker0 = NULL, *other = NULL;
    for (struct ifaddrs *it = list; it != NULL; it = it->ifa_next) {
        if (it->ifa_addr == NULL || it->ifa_addr->sa_family != AF_INET ||
            (it->ifa_flags & IFF_UP) == 0 || (it->ifa_flags & IFF_LOOPBACK) != 0)
            continue;
        gchar text[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &((struct sockaddr_in *)it->ifa_addr)->sin_addr, text, sizeof text);
        if (g_str_equal(it->ifa_name, "docker0") && docker0 == NULL)
            docker0 = g_strdup(text);
        else if (other == NULL)
            other = g_strdup(text);
    }
    freeifaddrs(list);
    if (docker0 != NULL) {
        g_free(other);
        return docker0;
    }
    if (other == NULL)
        g_set_error(error, BB_ERROR, BB_ERROR_UNAVAILABLE,
                    "no non-loopback IPv4 address for the demo upstream; is the Docker engine "
                    "running (docker0)?");
    return other;
}

static gchar *
bb_demo_pem_of(X509 *cert, EVP_PKEY *key)
{
    BIO *bio = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(bio, cert);
    if (key != NULL)
        PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL);
    char *data = NULL;
    long length = BIO_get_mem_data(bio, &data);
    gchar *pem = g_strndup(data, length);
    BIO_free(bio);
    return pem;
}

static GTlsCertificate *
bb_demo_certificate(const gchar *host_name, gchar **ca_pem, GError **error)
{
    g_autoptr(BbEgressCa) ca = bb_egress_ca_new("bot-bottle demo upstream CA", error);
    if (ca == NULL)
        return NULL;
    X509 *leaf = bb_egress_ca_get_leaf(ca, host_name, error);
    if (leaf == NULL)
        return NULL;
    g_autofree gchar *leaf_pem = bb_demo_pem_of(leaf, bb_egress_ca_get_leaf_key(ca));
    X509_free(leaf);
    *ca_pem = bb_egress_ca_get_cert_pem(ca);
    return g_tls_certificate_new_from_pem(leaf_pem, -1, error);
}

static gchar *
bb_demo_header(const gchar *head, const gchar *name)
{
    g_auto(GStrv) lines = g_strsplit(head, "\r\n", -1);
    gsize length = strlen(name);
    for (gchar **line = lines + 1; *line != NULL && **line != '\0'; line++)
        if (g_ascii_strncasecmp(*line, name, length) == 0 && (*line)[length] == ':')
            return g_strstrip(g_strdup(*line + length + 1));
    return NULL;
}

/* One request per connection: read the head and a bounded body, record
 * them, answer 200. */
static void
bb_demo_serve(BbDemoUpstream *self, GIOStream *tls)
{
    GInputStream *in = g_io_stream_get_input_stream(tls);
    g_autoptr(GString) head = g_string_new(NULL);
    gchar buffer[4096];
    const gchar *end = NULL;
    while (head->len < BB_DEMO_MAX_HEAD && (end = strstr(head->str, "\r\n\r\n")) == NULL) {
        gssize got = g_input_stream_read(in, buffer, sizeof buffer, NULL, NULL);
        if (got <= 0)
            return;
        g_string_append_len(head, buffer, got);
    }
    if (end == NULL)
        return;
    gsize head_length = end - head->str + 4;
    g_autofree gchar *content_length = bb_demo_header(head->str, "Content-Length");
    guint64 want = 0;
    if (content_length != NULL)
        g_ascii_string_to_unsigned(content_length, 10, 0, BB_DEMO_MAX_BODY, &want, NULL);
    g_autoptr(GString) body = g_string_new_len(head->str + head_length, head->len - head_length);
    while (body->len < want) {
        gssize got =
            g_input_stream_read(in, buffer, MIN(sizeof buffer, want - body->len), NULL, NULL);
        if (got <= 0)
            break;
        g_string_append_len(body, buffer, got);
    }
    BbDemoRequest *request = g_new0(BbDemoRequest, 1);
    const gchar *eol = strstr(head->str, "\r\n");
    request->request_line = g_strndup(head->str, eol - head->str);
    request->authorization = bb_demo_header(head->str, "Authorization");
    request->body = g_strdup(body->str);
    g_mutex_lock(&self->lock);
    g_ptr_array_add(self->requests, request);
    g_mutex_unlock(&self->lock);
    static const gchar body_text[] = "{\"hello\": \"from the demo's fixture upstream\"}\n";
    g_autofree gchar *reply =
        g_strdup_printf("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                        strlen(body_text), body_text);
    g_output_stream_write_all(g_io_stream_get_output_stream(tls), reply, strlen(reply), NULL, NULL,
                              NULL);
}

/* Served one at a time on the upstream's own thread: the demo's agent
 * sends one request after another, and no worker pool outlives stop(). */
static gboolean
bb_demo_on_incoming(GSocketService *service, GSocketConnection *connection, GObject *source_object,
                    gpointer user_data)
{
    BbDemoUpstream *self = user_data;
    g_autoptr(GIOStream) tls =
        g_tls_server_connection_new(G_IO_STREAM(connection), self->certificate, NULL);
    if (tls == NULL)
        return TRUE;
    GSocket *socket = g_socket_connection_get_socket(connection);
    g_socket_set_timeout(socket, 10);
    if (g_tls_connection_handshake(G_TLS_CONNECTION(tls), NULL, NULL))
        bb_demo_serve(self, tls);
    g_io_stream_close(tls, NULL, NULL);
    return TRUE;
}

static gpointer
bb_demo_thread(gpointer data)
{
    BbDemoUpstream *self = data;
    g_main_context_push_thread_default(self->context);
    g_main_loop_run(self->loop);
    g_main_context_pop_thread_default(self->context);
    return NULL;
}

BbDemoUpstream *
bb_demo_upstream_start(const gchar *host_name, GError **error)
{
    g_autofree gchar *ip = bb_demo_host_address(error);
    if (ip == NULL)
        return NULL;
    BbDemoUpstream *self = g_new0(BbDemoUpstream, 1);
    g_mutex_init(&self->lock);
    self->requests = g_ptr_array_new_with_free_func((GDestroyNotify)bb_demo_request_free);
    self->context = g_main_context_new();
    self->loop = g_main_loop_new(self->context, FALSE);
    self->certificate = bb_demo_certificate(host_name, &self->ca_pem, error);
    if (self->certificate == NULL) {
        bb_demo_upstream_stop(self);
        return NULL;
    }
    /* Created with the thread's context as default so accepts run there. */
    g_main_context_push_thread_default(self->context);
    self->service = g_socket_service_new();
    g_autoptr(GInetAddress) inet = g_inet_address_new_from_string(ip);
    g_autoptr(GSocketAddress) bind = g_inet_socket_address_new(inet, 0);
    g_autoptr(GSocketAddress) bound = NULL;
    gboolean ok =
        g_socket_listener_add_address(G_SOCKET_LISTENER(self->service), bind, G_SOCKET_TYPE_STREAM,
                                      G_SOCKET_PROTOCOL_TCP, NULL, &bound, error);
    g_main_context_pop_thread_default(self->context);
    if (!ok) {
        g_prefix_error(error, "Starting the demo upstream on %s: ", ip);
        bb_demo_upstream_stop(self);
        return NULL;
    }
    self->address =
        g_strdup_printf("%s:%u", ip, g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound)));
    g_signal_connect(self->service, "incoming", G_CALLBACK(bb_demo_on_incoming), self);
    self->thread = g_thread_new("bb-demo-upstream", bb_demo_thread, self);
    return self;
}

static gboolean
bb_demo_quit(gpointer data)
{
    g_main_loop_quit(data);
    return G_SOURCE_REMOVE;
}

void
bb_demo_upstream_stop(BbDemoUpstream *self)
{
    if (self == NULL)
        return;
    if (self->service != NULL)
        g_socket_service_stop(self->service);
    if (self->thread != NULL) {
        g_main_context_invoke(self->context, bb_demo_quit, self->loop);
        g_thread_join(self->thread);
    }
    if (self->service != NULL) {
        g_socket_listener_close(G_SOCKET_LISTENER(self->service));
        g_object_unref(self->service);
    }
    g_clear_object(&self->certificate);
    g_main_loop_unref(self->loop);
    g_main_context_unref(self->context);
    g_ptr_array_unref(self->requests);
    g_mutex_clear(&self->lock);
    g_free(self->ca_pem);
    g_free(self->address);
    g_free(self);
}

const gchar *
bb_demo_upstream_get_address(BbDemoUpstream *self)
{
    return self->address;
}

const gchar *
bb_demo_upstream_get_ca_pem(BbDemoUpstream *self)
{
    return self->ca_pem;
}

GPtrArray *
bb_demo_upstream_get_requests(BbDemoUpstream *self)
{
    GPtrArray *copy = g_ptr_array_new_with_free_func((GDestroyNotify)bb_demo_request_free);
    g_mutex_lock(&self->lock);
    for (guint i = 0; i < self->requests->len; i++) {
        const BbDemoRequest *r = g_ptr_array_index(self->requests, i);
        BbDemoRequest *c = g_new0(BbDemoRequest, 1);
        c->request_line = g_strdup(r->request_line);
        c->authorization = g_strdup(r->authorization);
        c->body = g_strdup(r->body);
        g_ptr_array_add(copy, c);
    }
    g_mutex_unlock(&self->lock);
    return copy;
}
