#include "bb-supervise.h"

typedef struct {
    BbSuperviseProposal *proposal;
    gboolean decided;
    gboolean approved;
} Pending;

struct _BbSuperviseQueue {
    GMutex lock;
    GCond changed;
    GHashTable *pending; /* guint64* id -> Pending* */
    guint64 next_id;
    guint timeout_ms;
};

void
bb_supervise_proposal_free(BbSuperviseProposal *p)
{
    if (p == NULL)
        return;
    g_free(p->bottle);
    g_free(p->host);
    g_free(p->method);
    g_free(p->path);
    g_free(p->rule);
    g_free(p->snippet);
    g_free(p->fingerprint);
    g_free(p);
}

static BbSuperviseProposal *
proposal_copy(const BbSuperviseProposal *p)
{
    BbSuperviseProposal *c = g_new0(BbSuperviseProposal, 1);
    c->bottle = g_strdup(p->bottle);
    c->host = g_strdup(p->host);
    c->method = g_strdup(p->method);
    c->path = g_strdup(p->path);
    c->rule = g_strdup(p->rule);
    c->snippet = g_strdup(p->snippet);
    c->fingerprint = g_strdup(p->fingerprint);
    return c;
}

static void
pending_free(Pending *p)
{
    bb_supervise_proposal_free(p->proposal);
    g_free(p);
}

BbSuperviseQueue *
bb_supervise_queue_new(guint timeout_ms)
{
    BbSuperviseQueue *self = g_new0(BbSuperviseQueue, 1);
    g_mutex_init(&self->lock);
    g_cond_init(&self->changed);
    self->pending =
        g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, (GDestroyNotify)pending_free);
    self->next_id = 1;
    self->timeout_ms = timeout_ms;
    return self;
}

void
bb_supervise_queue_free(BbSuperviseQueue *self)
{
    if (self == NULL)
        return;
    g_hash_table_unref(self->pending);
    g_cond_clear(&self->changed);
    g_mutex_clear(&self->lock);
    g_free(self);
}

guint
bb_supervise_queue_get_timeout(BbSuperviseQueue *self)
{
    return self->timeout_ms;
}

guint64
bb_supervise_queue_submit(BbSuperviseQueue *self, const BbSuperviseProposal *proposal)
{
    Pending *p = g_new0(Pending, 1);
    guint64 id;
    p->proposal = proposal_copy(proposal);
    g_mutex_lock(&self->lock);
    id = self->next_id++;
    g_hash_table_insert(self->pending, g_memdup2(&id, sizeof(id)), p);
    g_mutex_unlock(&self->lock);
    return id;
}

BbSuperviseDecision
bb_supervise_queue_wait(BbSuperviseQueue *self, guint64 id)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)self->timeout_ms * G_TIME_SPAN_MILLISECOND;
    BbSuperviseDecision decision = BB_SUPERVISE_TIMED_OUT;
    Pending *p;

    g_mutex_lock(&self->lock);
    while ((p = g_hash_table_lookup(self->pending, &id)) != NULL && !p->decided) {
        if (!g_cond_wait_until(&self->changed, &self->lock, deadline))
            break;
    }
    if (p != NULL && p->decided)
        decision = p->approved ? BB_SUPERVISE_APPROVED : BB_SUPERVISE_DENIED;
    g_hash_table_remove(self->pending, &id);
    g_mutex_unlock(&self->lock);
    return decision;
}

gboolean
bb_supervise_queue_decide(BbSuperviseQueue *self, guint64 id, gboolean approve)
{
    Pending *p;
    gboolean ok = FALSE;
    g_mutex_lock(&self->lock);
    p = g_hash_table_lookup(self->pending, &id);
    if (p != NULL && !p->decided) {
        p->decided = TRUE;
        p->approved = approve;
        ok = TRUE;
        g_cond_broadcast(&self->changed);
    }
    g_mutex_unlock(&self->lock);
    return ok;
}

GArray *
bb_supervise_queue_list_pending(BbSuperviseQueue *self)
{
    GArray *ids = g_array_new(FALSE, FALSE, sizeof(guint64));
    GHashTableIter it;
    gpointer key, value;
    g_mutex_lock(&self->lock);
    g_hash_table_iter_init(&it, self->pending);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        if (!((Pending *)value)->decided)
            g_array_append_val(ids, *(guint64 *)key);
    }
    g_mutex_unlock(&self->lock);
    return ids;
}

BbSuperviseProposal *
bb_supervise_queue_get(BbSuperviseQueue *self, guint64 id)
{
    Pending *p;
    BbSuperviseProposal *copy = NULL;
    g_mutex_lock(&self->lock);
    p = g_hash_table_lookup(self->pending, &id);
    if (p != NULL)
        copy = proposal_copy(p->proposal);
    g_mutex_unlock(&self->lock);
    return copy;
}
