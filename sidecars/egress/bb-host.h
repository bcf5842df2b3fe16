/* Host and authority canonicalisation for the egress policy. Every host
 * the proxy compares against a route goes through here first, so the
 * spelling tricks (case, trailing dot, IDNA, numeric IPs, userinfo) all
 * collapse to one canonical ASCII name or are refused. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define BB_HOST_MAX_LEN 253

/* Canonical form of @host (@len bytes, not NUL-terminated): lower-case,
 * one trailing dot removed, IDNA-encoded to ASCII. Refuses IP literals
 * of any spelling (routes name hosts, never addresses), userinfo, ports
 * and any byte a DNS name cannot hold. Returns NULL with a short reason
 * in @reason (static string) on refusal. */
gchar *bb_host_canonicalize(const gchar *host, gsize len, const gchar **reason);

/* Splits `host[:port]` (an authority without userinfo) into the
 * canonical host and the port, @default_port when none is given. */
gboolean bb_authority_parse(const gchar *authority, gsize len, guint16 default_port,
                            gchar **host_out, guint16 *port_out, const gchar **reason);

G_END_DECLS
