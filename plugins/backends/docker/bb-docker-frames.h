/* Docker's multiplexed stdout/stderr stream (attach and exec without a
 * TTY): frames of an 8-byte header (stream, 0, 0, 0, size BE32) and a
 * payload. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define BB_DOCKER_FRAME_STDOUT 1
#define BB_DOCKER_FRAME_STDERR 2

/* Reads one frame into @payload (replacing its contents). At a clean end
 * of stream returns FALSE with @error unset; a truncated or oversized
 * frame is an error. */
gboolean bb_docker_frame_read(GInputStream *in, guint8 *stream_type, GByteArray *payload,
                              GError **error);

G_END_DECLS
