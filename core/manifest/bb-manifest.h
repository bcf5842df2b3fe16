/* Parsed bottle and agent manifests. Parsing never fails outright: it
 * returns what it could read plus diagnostics, and a manifest with
 * errors is refused at resolution. Parsing touches no file system, so
 * it can be fuzzed from memory. */
#pragma once

#include "bb-diagnostic.h"
#include "bb-plan.h"
#include "bb-route.h"

G_BEGIN_DECLS

/* Manifests larger than this are refused before YAML sees them. */
#define BB_MANIFEST_MAX_SIZE (1024 * 1024)

/* Where a value came from, for errors found after parsing. @file is
 * borrowed from the manifest that owns the position. */
typedef struct {
    const gchar *file;
    guint line;
    guint column;
} BbSourcePos;

/* A three-valued flag: unset keys inherit through `extends`. */
typedef enum {
    BB_UNSET = -1,
    BB_FALSE = 0,
    BB_TRUE = 1,
} BbTristate;

typedef struct {
    BbRoute *route;
    gchar *key_path; /* "egress.routes[N]", for errors found later */
    BbSourcePos host_pos;
    BbSourcePos scheme_pos;   /* auth.scheme, when set */
    BbSourcePos outbound_pos; /* dlp.outbound_detectors list, when set */
    BbSourcePos inbound_pos;  /* dlp.inbound_detectors list, when set */
} BbManifestRoute;

typedef struct {
    gint ref_count;
    gchar *name;
    gchar *path;
    guint n_errors;

    gchar *extends;
    BbSourcePos extends_pos;
    gchar *template_name;
    BbSourcePos template_pos;
    gchar *auth_token_ref;
    BbTristate forward_host_credentials;
    gchar *dockerfile; /* absolute */
    BbSourcePos dockerfile_pos;
    GHashTable *env; /* name → literal value */
    gchar *git_user_name;
    gchar *git_user_email;
    GPtrArray *git_remotes; /* of BbGitRemote, hosts canonical */
    GPtrArray *routes;      /* of BbManifestRoute */
    BbTristate supervise;
    gchar *body;
} BbBottleManifest;

typedef struct {
    gchar *name;
    BbSourcePos pos;
} BbManifestSkill;

typedef struct {
    gint ref_count;
    gchar *name;
    gchar *path;
    BbManifestOrigin origin;
    guint n_errors;

    gchar *bottle;
    BbSourcePos bottle_pos;
    GPtrArray *skills; /* of BbManifestSkill */
    gchar *body;
} BbAgentManifest;

/* @path names the file in diagnostics (and anchors a relative
 * `dockerfile`); @name is the manifest's name (its file's basename
 * without `.md`). Diagnostics are appended to @diagnostics. */
BbBottleManifest *bb_bottle_manifest_parse(const gchar *path, const gchar *name, const gchar *data,
                                           gsize len, GPtrArray *diagnostics);
BbBottleManifest *bb_bottle_manifest_ref(BbBottleManifest *manifest);
void bb_bottle_manifest_unref(BbBottleManifest *manifest);

BbAgentManifest *bb_agent_manifest_parse(const gchar *path, const gchar *name,
                                         BbManifestOrigin origin, const gchar *data, gsize len,
                                         GPtrArray *diagnostics);
BbAgentManifest *bb_agent_manifest_ref(BbAgentManifest *manifest);
void bb_agent_manifest_unref(BbAgentManifest *manifest);

void bb_manifest_route_free(BbManifestRoute *route);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(BbBottleManifest, bb_bottle_manifest_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BbAgentManifest, bb_agent_manifest_unref)

G_END_DECLS
