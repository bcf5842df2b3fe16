/* Shared set-up of the proxy integration tests (see the .c file). */
#pragma once

#include "bb-egress-server.h"
#include "bb-test-client.h"
#include "bb-test-upstream.h"

G_BEGIN_DECLS

#define SECRET "s3cr3t-T0KEN-abcdef0123456789"
#define AGENT_TOKEN "agent-supplied-token"

typedef struct {
    BbTestUpstream *https;
    BbTestUpstream *http;
    BbTestUpstream *untrusted; /* its own CA, which the proxy does not trust */
    BbTestUpstream *misnamed;  /* trusted CA, certificate for another name */
    BbEgressServer *server;
    guint16 port;
    gchar *proxy_ca;
    gchar *audit_path;
    GMutex lock;
    GPtrArray *lookups;
    BbRegistry *registry;
    GHashTable *secrets;
} BbTestProxyFixture;

extern BbTestProxyFixture F;

/* Starts everything; @scanner may be NULL. */
void setup_fixture(const BbEgressScanner *scanner);
/* Clears the upstream logs and the lookup record before a case. */
void reset(void);
gboolean was_looked_up(const gchar *host);
BbEgressPolicy *make_policy(gboolean with_extra);
guint https_port(void);
/* A bumped tunnel to @host on the fixture's port, verified against the
 * bottle CA. */
BbTestConn *tunnel(const gchar *host);
/* Sends @raw through a fresh tunnel and reads one response. */
BbTestResponse *via_tunnel(const gchar *host, const gchar *raw);
/* "METHOD PATH HTTP/1.1" with Host host:port and @extra header lines. */
gchar *req(const gchar *method, const gchar *host, const gchar *path, const gchar *extra);
/* A 403 with the block code header, text/plain, and the how-to-ask text. */
void assert_blocked(BbTestResponse *r, const gchar *code);

G_END_DECLS
