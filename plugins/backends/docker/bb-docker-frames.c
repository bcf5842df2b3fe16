#include "bb-docker-frames.h"

#include "bb-error.h"

#define BB_DOCKER_FRAME_HEADER 8
/* Frames are bounded so a confused stream cannot make us allocate GBs. */
#define BB_DOCKER_MAX_FRAME (16 * 1024 * 1024)

gboolean
bb_docker_frame_read(GInputStream *in, guint8 *stream_type, GByteArray *payload, GError **error)
{
    guint8 header[BB_DOCKER_FRAME_HEADER];
    gsize got = 0;
    if (!g_input_stream_read_all(in, header, sizeof header, &got, NULL, error) || got == 0)
        return FALSE;
    if (got != sizeof header) {
        g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "Truncated stream frame from Docker");
        return FALSE;
    }
    guint32 size = ((guint32)header[4] << 24) | ((guint32)header[5] << 16) |
                   ((guint32)header[6] << 8) | header[7];
    if (size > BB_DOCKER_MAX_FRAME) {
        g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "Oversized stream frame from Docker");
        return FALSE;
    }
    g_byte_array_set_size(payload, size);
    if (!g_input_stream_read_all(in, payload->data, size, &got, NULL, error))
        return FALSE;
    if (got != size) {
        g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "Truncated stream frame from Docker");
        return FALSE;
    }
    *stream_type = header[0];
    return TRUE;
}
