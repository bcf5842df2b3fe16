/* Choosing the internal network's subnet ourselves lets the sidecar's
 * address be known before anything starts, so the sidecar and the agent
 * are created and started in parallel. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Whether two "a.b.c.d/len" prefixes share any address. */
gboolean bb_docker_subnets_overlap(const gchar *a, const gchar *b);
/* A random free /24 in 172.16.0.0/12 that overlaps neither @used nor any
 * route of this host (/proc/net/route). */
gchar *bb_docker_subnet_pick(GPtrArray *used, GError **error);
/* The same choice among @taken alone, without reading the host's routes
 * (what bb_docker_subnet_pick adds): deterministic, for tests. */
gchar *bb_docker_subnet_pick_free(GPtrArray *taken, GError **error);
/* "a.b.c.0/24" → "a.b.c.@host". */
gchar *bb_docker_subnet_address(const gchar *subnet, guint host);

G_END_DECLS
