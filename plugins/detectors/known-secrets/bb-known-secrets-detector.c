/* known_secrets: finds the exact values the bottle resolved from the host,
 * in every form bb-known-secrets-forms.c derives, with one literal pass
 * (vectorscan's literal matcher). Deeper disguises (percent twice, hex
 * with separators, compression) are undone by the core decode chain
 * before this detector sees the bytes. */
#include "bb-known-secrets-detector.h"
#include "bb-dlp-evidence.h"
#include "bb-error.h"
#include "bb-hs-matcher.h"
#include "bb-known-secrets-forms.h"

#include <hs/hs.h>

#define BB_KNOWN_SECRETS_NAME "known_secrets"

typedef struct {
    gchar *rule_id; /* "known-secret/ENV_NAME" */
    guint8 *value;  /* for the fingerprint */
    gsize value_len;
} BbSecretInfo;

struct _BbKnownSecretsDetector {
    GObject parent_instance;
    BbHsMatcher *matcher; /* NULL: no secrets, nothing to find */
    GArray *forms;        /* of BbSecretForm, indexed by literal id */
    GArray *form_secret;  /* guint: literal id -> secrets index */
    GPtrArray *secrets;   /* of BbSecretInfo */
    gsize max_len;
};

static void bb_known_secrets_detector_iface_init(BbDetectorInterface *iface);

G_DEFINE_TYPE_WITH_CODE(BbKnownSecretsDetector, bb_known_secrets_detector, G_TYPE_OBJECT,
                        G_IMPLEMENT_INTERFACE(BB_TYPE_DETECTOR,
                                              bb_known_secrets_detector_iface_init))

static void
bb_secret_info_free(BbSecretInfo *info)
{
    g_free(info->rule_id);
    explicit_bzero(info->value, info->value_len);
    g_free(info->value);
    g_free(info);
}

static void
bb_known_secrets_detector_finalize(GObject *object)
{
    BbKnownSecretsDetector *self = BB_KNOWN_SECRETS_DETECTOR(object);
    g_clear_pointer(&self->matcher, bb_hs_matcher_free);
    g_array_unref(self->forms);
    g_array_unref(self->form_secret);
    g_ptr_array_unref(self->secrets);
    G_OBJECT_CLASS(bb_known_secrets_detector_parent_class)->finalize(object);
}

static void
bb_known_secrets_detector_class_init(BbKnownSecretsDetectorClass *klass)
{
    G_OBJECT_CLASS(klass)->finalize = bb_known_secrets_detector_finalize;
}

static void
bb_known_secrets_detector_init(BbKnownSecretsDetector *self)
{
    self->forms = g_array_new(FALSE, FALSE, sizeof(BbSecretForm));
    g_array_set_clear_func(self->forms, (GDestroyNotify)bb_secret_form_clear);
    self->form_secret = g_array_new(FALSE, FALSE, sizeof(guint));
    self->secrets = g_ptr_array_new_with_free_func((GDestroyNotify)bb_secret_info_free);
}

static BbDetectorDirection
bb_known_secrets_get_direction(BbDetector *detector)
{
    return BB_DETECTOR_OUTBOUND;
}

/* Adds @secret's forms, skipping ones already present (two env vars with
 * one value, or forms that coincide). */
static void
bb_known_secrets_add(BbKnownSecretsDetector *self, const BbKnownSecret *secret, GHashTable *seen)
{
    gsize len = strlen(secret->value);
    guint index = self->secrets->len;
    guint first = self->forms->len;
    BbSecretInfo *info;

    if (len < BB_KNOWN_SECRET_MIN_RAW) {
        g_warning("secret %s is shorter than %d bytes; it cannot be told from ordinary text "
                  "and is not scanned for",
                  secret->env_name, BB_KNOWN_SECRET_MIN_RAW);
        return;
    }
    info = g_new0(BbSecretInfo, 1);
    info->rule_id = g_strdup_printf("known-secret/%s", secret->env_name);
    info->value = g_memdup2(secret->value, len);
    info->value_len = len;
    g_ptr_array_add(self->secrets, info);
    bb_known_secret_forms((const guint8 *)secret->value, len, self->forms);
    for (guint i = first; i < self->forms->len; i++) {
        BbSecretForm *form = &g_array_index(self->forms, BbSecretForm, i);
        g_autofree gchar *key = g_ascii_strdown(form->text, (gssize)form->len);
        if (!form->caseless) {
            g_free(key);
            key = g_strdup_printf("=%.*s", (int)form->len, form->text);
        }
        if (!g_hash_table_add(seen, g_steal_pointer(&key))) {
            g_array_remove_index(self->forms, i--);
            continue;
        }
        g_array_append_val(self->form_secret, index);
        self->max_len = MAX(self->max_len, form->len);
    }
}

static gboolean
bb_known_secrets_configure(BbDetector *detector, const BbDetectorContext *context, GError **error)
{
    BbKnownSecretsDetector *self = BB_KNOWN_SECRETS_DETECTOR(detector);
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autofree const gchar **texts = NULL;
    g_autofree gsize *lengths = NULL;
    g_autofree guint *flags = NULL;

    for (guint i = 0; context->known_secrets != NULL && i < context->known_secrets->len; i++) {
        const BbKnownSecret *secret = g_ptr_array_index(context->known_secrets, i);
        if (secret != NULL && secret->value != NULL)
            bb_known_secrets_add(self, secret, seen);
    }
    if (self->forms->len == 0)
        return TRUE;
    texts = g_new(const gchar *, self->forms->len);
    lengths = g_new(gsize, self->forms->len);
    flags = g_new(guint, self->forms->len);
    for (guint i = 0; i < self->forms->len; i++) {
        BbSecretForm *form = &g_array_index(self->forms, BbSecretForm, i);
        texts[i] = form->text;
        lengths[i] = form->len;
        flags[i] = (form->caseless ? HS_FLAG_CASELESS : 0);
    }
    self->matcher = bb_hs_matcher_new_literal(texts, lengths, flags, self->forms->len, error);
    if (self->matcher == NULL) {
        g_prefix_error(error, "known secrets: ");
        return FALSE;
    }
    return TRUE;
}

typedef struct {
    BbKnownSecretsDetector *self;
    const guint8 *data;
    GPtrArray *findings;
} BbKnownScan;

static void
bb_known_secrets_on_match(guint id, gsize from, gsize to, gpointer user_data)
{
    BbKnownScan *scan = user_data;
    BbKnownSecretsDetector *self = scan->self;
    const BbSecretForm *form = &g_array_index(self->forms, BbSecretForm, id);
    const BbSecretInfo *info =
        g_ptr_array_index(self->secrets, g_array_index(self->form_secret, guint, id));
    gsize start = to - form->len;
    BbFinding *finding;

    finding = bb_finding_new(BB_KNOWN_SECRETS_NAME, info->rule_id, start, form->len);
    bb_finding_set_snippet(finding, scan->data + start, form->len);
    /* Keyed on the secret, not the form: every encoding of one secret
     * shares a fingerprint. */
    bb_finding_set_fingerprint(finding, info->value, info->value_len);
    g_ptr_array_add(scan->findings, finding);
}

static gboolean
bb_known_secrets_scan(BbDetector *detector, const guint8 *data, gsize len, GPtrArray *findings,
                      GError **error)
{
    BbKnownSecretsDetector *self = BB_KNOWN_SECRETS_DETECTOR(detector);
    BbKnownScan scan = {self, data, findings};

    if (self->matcher == NULL || len == 0)
        return TRUE;
    return bb_hs_matcher_scan(self->matcher, data, len, bb_known_secrets_on_match, &scan, error);
}

static gsize
bb_known_secrets_get_max_match_length(BbDetector *detector)
{
    BbKnownSecretsDetector *self = BB_KNOWN_SECRETS_DETECTOR(detector);
    return MAX(self->max_len, 1);
}

static gboolean
bb_known_secrets_supports_redaction(BbDetector *detector)
{
    return TRUE;
}

static void
bb_known_secrets_detector_iface_init(BbDetectorInterface *iface)
{
    iface->get_direction = bb_known_secrets_get_direction;
    iface->configure = bb_known_secrets_configure;
    iface->scan = bb_known_secrets_scan;
    iface->get_max_match_length = bb_known_secrets_get_max_match_length;
    iface->supports_redaction = bb_known_secrets_supports_redaction;
}
