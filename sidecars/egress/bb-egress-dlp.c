/* DLP at the proxy's scan points. Decisions, and why:
 * - Outbound, the agent's request is scanned as the agent sent it,
 *   before the proxy injects the route's credential: the injected value
 *   is never a finding, while the same value sent by the agent is (it is
 *   a known secret). Authorization and Proxy-Authorization are skipped:
 *   the proxy always drops them, so they never leave.
 * - Request bodies are held whole (up to hold_cap) and judged once,
 *   before a byte goes upstream, so no prefix of a secret that straddles
 *   chunks leaves early; a bigger body is refused.
 * - Responses stream; each piece is judged before it is forwarded. The
 *   response head waits for the first judged bytes, so a finding there
 *   becomes a clean 403; later findings cut the stream (the agent sees a
 *   truncated body, the audit line says why).
 * - Cannot-scan (unknown or broken Content-Encoding, over a cap, a
 *   detector error) is always a block. */
#include <string.h>

#include "bb-dlp-decompress.h"
#include "bb-dlp-scanner.h"
#include "bb-dlp-stream.h"
#include "bb-egress-dlp.h"
#include "bb-paths.h"

struct _BbEgressDlp {
    BbRegistry *registry;
    gchar *bottle_name;
    gchar *data_dir;
    GPtrArray *known; /* of BbKnownSecret */
    gsize hold_cap;
    gsize max_decoded;
    BbSuperviseQueue *queue;
    GMutex lock;
    GHashTable *scanners; /* selection key -> BbDlpScanner */
};

typedef struct {
    BbDlpScanner *out; /* NULL: outbound scanning off for this route */
    BbDlpScanner *in;
    BbDlpStream *response;
} DlpExchange;

static void
known_secret_free(BbKnownSecret *k)
{
    g_free(k->env_name);
    if (k->value != NULL) {
        explicit_bzero(k->value, strlen(k->value));
        g_free(k->value);
    }
    g_free(k);
}

BbEgressDlp *
bb_egress_dlp_new(BbRegistry *registry, GHashTable *secrets, const BbEgressDlpOptions *o)
{
    BbEgressDlp *self = g_new0(BbEgressDlp, 1);
    GHashTableIter it;
    gpointer name, value;

    self->registry = g_object_ref(registry);
    self->bottle_name = g_strdup(o->bottle_name != NULL ? o->bottle_name : "default");
    self->data_dir = o->data_dir != NULL ? g_strdup(o->data_dir) : bb_data_dir();
    self->hold_cap = o->hold_cap > 0 ? o->hold_cap : BB_EGRESS_DLP_DEFAULT_HOLD_CAP;
    self->max_decoded = o->max_decoded > 0 ? o->max_decoded : BB_EGRESS_DLP_DEFAULT_MAX_DECODED;
    self->queue = bb_supervise_queue_new(
        o->supervise_timeout_ms > 0 ? o->supervise_timeout_ms : BB_EGRESS_DLP_DEFAULT_SUPERVISE_MS);
    self->known = g_ptr_array_new_with_free_func((GDestroyNotify)known_secret_free);
    g_hash_table_iter_init(&it, secrets);
    while (g_hash_table_iter_next(&it, &name, &value)) {
        BbKnownSecret *k = g_new0(BbKnownSecret, 1);
        k->env_name = g_strdup(name);
        k->value = g_strdup(value);
        g_ptr_array_add(self->known, k);
    }
    g_mutex_init(&self->lock);
    self->scanners = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_object_unref);
    return self;
}

void
bb_egress_dlp_free(BbEgressDlp *self)
{
    if (self == NULL)
        return;
    g_hash_table_unref(self->scanners);
    g_mutex_clear(&self->lock);
    g_ptr_array_unref(self->known);
    bb_supervise_queue_free(self->queue);
    g_object_unref(self->registry);
    g_free(self->bottle_name);
    g_free(self->data_dir);
    g_free(self);
}

BbSuperviseQueue *
bb_egress_dlp_get_supervise_queue(BbEgressDlp *self)
{
    return self->queue;
}

/* The detector set a selection names, built once and shared by every
 * route (and reload) naming the same set. NULL without error: off. */
static BbDlpScanner *
scanner_for(BbEgressDlp *self, const BbDlpSelection *sel, BbDetectorDirection dir, GError **error)
{
    g_autofree gchar *names = NULL;
    g_autofree gchar *key = NULL;
    BbDlpScanner *scanner;

    if (!sel->enabled)
        return NULL;
    names = sel->detectors != NULL ? g_strjoinv(",", sel->detectors) : g_strdup("*");
    key = g_strdup_printf("%c:%s", dir == BB_DETECTOR_OUTBOUND ? 'o' : 'i', names);
    g_mutex_lock(&self->lock);
    scanner = g_hash_table_lookup(self->scanners, key);
    if (scanner == NULL) {
        BbDetectorContext ctx = {self->data_dir, self->known};
        scanner = bb_dlp_scanner_new_from_registry(
            self->registry, dir, (const gchar *const *)sel->detectors, &ctx, error);
        if (scanner != NULL)
            g_hash_table_insert(self->scanners, g_steal_pointer(&key), scanner);
    }
    if (scanner != NULL)
        g_object_ref(scanner);
    g_mutex_unlock(&self->lock);
    return scanner;
}

gboolean
bb_egress_dlp_prepare(BbEgressDlp *self, GPtrArray *routes, GError **error)
{
    for (guint i = 0; i < routes->len; i++) {
        BbRoute *route = g_ptr_array_index(routes, i);
        g_autoptr(GError) local = NULL;
        BbDlpScanner *scanner = scanner_for(self, &route->outbound, BB_DETECTOR_OUTBOUND, &local);
        /* built and cached; only the reference is dropped here */
        g_clear_object(&scanner);
        if (local == NULL)
            scanner = scanner_for(self, &route->inbound, BB_DETECTOR_INBOUND, &local);
        g_clear_object(&scanner);
        if (local != NULL) {
            g_propagate_prefixed_error(error, g_steal_pointer(&local),
                                       "route %s: dlp: ", route->host);
            return FALSE;
        }
    }
    return TRUE;
}

/* ---- what a finding says (never the value) ---- */

static const BbFinding *
first_finding(GPtrArray *findings)
{
    return findings != NULL && findings->len > 0 ? g_ptr_array_index(findings, 0) : NULL;
}

static gchar *
finding_rule(const BbFinding *f)
{
    return f != NULL ? g_strdup_printf("%s/%s", f->detector, f->rule_id) : g_strdup("-");
}

static void
add_detail(BbEgressExchange *ex, const gchar *action, const gchar *where, const BbFinding *f)
{
    g_autofree gchar *rule = finding_rule(f);
    g_autofree gchar *item =
        g_strdup_printf("%s %s %s fp=%s", action, where, rule,
                        f != NULL && f->fingerprint != NULL ? f->fingerprint : "-");
    gchar *old = ex->audit_detail;
    ex->audit_detail = old != NULL ? g_strconcat(old, "; ", item, NULL) : g_strdup(item);
    g_free(old);
}

static BbScanVerdict
block(BbEgressExchange *ex, const gchar *code, const gchar *where, const BbFinding *f,
      const gchar *what)
{
    g_autofree gchar *rule = finding_rule(f);
    ex->block_code = code;
    g_free(ex->block_rule);
    if (f != NULL)
        ex->block_rule = g_strdup_printf("%s: %s found in the %s (snippet %s, fingerprint %s); %s",
                                         code, rule, where, f->snippet != NULL ? f->snippet : "-",
                                         f->fingerprint != NULL ? f->fingerprint : "-", what);
    else
        ex->block_rule = g_strdup_printf("%s: the %s could not be scanned; %s", code, where, what);
    add_detail(ex, "block", where, f);
    return BB_SCAN_BLOCK;
}

static BbScanVerdict
cannot_scan(BbEgressExchange *ex, const gchar *where)
{
    return block(ex, "dlp-cannot-scan", where, NULL,
                 "content that cannot be scanned is never forwarded");
}

/* supervise: hold for a decision; nobody answering is a denial. */
static BbScanVerdict
supervise(BbEgressDlp *self, BbEgressExchange *ex, const gchar *where, GPtrArray *findings)
{
    const BbFinding *f = first_finding(findings);
    g_autofree gchar *rule = finding_rule(f);
    BbSuperviseProposal p = {
        .bottle = self->bottle_name,
        .host = (gchar *)ex->host,
        .method = (gchar *)ex->method,
        .path = ex->redacted_path != NULL ? ex->redacted_path : (gchar *)ex->path,
        .rule = rule,
        .snippet = f != NULL ? f->snippet : NULL,
        .fingerprint = f != NULL ? f->fingerprint : NULL,
    };
    guint64 id = bb_supervise_queue_submit(self->queue, &p);
    g_autofree gchar *why = NULL;

    switch (bb_supervise_queue_wait(self->queue, id)) {
    case BB_SUPERVISE_APPROVED:
        add_detail(ex, "approved", where, f);
        return BB_SCAN_ALLOW;
    case BB_SUPERVISE_DENIED:
        return block(ex, "dlp-supervise-denied", where, f,
                     "the request was held for approval and the operator denied it");
    case BB_SUPERVISE_TIMED_OUT:
    default:
        why = g_strdup_printf("the request was held for approval and no one answered within "
                              "%u ms, so it was not sent",
                              bb_supervise_queue_get_timeout(self->queue));
        return block(ex, "dlp-supervise-timeout", where, f, why);
    }
}

/* ---- the request head ---- */

static gboolean
skipped_header(const BbHttpField *f)
{
    /* Host is the route's (matched exactly); the two credential headers
     * are always dropped by the proxy, so they never leave. */
    return bb_http_field_name_is(f, "host") || bb_http_field_name_is(f, "authorization") ||
           bb_http_field_name_is(f, "proxy-authorization");
}

/* Header values as they will be sent (after any rewrite). */
static GPtrArray *
header_values(const BbEgressExchange *ex)
{
    GPtrArray *values = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < ex->request->n_fields; i++) {
        const BbHttpField *f = &ex->request->fields[i];
        if (skipped_header(f))
            continue;
        if (ex->rewritten_values != NULL && ex->rewritten_values[i] != NULL)
            g_ptr_array_add(values, g_strdup(ex->rewritten_values[i]));
        else
            g_ptr_array_add(values, g_strndup(f->value, f->value_len));
    }
    g_ptr_array_add(values, NULL);
    return values;
}

static GPtrArray *
query_values(const gchar *query)
{
    GPtrArray *values = g_ptr_array_new_with_free_func(g_free);
    g_auto(GStrv) pairs = g_strsplit(query != NULL ? query : "", "&", -1);
    for (guint i = 0; pairs[i] != NULL; i++) {
        const gchar *eq = strchr(pairs[i], '=');
        g_ptr_array_add(values, g_strdup(eq != NULL ? eq + 1 : pairs[i]));
    }
    g_ptr_array_add(values, NULL);
    return values;
}

static BbDlpVerdict
worse(BbDlpVerdict a, BbDlpVerdict b)
{
    return MAX(a, b); /* CLEAN < FOUND < CANNOT_SCAN */
}

/* Path, query and header values; *where names the first surface hit. */
static BbDlpVerdict
scan_head(BbDlpScanner *out, const gchar *path, const gchar *query, const BbEgressExchange *ex,
          GPtrArray *findings, const gchar **where)
{
    g_autofree gchar *target = g_strconcat(path, query != NULL ? "?" : "", query, NULL);
    g_autoptr(GPtrArray) qv = query_values(query);
    g_autoptr(GPtrArray) hv = header_values(ex);
    BbDlpVerdict v, all = BB_DLP_VERDICT_CLEAN;

    v = bb_dlp_scanner_scan(out, (const guint8 *)target, strlen(target), findings, NULL);
    if (v != BB_DLP_VERDICT_CLEAN && *where == NULL)
        *where = "path or query";
    all = worse(all, v);
    if (query != NULL) {
        v = bb_dlp_scanner_scan_parts(out, (const gchar *const *)qv->pdata, findings, NULL);
        if (v != BB_DLP_VERDICT_CLEAN && *where == NULL)
            *where = "query";
        all = worse(all, v);
    }
    v = bb_dlp_scanner_scan_parts(out, (const gchar *const *)hv->pdata, findings, NULL);
    if (v != BB_DLP_VERDICT_CLEAN && *where == NULL)
        *where = "request headers";
    return worse(all, v);
}

/* A redacted copy of @text (percent-encoding the marker in targets), or
 * NULL when the scanner cannot redact it. */
static gchar *
redact_text(BbDlpScanner *out, const gchar *text, gboolean in_target)
{
    g_autoptr(GPtrArray) findings = bb_dlp_findings_new();
    g_autoptr(GBytes) red = NULL;
    g_autofree gchar *copy = NULL;
    BbDlpVerdict v = bb_dlp_scanner_scan(out, (const guint8 *)text, strlen(text), findings, NULL);
    gsize len = 0;
    const gchar *data;

    if (v == BB_DLP_VERDICT_CLEAN)
        return g_strdup(text);
    if (v != BB_DLP_VERDICT_FOUND)
        return NULL;
    g_ptr_array_set_size(findings, 0);
    red = bb_dlp_scanner_redact(out, (const guint8 *)text, strlen(text), findings, NULL);
    if (red == NULL)
        return NULL;
    data = g_bytes_get_data(red, &len);
    if (memchr(data, '\0', len) != NULL || memchr(data, '\r', len) != NULL ||
        memchr(data, '\n', len) != NULL)
        return NULL;
    copy = g_strndup(data, len);
    if (in_target) {
        g_auto(GStrv) parts = g_strsplit(copy, "[REDACTED]", -1);
        return g_strjoinv("%5BREDACTED%5D", parts);
    }
    return g_steal_pointer(&copy);
}

/* redact: rewrite the path, query and header values, then judge the
 * rewritten head again (a secret split across values survives piecewise
 * redaction: then block). */
static BbScanVerdict
redact_head(BbDlpScanner *out, BbEgressExchange *ex, const gchar *where, GPtrArray *findings)
{
    const BbFinding *f = first_finding(findings);
    g_autofree gchar *path = redact_text(out, ex->path, TRUE);
    g_autofree gchar *query = ex->query != NULL ? redact_text(out, ex->query, TRUE) : NULL;
    g_autoptr(GPtrArray) again = bb_dlp_findings_new();
    const gchar *where2 = NULL;

    if (path == NULL || (ex->query != NULL && query == NULL))
        return block(ex, "dlp-secret", where, f, "it could not be redacted, so it was not sent");
    ex->rewritten_values = g_new0(gchar *, ex->request->n_fields + 1);
    for (guint i = 0; i < ex->request->n_fields; i++) {
        const BbHttpField *fl = &ex->request->fields[i];
        g_autofree gchar *value = NULL;
        g_autofree gchar *red = NULL;
        if (skipped_header(fl))
            continue;
        value = g_strndup(fl->value, fl->value_len);
        red = redact_text(out, value, FALSE);
        if (red == NULL)
            return block(ex, "dlp-secret", where, f,
                         "it could not be redacted, so it was not sent");
        if (strcmp(red, value) != 0)
            ex->rewritten_values[i] = g_steal_pointer(&red);
    }
    if (scan_head(out, path, query, ex, again, &where2) != BB_DLP_VERDICT_CLEAN)
        return block(ex, "dlp-secret", where, f,
                     "it is still there after redaction (split across values), so it was not "
                     "sent");
    if (strcmp(path, ex->path) != 0 || g_strcmp0(query, ex->query) != 0)
        ex->rewritten_target = g_strconcat(path, query != NULL ? "?" : "", query, NULL);
    if (strcmp(path, ex->path) != 0)
        ex->redacted_path = g_steal_pointer(&path);
    add_detail(ex, "redact", where, f);
    return BB_SCAN_ALLOW;
}

/* The audit line and the 403 must not repeat a path that holds a secret. */
static void
hide_path(BbDlpScanner *out, BbEgressExchange *ex)
{
    g_autoptr(GPtrArray) findings = bb_dlp_findings_new();
    if (bb_dlp_scanner_scan(out, (const guint8 *)ex->path, strlen(ex->path), findings, NULL) !=
        BB_DLP_VERDICT_CLEAN) {
        g_autofree gchar *red = redact_text(out, ex->path, TRUE);
        ex->redacted_path = red != NULL ? g_steal_pointer(&red) : g_strdup("(withheld)");
    }
}

static BbScanVerdict
on_head_finding(BbEgressDlp *self, BbDlpScanner *out, BbEgressExchange *ex, BbDlpVerdict v,
                const gchar *where, GPtrArray *findings, gboolean redactable)
{
    const BbFinding *f = first_finding(findings);
    hide_path(out, ex);
    if (v == BB_DLP_VERDICT_CANNOT_SCAN)
        return cannot_scan(ex, where);
    switch (ex->route->outbound_on_match) {
    case BB_ON_MATCH_REDACT:
        if (redactable)
            return redact_head(out, ex, where, findings);
        return block(ex, "dlp-secret", where, f,
                     "a hostname cannot be redacted, so the request was not sent");
    case BB_ON_MATCH_SUPERVISE:
        return supervise(self, ex, where, findings);
    case BB_ON_MATCH_BLOCK:
    default:
        return block(ex, "dlp-secret", where, f, "the request was not sent");
    }
}

static BbScanVerdict
dlp_request_head(gpointer user_data, BbEgressExchange *ex)
{
    BbEgressDlp *self = user_data;
    DlpExchange *st = g_new0(DlpExchange, 1);
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) findings = bb_dlp_findings_new();
    const gchar *where = NULL;
    BbDlpVerdict v;

    ex->scanner_data = st;
    st->out = scanner_for(self, &ex->route->outbound, BB_DETECTOR_OUTBOUND, &error);
    if (error == NULL)
        st->in = scanner_for(self, &ex->route->inbound, BB_DETECTOR_INBOUND, &error);
    if (error != NULL)
        return cannot_scan(ex, "request (the route's detectors did not load)");
    if (st->out == NULL)
        return BB_SCAN_ALLOW;
    ex->hold_request_body = TRUE;
    ex->hold_cap = self->hold_cap;
    v = bb_dlp_scanner_scan_hostname(st->out, ex->host, findings, NULL);
    if (v != BB_DLP_VERDICT_CLEAN)
        return on_head_finding(self, st->out, ex, v, "hostname", findings, FALSE);
    v = scan_head(st->out, ex->path, ex->query, ex, findings, &where);
    if (v != BB_DLP_VERDICT_CLEAN)
        return on_head_finding(self, st->out, ex, v, where, findings, TRUE);
    return BB_SCAN_ALLOW;
}

/* ---- bodies ---- */

static gchar *
content_encoding(const BbHttpHead *head)
{
    gint i = head != NULL ? bb_http_head_find(head, "content-encoding") : -1;
    return i >= 0 ? g_strndup(head->fields[i].value, head->fields[i].value_len) : NULL;
}

static gboolean
is_identity(const gchar *ce)
{
    return ce == NULL || ce[0] == '\0' || g_ascii_strcasecmp(ce, "identity") == 0;
}

static BbDlpVerdict
scan_whole_body(BbEgressDlp *self, BbDlpScanner *out, const gchar *ce, const gchar *data, gsize len,
                GPtrArray *findings)
{
    g_autoptr(BbDlpStream) stream = bb_dlp_stream_new(out, ce, self->max_decoded, NULL);
    BbDlpVerdict v;
    if (stream == NULL)
        return BB_DLP_VERDICT_CANNOT_SCAN;
    v = bb_dlp_stream_feed(stream, (const guint8 *)data, len, findings, NULL);
    return worse(v, bb_dlp_stream_finish(stream, findings, NULL));
}

/* redact: a coded body is decoded and sent as identity. */
static BbScanVerdict
redact_body(BbEgressDlp *self, BbDlpScanner *out, BbEgressExchange *ex, const gchar *ce,
            const gchar *data, gsize len, GPtrArray *findings)
{
    const BbFinding *f = first_finding(findings);
    g_autoptr(GBytes) decoded = NULL;
    g_autoptr(GPtrArray) redacted = bb_dlp_findings_new();
    GBytes *red;

    if (!is_identity(ce)) {
        decoded = bb_dlp_decompress(ce, (const guint8 *)data, len, self->max_decoded, NULL);
        if (decoded == NULL)
            return cannot_scan(ex, "request body");
        data = g_bytes_get_data(decoded, &len);
        ex->replacement_is_identity = TRUE;
    }
    red =
        bb_dlp_scanner_redact(out, (const guint8 *)(data != NULL ? data : ""), len, redacted, NULL);
    if (red == NULL)
        return block(ex, "dlp-secret", "request body", f,
                     "it could not be redacted, so it was not sent");
    ex->replacement = red;
    add_detail(ex, "redact", "request body", f);
    return BB_SCAN_REPLACE;
}

/* Called once with the whole held body (hold_request_body). */
static BbScanVerdict
dlp_request_body(gpointer user_data, BbEgressExchange *ex, const gchar *data, gsize len,
                 gboolean last)
{
    BbEgressDlp *self = user_data;
    DlpExchange *st = ex->scanner_data;
    g_autoptr(GPtrArray) findings = bb_dlp_findings_new();
    g_autofree gchar *ce = NULL;
    BbDlpVerdict v;

    if (st == NULL || st->out == NULL)
        return BB_SCAN_ALLOW;
    if (!last) /* the proxy holds bodies for us; never judge a fragment */
        return block(ex, "dlp-cannot-scan", "request body", NULL,
                     "a body fragment cannot be judged alone");
    ce = content_encoding(ex->request);
    v = scan_whole_body(self, st->out, ce, data, len, findings);
    if (v == BB_DLP_VERDICT_CLEAN)
        return BB_SCAN_ALLOW;
    if (v == BB_DLP_VERDICT_CANNOT_SCAN)
        return cannot_scan(ex, "request body");
    switch (ex->route->outbound_on_match) {
    case BB_ON_MATCH_REDACT:
        return redact_body(self, st->out, ex, ce, data, len, findings);
    case BB_ON_MATCH_SUPERVISE:
        return supervise(self, ex, "request body", findings);
    case BB_ON_MATCH_BLOCK:
    default:
        return block(ex, "dlp-secret", "request body", first_finding(findings),
                     "the request was not sent");
    }
}

static BbScanVerdict
dlp_response_head(gpointer user_data, BbEgressExchange *ex)
{
    BbEgressDlp *self = user_data;
    DlpExchange *st = ex->scanner_data;
    g_autofree gchar *ce = NULL;
    if (st == NULL || st->in == NULL)
        return BB_SCAN_ALLOW;
    ce = content_encoding(ex->response);
    st->response = bb_dlp_stream_new(st->in, ce, self->max_decoded, NULL);
    if (st->response == NULL)
        return cannot_scan(ex, "response body");
    return BB_SCAN_ALLOW;
}

static BbScanVerdict
dlp_response_body(gpointer user_data, BbEgressExchange *ex, const gchar *data, gsize len,
                  gboolean last)
{
    DlpExchange *st = ex->scanner_data;
    g_autoptr(GPtrArray) findings = bb_dlp_findings_new();
    BbDlpVerdict v;
    if (st == NULL || st->response == NULL)
        return BB_SCAN_ALLOW;
    v = bb_dlp_stream_feed(st->response, (const guint8 *)data, len, findings, NULL);
    if (last && v == BB_DLP_VERDICT_CLEAN)
        v = bb_dlp_stream_finish(st->response, findings, NULL);
    if (v == BB_DLP_VERDICT_CANNOT_SCAN)
        return cannot_scan(ex, "response body");
    if (v == BB_DLP_VERDICT_FOUND)
        return block(ex, "dlp-injection", "response body", first_finding(findings),
                     "the response was withheld (or cut at this point)");
    return BB_SCAN_ALLOW;
}

static void
dlp_exchange_done(gpointer user_data, BbEgressExchange *ex)
{
    DlpExchange *st = ex->scanner_data;
    if (st == NULL)
        return;
    g_clear_object(&st->out);
    g_clear_object(&st->in);
    g_clear_pointer(&st->response, bb_dlp_stream_free);
    g_free(st);
    ex->scanner_data = NULL;
}

void
bb_egress_dlp_get_scanner(BbEgressDlp *self, BbEgressScanner *scanner)
{
    *scanner = (BbEgressScanner){
        .user_data = self,
        .request_head = dlp_request_head,
        .request_body = dlp_request_body,
        .response_head = dlp_response_head,
        .response_body = dlp_response_body,
        .exchange_done = dlp_exchange_done,
    };
}
