#include <arpa/inet.h>
#include <string.h>

#include "bb-host.h"

/* inet_aton() accepts every legacy IPv4 spelling (octal, hex, 1-3
 * parts), which is exactly the set a resolver would also accept. */
static gboolean
looks_like_ipv4(const gchar *host)
{
    struct in_addr addr;
    return inet_aton(host, &addr) != 0;
}

static gboolean
label_is_valid(const gchar *label, gsize len)
{
    if (len == 0 || len > 63)
        return FALSE;
    if (label[0] == '-' || label[len - 1] == '-')
        return FALSE;
    for (gsize i = 0; i < len; i++) {
        gchar c = label[i];
        if (!g_ascii_isalnum(c) && c != '-')
            return FALSE;
    }
    return TRUE;
}

/* The last label of a real name always holds a letter; all-digit (or
 * hex-looking) final labels are address spellings in disguise. */
static gboolean
tld_is_name(const gchar *tld)
{
    if (g_ascii_strncasecmp(tld, "0x", 2) == 0)
        return FALSE;
    for (const gchar *p = tld; *p != '\0'; p++) {
        if (g_ascii_isalpha(*p))
            return TRUE;
    }
    return FALSE;
}

static gboolean
has_non_ascii(const gchar *s, gsize len)
{
    for (gsize i = 0; i < len; i++) {
        if ((guchar)s[i] >= 0x80)
            return TRUE;
    }
    return FALSE;
}

static gboolean
labels_are_valid(const gchar *ascii)
{
    const gchar *start = ascii;
    const gchar *last = ascii;
    for (const gchar *p = ascii;; p++) {
        if (*p == '.' || *p == '\0') {
            if (!label_is_valid(start, (gsize)(p - start)))
                return FALSE;
            last = start;
            if (*p == '\0')
                break;
            start = p + 1;
        }
    }
    return tld_is_name(last);
}

gchar *
bb_host_canonicalize(const gchar *host, gsize len, const gchar **reason)
{
    g_autofree gchar *copy = NULL;
    g_autofree gchar *ascii = NULL;

    if (len == 0) {
        *reason = "empty host";
        return NULL;
    }
    if (len > BB_HOST_MAX_LEN + 1 || memchr(host, '\0', len) != NULL) {
        *reason = "host too long or holds NUL";
        return NULL;
    }
    copy = g_strndup(host, len);
    if (copy[len - 1] == '.')
        copy[len - 1] = '\0';
    if (copy[0] == '\0') {
        *reason = "empty host";
        return NULL;
    }
    if (strchr(copy, '@') != NULL) {
        *reason = "userinfo in host";
        return NULL;
    }
    if (strchr(copy, ':') != NULL || copy[0] == '[') {
        *reason = "IP literal host";
        return NULL;
    }
    if (has_non_ascii(copy, strlen(copy))) {
        if (!g_utf8_validate(copy, -1, NULL)) {
            *reason = "host is not valid UTF-8";
            return NULL;
        }
        ascii = g_hostname_to_ascii(copy);
        if (ascii == NULL) {
            *reason = "host fails IDNA conversion";
            return NULL;
        }
    } else {
        ascii = g_ascii_strdown(copy, -1);
    }
    if (strlen(ascii) > BB_HOST_MAX_LEN) {
        *reason = "host too long";
        return NULL;
    }
    if (looks_like_ipv4(ascii)) {
        *reason = "IP literal host";
        return NULL;
    }
    if (!labels_are_valid(ascii)) {
        *reason = "host is not a valid DNS name";
        return NULL;
    }
    return g_steal_pointer(&ascii);
}

static gboolean
parse_port(const gchar *s, gsize len, guint16 *port_out)
{
    guint value = 0;
    if (len == 0 || len > 5)
        return FALSE;
    for (gsize i = 0; i < len; i++) {
        if (!g_ascii_isdigit(s[i]))
            return FALSE;
        value = value * 10 + (guint)(s[i] - '0');
    }
    if (value == 0 || value > 65535)
        return FALSE;
    *port_out = (guint16)value;
    return TRUE;
}

gboolean
bb_authority_parse(const gchar *authority, gsize len, guint16 default_port, gchar **host_out,
                   guint16 *port_out, const gchar **reason)
{
    const gchar *colon;
    gsize host_len = len;
    guint16 port = default_port;

    if (memchr(authority, '@', len) != NULL) {
        *reason = "userinfo in authority";
        return FALSE;
    }
    if (len > 0 && authority[0] == '[') {
        *reason = "IP literal host";
        return FALSE;
    }
    colon = memchr(authority, ':', len);
    if (colon != NULL) {
        host_len = (gsize)(colon - authority);
        if (!parse_port(colon + 1, len - host_len - 1, &port)) {
            *reason = "invalid port";
            return FALSE;
        }
    }
    *host_out = bb_host_canonicalize(authority, host_len, reason);
    if (*host_out == NULL)
        return FALSE;
    *port_out = port;
    return TRUE;
}
