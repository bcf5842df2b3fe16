#include <string.h>

#include "bb-frontmatter.h"
#include "bb-manifest.h"

/* Is the line at @line (of @line_len bytes, newline excluded) a `---`
 * delimiter? Trailing spaces, tabs and a CR are tolerated. */
static gboolean
is_delimiter(const gchar *line, gsize line_len)
{
    while (line_len > 3 &&
           (line[line_len - 1] == ' ' || line[line_len - 1] == '\t' || line[line_len - 1] == '\r'))
        line_len--;
    return line_len == 3 && memcmp(line, "---", 3) == 0;
}

static gsize
line_length(const gchar *data, gsize len, gsize start)
{
    const gchar *nl = memchr(data + start, '\n', len - start);
    return nl != NULL ? (gsize)(nl - (data + start)) : len - start;
}

static void
add_error(GPtrArray *diagnostics, const gchar *file, guint line, const gchar *message)
{
    bb_diagnostics_add(diagnostics, file, line, 1, FALSE, message);
}

BbYamlNode *
bb_frontmatter_parse(const gchar *file, const gchar *data, gsize len, gchar **body,
                     GPtrArray *diagnostics)
{
    gsize pos = 0;
    gsize yaml_start;
    guint line = 1;

    *body = NULL;
    if (len > BB_MANIFEST_MAX_SIZE) {
        g_autofree gchar *message =
            g_strdup_printf("file: %" G_GSIZE_FORMAT " bytes; expected at most %d bytes", len,
                            BB_MANIFEST_MAX_SIZE);
        add_error(diagnostics, file, 1, message);
        return NULL;
    }
    if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
        pos = 3; /* editors on some systems add a BOM */
    if (!is_delimiter(data + pos, line_length(data, len, pos))) {
        add_error(diagnostics, file, 1,
                  "frontmatter: missing; expected the file to start with a '---' line, then "
                  "YAML, then a closing '---' line");
        return NULL;
    }
    pos += line_length(data, len, pos) + 1;
    yaml_start = pos;
    while (pos < len) {
        gsize line_len = line_length(data, len, pos);
        line++;
        if (is_delimiter(data + pos, line_len)) {
            gsize body_start = MIN(pos + line_len + 1, len);
            if (!g_utf8_validate_len(data + body_start, len - body_start, NULL)) {
                add_error(diagnostics, file, line + 1,
                          "body: not valid UTF-8 text; expected a UTF-8 Markdown body");
                return NULL;
            }
            *body = g_strndup(data + body_start, len - body_start);
            return bb_yaml_parse(file, data + yaml_start, pos - yaml_start, 2, diagnostics);
        }
        pos += line_len + 1;
    }
    add_error(diagnostics, file, 1,
              "frontmatter: the '---' on this line is never closed; expected a closing '---' "
              "line after the YAML");
    return NULL;
}
