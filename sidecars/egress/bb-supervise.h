/* The supervise hold: an outbound finding on a `supervise` route is
 * turned into a proposal that an operator approves or denies while the
 * request waits. This is the interface the supervise work plugs into
 * (a UI or CLI calls bb_supervise_queue_list_pending/decide); until it
 * exists nobody decides, every hold times out, and the request fails
 * closed. Proposals never carry a secret: rule, redacted snippet and
 * keyed fingerprint only. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
    gchar *bottle;
    gchar *host;
    gchar *method;
    gchar *path;
    gchar *rule;        /* "detector/rule-id" */
    gchar *snippet;     /* redacted */
    gchar *fingerprint; /* keyed hash of the value */
} BbSuperviseProposal;

typedef enum {
    BB_SUPERVISE_APPROVED,
    BB_SUPERVISE_DENIED,
    BB_SUPERVISE_TIMED_OUT,
} BbSuperviseDecision;

typedef struct _BbSuperviseQueue BbSuperviseQueue;

/* Holds wait at most @timeout_ms for a decision. */
BbSuperviseQueue *bb_supervise_queue_new(guint timeout_ms);
void bb_supervise_queue_free(BbSuperviseQueue *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BbSuperviseQueue, bb_supervise_queue_free)
guint bb_supervise_queue_get_timeout(BbSuperviseQueue *self);

/* Queues a copy of @proposal; returns its id (never 0). */
guint64 bb_supervise_queue_submit(BbSuperviseQueue *self, const BbSuperviseProposal *proposal);
/* Blocks the calling thread until @id is decided or the timeout passes;
 * the proposal leaves the queue either way. */
BbSuperviseDecision bb_supervise_queue_wait(BbSuperviseQueue *self, guint64 id);
/* For the operator side: FALSE when @id is no longer pending. */
gboolean bb_supervise_queue_decide(BbSuperviseQueue *self, guint64 id, gboolean approve);
/* Ids of the pending proposals (for an operator to list). */
GArray *bb_supervise_queue_list_pending(BbSuperviseQueue *self);
/* A copy of a pending proposal, or NULL. */
BbSuperviseProposal *bb_supervise_queue_get(BbSuperviseQueue *self, guint64 id);

void bb_supervise_proposal_free(BbSuperviseProposal *proposal);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BbSuperviseProposal, bb_supervise_proposal_free)

G_END_DECLS
