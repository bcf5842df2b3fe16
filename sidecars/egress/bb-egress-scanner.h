/* Scan points: where content inspection (the DLP work) plugs into the
 * proxy. The proxy calls each hook, when set, with what it is about to
 * forward, before forwarding it. A BLOCK verdict stops that exchange:
 * before the upstream request it becomes a 403 for the agent; during a
 * body it aborts the transfer (the upstream or agent connection is
 * closed, never reused). Hooks run on the connection's thread and may
 * be called concurrently for different exchanges. */
#pragma once

#include <glib.h>
#include "bb-http-parser.h"
#include "bb-route.h"

G_BEGIN_DECLS

typedef enum {
    BB_SCAN_ALLOW,
    BB_SCAN_BLOCK,
    /* Body hooks only: forward exchange->replacement instead of the
     * bytes given (redaction). A fixed-length body must keep its
     * length, or the exchange is blocked; chunked bodies may change. */
    BB_SCAN_REPLACE,
} BbScanVerdict;

/* One request/response pair as the scanner sees it. */
typedef struct {
    const BbRoute *route;
    const gchar *host;   /* canonical */
    const gchar *method; /* NUL-terminated copy */
    const gchar *path;   /* normalised, without query */
    const gchar *query;  /* raw, or NULL */
    const BbHttpHead *request;
    const BbHttpHead *response; /* NULL until the response head arrived */
    gpointer scanner_data;      /* the scanner's per-exchange state */
    gchar *block_rule;          /* set (g_strdup) by a hook that blocks */
    GBytes *replacement;        /* set by a body hook returning BB_SCAN_REPLACE */
    /* Set by request_head (appended fields): */
    const gchar *block_code;  /* static; X-Bot-Bottle-Block instead of "scanner" */
    gchar *audit_detail;      /* extra audit text (rule ids, fingerprints; never values) */
    gchar *rewritten_target;  /* origin-form target to send instead, or NULL */
    gchar **rewritten_values; /* request->n_fields entries; non-NULL ones replace values */
    /* Hold the whole request body (up to hold_cap bytes, more is a block)
     * and call request_body once with it and last=TRUE before anything
     * is sent upstream: no prefix of a secret leaves early. */
    gboolean hold_request_body;
    gsize hold_cap;
    /* Set by request_body with BB_SCAN_REPLACE: the replacement is no
     * longer in the request's Content-Encoding (send it as identity). */
    gboolean replacement_is_identity;
    /* Set by request_head when the path itself holds a finding: what the
     * audit line and the 403 show instead of the path. */
    gchar *redacted_path;
} BbEgressExchange;

typedef struct {
    gpointer user_data;
    BbScanVerdict (*request_head)(gpointer user_data, BbEgressExchange *exchange);
    /* Decoded body bytes (chunk framing removed); @last on the final call. */
    BbScanVerdict (*request_body)(gpointer user_data, BbEgressExchange *exchange, const gchar *data,
                                  gsize len, gboolean last);
    BbScanVerdict (*response_head)(gpointer user_data, BbEgressExchange *exchange);
    BbScanVerdict (*response_body)(gpointer user_data, BbEgressExchange *exchange,
                                   const gchar *data, gsize len, gboolean last);
    /* Always called once per exchange that reached request_head. */
    void (*exchange_done)(gpointer user_data, BbEgressExchange *exchange);
} BbEgressScanner;

G_END_DECLS
