#include "bb-docker-backend.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "bb-docker-api.h"
#include "bb-docker-bottle.h"
#include "bb-docker-image-cache.h"
#include "bb-docker-image.h"
#include "bb-docker-pool.h"
#include "bb-docker-tar.h"
#include "bb-docker-target.h"
#include "bb-dockerfile.h"
#include "bb-error.h"
#include "bb-config.h"
#include "bb-paths.h"
#include "bb-plugin-file.h"
#include "bb-registry.h"
#include "bb-route-json.h"

#define BB_SIDECAR_PLUGIN_DIR "/usr/lib/bot-bottle/plugins"
/* Where the sidecar finds the contrib plugins the host accepted. */
#define BB_SIDECAR_CONTRIB_DIR "/usr/lib/bot-bottle/contrib"
/* Rule packs the detectors read (token patterns, injection phrases). */
#define BB_SIDECAR_DATA_DIR "/usr/share/bot-bottle"
#define BB_SIDECAR_UID 65532

struct _BbDockerBackend {
    GObject parent_instance;
    BbDockerClient *client;
    gchar *agent_image;
    gchar *sidecar_image;
    gchar *runtime;
    GHashTable *bottles; /* slug → BbDockerBottle, launched by us */
    GThread *refill;     /* tops the warm pool up after a claim */
};

static void bb_docker_backend_iface_init(BbBackendInterface *iface);

G_DEFINE_TYPE_WITH_CODE(BbDockerBackend, bb_docker_backend, G_TYPE_OBJECT,
                        G_IMPLEMENT_INTERFACE(BB_TYPE_BACKEND, bb_docker_backend_iface_init))

static void
bb_docker_backend_finalize(GObject *object)
{
    BbDockerBackend *self = BB_DOCKER_BACKEND(object);
    /* A half-made warm bottle would be litter for `cleanup`. */
    if (self->refill != NULL)
        g_thread_join(self->refill);
    g_clear_object(&self->client);
    g_free(self->agent_image);
    g_free(self->sidecar_image);
    g_free(self->runtime);
    g_hash_table_unref(self->bottles);
    G_OBJECT_CLASS(bb_docker_backend_parent_class)->finalize(object);
}

/* "runtime": what the CLI's preflight shows without knowing this type. */
enum { PROP_0, PROP_RUNTIME };

static void
bb_docker_backend_get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
    if (prop_id == PROP_RUNTIME)
        g_value_set_string(value, BB_DOCKER_BACKEND(object)->runtime);
    else
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
}

static void
bb_docker_backend_class_init(BbDockerBackendClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    object_class->finalize = bb_docker_backend_finalize;
    object_class->get_property = bb_docker_backend_get_property;
    g_object_class_install_property(
        object_class, PROP_RUNTIME,
        g_param_spec_string("runtime", NULL, "OCI runtime for agents (runsc = gVisor), or NULL",
                            NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
}

static void
bb_docker_backend_init(BbDockerBackend *self)
{
    self->bottles = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify)bb_docker_bottle_free);
}

BbDockerBackend *
bb_docker_backend_new(void)
{
    return g_object_new(BB_TYPE_DOCKER_BACKEND, NULL);
}

BbDockerClient *
bb_docker_backend_get_client(BbDockerBackend *self)
{
    return self->client;
}

void
bb_docker_backend_set_agent_image(BbDockerBackend *self, const gchar *ref)
{
    g_free(self->agent_image);
    self->agent_image = g_strdup(ref);
}

void
bb_docker_backend_set_sidecar_image(BbDockerBackend *self, const gchar *image)
{
    g_free(self->sidecar_image);
    self->sidecar_image = g_strdup(image);
}

const gchar *
bb_docker_backend_get_runtime(BbDockerBackend *self)
{
    return self->runtime;
}

const gchar *
bb_docker_backend_get_ca(BbDockerBackend *self, const gchar *slug)
{
    BbDockerBottle *bottle = g_hash_table_lookup(self->bottles, slug);
    return bottle != NULL ? bottle->ca_pem : NULL;
}

static gint
bb_docker_compare_paths(gconstpointer a, gconstpointer b)
{
    return g_strcmp0(*(const gchar *const *)a, *(const gchar *const *)b);
}

static gboolean
bb_docker_backend_ensure_client(BbDockerBackend *self, GError **error)
{
    if (self->client != NULL)
        return TRUE;
    g_autoptr(BbDockerClient) client = bb_docker_client_new_from_env(error);
    if (client == NULL)
        return FALSE;
    const gchar *socket_path = bb_docker_client_get_socket_path(client);
    struct stat st;
    if (stat(socket_path, &st) != 0 || !S_ISSOCK(st.st_mode)) {
        g_set_error(error, BB_ERROR, BB_ERROR_UNAVAILABLE,
                    "No Docker engine socket at %s: install Docker (apt-get install docker.io) "
                    "and start it (systemctl start docker), or point DOCKER_HOST=unix://… at "
                    "a running engine",
                    socket_path);
        return FALSE;
    }
    self->client = g_steal_pointer(&client);
    return TRUE;
}

static gboolean
bb_docker_backend_is_available(BbBackend *backend, GError **error)
{
    BbDockerBackend *self = BB_DOCKER_BACKEND(backend);
    if (!bb_docker_backend_ensure_client(self, error))
        return FALSE;
    /* A short bound: availability is probed at every start. */
    bb_docker_client_set_timeout(self->client, 5);
    gboolean ok = bb_docker_ping(self->client, error);
    g_auto(GStrv) runtimes = ok ? bb_docker_runtimes(self->client, error) : NULL;
    bb_docker_client_set_timeout(self->client, 120);
    if (!ok || runtimes == NULL) {
        g_clear_object(&self->client);
        return FALSE;
    }
    /* gVisor when the engine has it: a second kernel between agent and host. */
    g_clear_pointer(&self->runtime, g_free);
    if (g_strv_contains((const gchar *const *)runtimes, "runsc"))
        self->runtime = g_strdup("runsc");
    return TRUE;
}

typedef struct {
    BbProgressFunc progress;
    gpointer data;
} BbBuildProgress;

static void
bb_build_progress(const gchar *line, gpointer user_data)
{
    BbBuildProgress *adapter = user_data;
    if (adapter->progress != NULL)
        adapter->progress(line, -1, adapter->data);
}

/* The stat key of an agent build context: every file's metadata instead
 * of a tar and hash of its contents (hundreds of MB with an npm tree). */
static gchar *
bb_docker_agent_context_key(const gchar *dockerfile)
{
    g_autofree gchar *context_dir = g_path_get_dirname(dockerfile);
    g_autofree gchar *dockerfile_name = g_path_get_basename(dockerfile);
    g_autoptr(BbImageStamp) stamp = bb_image_stamp_new("agent-image/1");
    bb_image_stamp_add_text(stamp, "dockerfile", dockerfile_name);
    bb_image_stamp_add_tree(stamp, context_dir);
    return bb_image_stamp_get_key(stamp);
}

static gchar *
bb_docker_agent_slot(const gchar *dockerfile)
{
    return g_strconcat("agent ", dockerfile, NULL);
}

/* The cached image of @dockerfile's context (whose stat key is @key) in
 * @ref when the context is unchanged and the image still exists; @ref
 * stays NULL otherwise. */
static gboolean
bb_docker_backend_find_agent_image(BbDockerBackend *self, const gchar *dockerfile, const gchar *key,
                                   gchar **ref, GError **error)
{
    g_autofree gchar *slot = bb_docker_agent_slot(dockerfile);
    g_autofree gchar *cached = bb_image_cache_lookup(slot, key);
    gboolean exists = FALSE;
    if (cached != NULL && !bb_docker_image_exists(self->client, cached, &exists, error))
        return FALSE;
    if (exists)
        *ref = g_steal_pointer(&cached);
    return TRUE;
}

gchar *
bb_docker_backend_build_agent_image(BbDockerBackend *self, const gchar *dockerfile,
                                    BbProgressFunc progress, gpointer progress_data,
                                    GCancellable *cancellable, GError **error)
{
    if (!bb_docker_backend_ensure_client(self, error))
        return NULL;
    /* Keyed before reading: a file changed meanwhile makes the next start miss. */
    g_autofree gchar *key = bb_docker_agent_context_key(dockerfile);
    g_autofree gchar *cached = NULL;
    if (!bb_docker_backend_find_agent_image(self, dockerfile, key, &cached, error))
        return NULL;
    if (cached != NULL)
        return g_steal_pointer(&cached);
    g_autofree gchar *context_dir = g_path_get_dirname(dockerfile);
    g_autofree gchar *dockerfile_name = g_path_get_basename(dockerfile);
    g_autoptr(BbDockerTar) tar = bb_docker_tar_new();
    if (!bb_docker_tar_add_host_tree(tar, context_dir, ".", 0, 0, error))
        return NULL;
    g_autoptr(GBytes) context = bb_docker_tar_finish(tar);
    g_autofree gchar *hash = g_compute_checksum_for_bytes(G_CHECKSUM_SHA256, context);
    g_autofree gchar *ref = g_strdup_printf("bot-bottle-agent:%.16s", hash);
    gboolean exists = FALSE;
    if (!bb_docker_image_exists(self->client, ref, &exists, error))
        return NULL;
    if (!exists) {
        if (progress != NULL)
            progress(ref, -1, progress_data);
        BbBuildProgress adapter = {progress, progress_data};
        if (!bb_docker_image_build(self->client, context, dockerfile_name, ref, bb_build_progress,
                                   &adapter, cancellable, error))
            return NULL;
    }
    g_autofree gchar *slot = bb_docker_agent_slot(dockerfile);
    bb_image_cache_store(slot, key, ref, NULL);
    return g_steal_pointer(&ref);
}

/* The plugin modules (*.so, regular files) directly in each of @dirs. */
static GPtrArray *
bb_docker_plugin_files(const gchar *dirs)
{
    GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
    g_auto(GStrv) list = g_strsplit(dirs != NULL ? dirs : "", ":", -1);
    for (gchar **dir = list; *dir != NULL; dir++) {
        g_autoptr(GDir) handle = **dir != '\0' ? g_dir_open(*dir, 0, NULL) : NULL;
        const gchar *name;
        while (handle != NULL && (name = g_dir_read_name(handle)) != NULL) {
            g_autofree gchar *path = g_build_filename(*dir, name, NULL);
            if (g_str_has_suffix(name, ".so") && g_file_test(path, G_FILE_TEST_IS_REGULAR) &&
                !g_file_test(path, G_FILE_TEST_IS_SYMLINK))
                g_ptr_array_add(files, g_steal_pointer(&path));
        }
    }
    g_ptr_array_sort(files, bb_docker_compare_paths);
    g_ptr_array_add(files, NULL);
    return files;
}

/* Candidate contrib modules: the .so files in @contrib_dir/<name>/, as the loader
 * finds them (it decides, on a cache miss, which of them are good). */
static GPtrArray *
bb_docker_contrib_candidates(const gchar *contrib_dir)
{
    GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GDir) handle = bb_plugin_contrib_disabled() ? NULL : g_dir_open(contrib_dir, 0, NULL);
    const gchar *name;
    while (handle != NULL && (name = g_dir_read_name(handle)) != NULL) {
        g_autofree gchar *dir = g_build_filename(contrib_dir, name, NULL);
        if (!g_file_test(dir, G_FILE_TEST_IS_DIR))
            continue;
        g_autoptr(GPtrArray) modules = bb_docker_plugin_files(dir);
        for (guint i = 0; i + 1 < modules->len; i++)
            g_ptr_array_add(files, g_strdup(g_ptr_array_index(modules, i)));
    }
    g_ptr_array_sort(files, bb_docker_compare_paths);
    g_ptr_array_add(files, NULL);
    return files;
}

static gboolean
bb_docker_plugin_runs_in_proxy(const BbPluginInfo *info)
{
    const gchar *const *kinds = (const gchar *const *)info->kinds;
    return kinds != NULL && (g_strv_contains(kinds, "detector") || g_strv_contains(kinds, "auth"));
}

/* The contrib candidates the host's loader accepts and the proxy can use
 * (detectors, auth schemes). A private registry asks the loader, with the
 * checks the CLI's registry made (directory and file ownership and mode,
 * ELF sanity, descriptor, registration); a module the CLI already opened
 * is shared by dlopen, not opened twice. Built-ins are not reloaded: the
 * sidecar refuses a contrib plugin whose name clashes with one anyway.
 * A provider or backend module has nothing to do in the proxy. */
static GPtrArray *
bb_docker_sidecar_contrib_filter(const gchar *const *candidates, gpointer user_data)
{
    const gchar *contrib_dir = user_data;
    GPtrArray *accepted = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GError) error = NULL;
    if (!bb_plugin_dir_check_trusted(contrib_dir, &error)) {
        g_warning("No contrib plugin goes into the sidecar: %s", error->message);
        return accepted;
    }
    g_autoptr(BbRegistry) registry = bb_registry_new();
    for (const gchar *const *path = candidates; *path != NULL; path++) {
        g_autoptr(GError) load_error = NULL;
        if (!bb_registry_load_file(registry, *path, BB_PLUGIN_ORIGIN_CONTRIB, &load_error)) {
            g_warning("The contrib plugin %s is left out of the sidecar: %s", *path,
                      load_error->message);
            continue;
        }
    }
    GPtrArray *plugins = bb_registry_get_plugins(registry);
    for (guint i = 0; i < plugins->len; i++) {
        const BbPluginInfo *info = g_ptr_array_index(plugins, i);
        if (info->status != BB_PLUGIN_STATUS_LOADED)
            continue;
        if (bb_docker_plugin_runs_in_proxy(info))
            g_ptr_array_add(accepted, g_strdup(info->path));
        else
            g_debug("contrib plugin %s has no detector or auth scheme: not in the sidecar",
                    info->path);
    }
    return accepted;
}

typedef struct {
    const gchar *program;
    const gchar *plugin_dirs;
    const gchar *rules;
    const gchar *out_dir;
} BbDlpPrecompile;

/* The detectors' compiled rule databases for the image, made on the host
 * by the sidecar program itself (same plugins, same engine, same CPU), so
 * a new sidecar loads them instead of compiling for a few hundred ms. */
static gboolean
bb_docker_precompile_dlp(gpointer data, GError **error)
{
    BbDlpPrecompile *job = data;
    /* Only this build's databases: stale ones would ride along in the image.
     * (The caller made the directory.) */
    g_autoptr(GDir) dir = g_dir_open(job->out_dir, 0, error);
    if (dir == NULL)
        return FALSE;
    const gchar *name;
    while ((name = g_dir_read_name(dir)) != NULL) {
        g_autofree gchar *path = g_build_filename(job->out_dir, name, NULL);
        if (g_str_has_suffix(name, ".hsdb"))
            g_unlink(path);
    }
    g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new(
        G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
    g_subprocess_launcher_setenv(launcher, "BOT_BOTTLE_DLP_CACHE", job->out_dir, TRUE);
    g_subprocess_launcher_setenv(launcher, "BOT_BOTTLE_PLUGIN_PATH", job->plugin_dirs, TRUE);
    g_autofree gchar *data_dir = g_path_get_dirname(job->rules);
    g_subprocess_launcher_setenv(launcher, "BOT_BOTTLE_DATA_DIR", data_dir, TRUE);
    g_subprocess_launcher_unsetenv(launcher, "BOT_BOTTLE_SIDECAR_CONTRIB");
    /* Bounded: a program that does not know the option must not hang the build. */
    const gchar *argv[] = {"timeout", "60", job->program, "--precompile-dlp", NULL};
    g_autoptr(GError) local_error = NULL;
    g_autoptr(GSubprocess) process = g_subprocess_launcher_spawnv(launcher, argv, &local_error);
    g_autofree gchar *err = NULL;
    if (process != NULL)
        g_subprocess_communicate_utf8(process, NULL, NULL, NULL, &err, &local_error);
    /* Only speed is lost: the sidecar compiles at start instead. */
    if (local_error != NULL || !g_subprocess_get_successful(process))
        g_warning("the sidecar image carries no compiled rules (%s); bottles start slower",
                  local_error != NULL ? local_error->message
                  : err != NULL       ? err
                                      : "failed");
    return TRUE;
}

gchar *
bb_docker_backend_assemble_sidecar(BbDockerBackend *self, const gchar *program,
                                   const gchar *plugin_dirs, GError **error)
{
    if (!bb_docker_backend_ensure_client(self, error))
        return NULL;
    if (!g_file_test(program, G_FILE_TEST_IS_REGULAR)) {
        g_set_error(error, BB_ERROR, BB_ERROR_UNAVAILABLE,
                    "The sidecar program %s is missing: install bot-bottle completely, or point "
                    "BOT_BOTTLE_SIDECAR at a built bb-sidecar",
                    program);
        return NULL;
    }
    g_autoptr(GPtrArray) plugins = bb_docker_plugin_files(plugin_dirs);
    g_autofree gchar *config_dir = bb_config_dir();
    g_autofree gchar *contrib_dir = g_build_filename(config_dir, "contrib", NULL);
    g_autoptr(GPtrArray) contrib = bb_docker_contrib_candidates(contrib_dir);
    const gchar *programs[] = {program, NULL};
    g_autofree gchar *rules = bb_data_path("rules", NULL);
    const gchar *trees[] = {rules, BB_SIDECAR_DATA_DIR "/rules", NULL};
    const gchar *env[] = {"BOT_BOTTLE_PLUGIN_PATH=" BB_SIDECAR_PLUGIN_DIR,
                          "BOT_BOTTLE_SIDECAR_CONTRIB=" BB_SIDECAR_CONTRIB_DIR,
                          "BOT_BOTTLE_DATA_DIR=" BB_SIDECAR_DATA_DIR,
                          "BOT_BOTTLE_DLP_CACHE=" BB_SIDECAR_DATA_DIR "/dlp-cache", NULL};
    g_autofree gchar *dlp_dir =
        g_build_filename(g_get_user_cache_dir(), "bot-bottle", "sidecar-dlp", NULL);
    /* No cache dir to make them in (a read-only home): the sidecar compiles at start. */
    gboolean precompiled = g_mkdir_with_parents(dlp_dir, 0700) == 0;
    const gchar *derived[] = {dlp_dir, BB_SIDECAR_DATA_DIR "/dlp-cache", NULL};
    BbDlpPrecompile precompile = {program, plugin_dirs, rules, dlp_dir};
    const gchar *dirs[] = {BB_DOCKER_SIDECAR_STATE, NULL};
    BbDockerImageRecipe recipe = {
        .repository = "bot-bottle-sidecar",
        .programs = programs,
        .plugins = (const gchar *const *)plugins->pdata,
        .plugin_dir = BB_SIDECAR_PLUGIN_DIR,
        .trees = trees,
        .env = env,
        .uid = BB_SIDECAR_UID,
        .user_name = "bbsidecar",
        .dirs = dirs,
        .contrib_plugins = (const gchar *const *)contrib->pdata,
        .contrib_dir = BB_SIDECAR_CONTRIB_DIR,
        .derived_trees = precompiled ? derived : NULL,
        .derive = bb_docker_precompile_dlp,
        .derive_data = &precompile,
    };
    return bb_docker_image_assemble_cached(self->client, &recipe, bb_docker_sidecar_contrib_filter,
                                           contrib_dir, error);
}

static const gchar *
bb_docker_sidecar_program(void)
{
    const gchar *program = g_getenv("BOT_BOTTLE_SIDECAR");
    return program != NULL ? program : BB_DOCKER_SIDECAR_PROGRAM;
}

/* The sidecar loads the same built-in plugins as the CLI, and the
 * contrib detectors and auth schemes the CLI's loader accepts. */
static const gchar *
bb_docker_sidecar_plugin_dirs(void)
{
    const gchar *dirs = g_getenv("BOT_BOTTLE_SIDECAR_PLUGINS");
    if (dirs == NULL)
        dirs = g_getenv("BOT_BOTTLE_PLUGIN_PATH");
    return dirs != NULL ? dirs : BB_DOCKER_PLUGINDIR;
}

static gboolean
bb_docker_backend_prepare_images(BbBackend *backend, BbPlan *plan, BbProgressFunc progress,
                                 gpointer progress_data, GCancellable *cancellable, GError **error)
{
    BbDockerBackend *self = BB_DOCKER_BACKEND(backend);
    if (self->sidecar_image == NULL) {
        g_autofree gchar *ref = bb_docker_backend_assemble_sidecar(
            self, bb_docker_sidecar_program(), bb_docker_sidecar_plugin_dirs(), error);
        if (ref == NULL)
            return FALSE;
        bb_docker_backend_set_sidecar_image(self, ref);
    }
    const gchar *dockerfile = bb_plan_get_dockerfile(plan);
    if (dockerfile != NULL) {
        g_autofree gchar *ref = NULL;
        /* Nothing changed since the last start: neither the prepare
         * program (npm, docker CLI) nor a context hash runs. */
        g_autofree gchar *prepared = bb_dockerfile_prepared_cached(dockerfile);
        g_autofree gchar *key = prepared != NULL ? bb_docker_agent_context_key(prepared) : NULL;
        if (prepared != NULL &&
            !bb_docker_backend_find_agent_image(self, prepared, key, &ref, error))
            return FALSE;
        if (ref == NULL) {
            /* Fetch on the host what the offline build needs (npm packages). */
            g_free(prepared);
            prepared = bb_dockerfile_prepare(dockerfile, cancellable, error);
            if (prepared == NULL)
                return FALSE;
            ref = bb_docker_backend_build_agent_image(self, prepared, progress, progress_data,
                                                      cancellable, error);
            if (ref == NULL)
                return FALSE;
        }
        bb_docker_backend_set_agent_image(self, ref);
    }
    if (self->agent_image == NULL) {
        g_set_error(error, BB_ERROR, BB_ERROR_NOT_FOUND,
                    "No agent image for %s: give the bottle a Dockerfile "
                    "(agent_provider.dockerfile)",
                    bb_plan_get_agent_name(plan));
        return FALSE;
    }
    return TRUE;
}

static GPtrArray *
bb_docker_plan_env(BbPlan *plan)
{
    GPtrArray *env = g_ptr_array_new_with_free_func(g_free);
    GHashTable *values = bb_plan_get_env(plan);
    g_autoptr(GPtrArray) names = bb_plan_get_env_names(plan);
    for (guint i = 0; names != NULL && i < names->len; i++) {
        const gchar *name = g_ptr_array_index(names, i);
        g_ptr_array_add(
            env, g_strdup_printf("%s=%s", name, (const gchar *)g_hash_table_lookup(values, name)));
    }
    g_ptr_array_add(env, NULL);
    return env;
}

/* The bottle recipe for @plan; @env must outlive the spec. */
static gboolean
bb_docker_backend_spec(BbDockerBackend *self, BbPlan *plan, const BbLaunchOptions *options,
                       GPtrArray *env, BbDockerBottleSpec *spec, GError **error)
{
    const gchar *image =
        options != NULL && options->image != NULL ? options->image : self->agent_image;
    if (image == NULL || self->sidecar_image == NULL) {
        g_set_error(error, BB_ERROR, BB_ERROR_FAILED,
                    "Images are not prepared: call prepare_images before launch");
        return FALSE;
    }
    *spec = (BbDockerBottleSpec){
        .agent_name = bb_plan_get_agent_name(plan),
        .agent_image = image,
        .agent_env = (const gchar *const *)env->pdata,
        .sidecar_image = self->sidecar_image,
        .runtime = self->runtime,
    };
    return TRUE;
}

static gchar *
bb_docker_backend_launch(BbBackend *backend, BbPlan *plan, const BbLaunchOptions *options,
                         GCancellable *cancellable, GError **error)
{
    BbDockerBackend *self = BB_DOCKER_BACKEND(backend);
    if (!bb_docker_backend_ensure_client(self, error))
        return NULL;
    g_autoptr(GPtrArray) env = bb_docker_plan_env(plan);
    BbDockerBottleSpec spec;
    if (!bb_docker_backend_spec(self, plan, options, env, &spec, error))
        return NULL;
    g_autoptr(GBytes) upstream_ca = NULL;
    if (options != NULL && options->upstream_ca != NULL) {
        g_autoptr(GMappedFile) file = g_mapped_file_new(options->upstream_ca, FALSE, error);
        if (file == NULL) {
            g_prefix_error(error, "--upstream-ca: ");
            return NULL;
        }
        upstream_ca = g_mapped_file_get_bytes(file);
    }
    g_autofree gchar *routes = bb_routes_to_json_string(bb_plan_get_routes(plan), FALSE);
    spec.routes_json = routes;
    spec.resolve = options != NULL ? (const gchar *const *)options->resolve : NULL;
    spec.upstream_ca = upstream_ca;
    spec.secrets = options != NULL ? options->secrets : NULL;
    /* A warm bottle of this recipe, when one waits; else a new one. */
    g_autoptr(GError) claim_error = NULL;
    guint idle = 0;
    BbDockerBottle *bottle = bb_docker_pool_claim(self->client, &spec, &idle, &claim_error);
    if (claim_error != NULL)
        g_warning("no warm bottle could be claimed (%s); making a new one", claim_error->message);
    /* The pool keeps its size: the one taken is replaced meanwhile. */
    if (bottle != NULL && self->refill == NULL)
        self->refill = bb_docker_pool_refill(self->client, &spec, idle);
    if (bottle == NULL)
        bottle = bb_docker_bottle_launch(self->client, &spec, error);
    if (bottle == NULL)
        return NULL;
    g_hash_table_replace(self->bottles, g_strdup(bottle->slug), bottle);
    return g_strdup(bottle->slug);
}

static gboolean
bb_docker_backend_warm(BbBackend *backend, BbPlan *plan, guint count, guint *made, guint *removed,
                       GError **error)
{
    BbDockerBackend *self = BB_DOCKER_BACKEND(backend);
    if (!bb_docker_backend_ensure_client(self, error))
        return FALSE;
    g_autoptr(GPtrArray) env = bb_docker_plan_env(plan);
    BbDockerBottleSpec spec;
    return bb_docker_backend_spec(self, plan, NULL, env, &spec, error) &&
           bb_docker_pool_fill(self->client, &spec, count, made, removed, error);
}

static gboolean
bb_docker_backend_exec(BbBackend *backend, const gchar *slug, const gchar *const *argv,
                       gboolean interactive, gint *status, GError **error)
{
    BbDockerBackend *self = BB_DOCKER_BACKEND(backend);
    if (!bb_docker_backend_ensure_client(self, error))
        return FALSE;
    g_autofree gchar *agent = bb_docker_bottle_find_agent(self->client, slug, error);
    if (agent == NULL)
        return FALSE;
    /* A TTY only on a terminal. Otherwise our input is streamed: a TTY
     * exec never sees its input end (the engine only drops its output),
     * so a closed or finished stdin would leave the session hanging. */
    if (interactive && isatty(STDIN_FILENO))
        return bb_docker_exec_tty(self->client, agent, argv, NULL, STDIN_FILENO, STDOUT_FILENO,
                                  status, error);
    if (interactive)
        return bb_docker_exec_stream(self->client, agent, argv, NULL, STDIN_FILENO, status, error);
    return bb_docker_exec(self->client, agent, argv, NULL, NULL, NULL, NULL, status, error);
}

static BbBottleInfo *
bb_docker_bottle_info(JsonObject *container)
{
    JsonObject *labels = json_object_get_object_member(container, "Labels");
    BbBottleInfo *info = g_new0(BbBottleInfo, 1);
    info->slug =
        g_strdup(json_object_get_string_member_with_default(labels, BB_DOCKER_LABEL_SLUG, ""));
    info->agent =
        g_strdup(json_object_get_string_member_with_default(labels, BB_DOCKER_LABEL_AGENT, ""));
    info->backend = g_strdup("docker");
    /* A running bottle whose CLI is gone is what `cleanup` removes. */
    const gchar *state = json_object_get_string_member_with_default(container, "State", "");
    gboolean warm = FALSE;
    gboolean alive = bb_docker_container_owner_alive(container, &warm);
    info->state = g_strdup(warm ? "warm" : alive ? state : "orphaned");
    info->image = g_strdup(json_object_get_string_member_with_default(container, "Image", ""));
    info->created = json_object_get_int_member_with_default(container, "Created", 0);
    return info;
}

static GPtrArray *
bb_docker_backend_list(BbBackend *backend, GError **error)
{
    BbDockerBackend *self = BB_DOCKER_BACKEND(backend);
    if (!bb_docker_backend_ensure_client(self, error))
        return NULL;
    g_autoptr(JsonArray) containers =
        bb_docker_container_list(self->client, BB_DOCKER_LABEL_ROLE, "agent", error);
    if (containers == NULL)
        return NULL;
    GPtrArray *infos = g_ptr_array_new_with_free_func((GDestroyNotify)bb_bottle_info_free);
    for (guint i = 0; i < json_array_get_length(containers); i++)
        g_ptr_array_add(infos, bb_docker_bottle_info(json_array_get_object_element(containers, i)));
    return infos;
}

static gboolean
bb_docker_backend_stop(BbBackend *backend, const gchar *slug, GError **error)
{
    BbDockerBackend *self = BB_DOCKER_BACKEND(backend);
    if (!bb_docker_backend_ensure_client(self, error))
        return FALSE;
    if (!bb_docker_bottle_remove(self->client, slug, error))
        return FALSE;
    g_hash_table_remove(self->bottles, slug);
    return TRUE;
}

static gboolean
bb_docker_backend_cleanup(BbBackend *backend, const gchar *slug, GError **error)
{
    BbDockerBackend *self = BB_DOCKER_BACKEND(backend);
    if (slug != NULL)
        return bb_docker_backend_stop(backend, slug, error);
    if (!bb_docker_backend_ensure_client(self, error))
        return FALSE;
    return bb_docker_bottle_cleanup_orphans(self->client, NULL, error);
}

/* Sidecar and agent images no container uses, except the ones the
 * image cache names (what the current inputs produce) and ours. */
static GPtrArray *
bb_docker_backend_prune_images(BbBackend *backend, GError **error)
{
    BbDockerBackend *self = BB_DOCKER_BACKEND(backend);
    if (!bb_docker_backend_ensure_client(self, error))
        return NULL;
    g_autoptr(GPtrArray) keep = bb_image_cache_refs();
    if (self->sidecar_image != NULL)
        g_ptr_array_add(keep, g_strdup(self->sidecar_image));
    if (self->agent_image != NULL)
        g_ptr_array_add(keep, g_strdup(self->agent_image));
    g_ptr_array_add(keep, NULL);
    const gchar *repositories[] = {"bot-bottle-sidecar", "bot-bottle-agent", NULL};
    return bb_docker_image_prune(self->client, repositories, (const gchar *const *)keep->pdata,
                                 error);
}

static gchar *
bb_docker_backend_commit(BbBackend *backend, const gchar *slug, GError **error)
{
    BbDockerBackend *self = BB_DOCKER_BACKEND(backend);
    if (!bb_docker_backend_ensure_client(self, error))
        return NULL;
    g_autofree gchar *agent = bb_docker_bottle_find_agent(self->client, slug, error);
    if (agent == NULL)
        return NULL;
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    g_autofree gchar *stamp = g_date_time_format(now, "%Y%m%d%H%M%S");
    g_autofree gchar *tag = g_strdup_printf("%s-%s", slug, stamp);
    const gchar *labels[] = {"bot-bottle.committed-from", slug, NULL};
    g_autofree gchar *id =
        bb_docker_container_commit(self->client, agent, "bot-bottle-committed", tag, labels, error);
    if (id == NULL)
        return NULL;
    return g_strdup_printf("bot-bottle-committed:%s", tag);
}

static BbAgentTarget *
bb_docker_backend_get_target(BbBackend *backend, const gchar *slug, GError **error)
{
    BbDockerBackend *self = BB_DOCKER_BACKEND(backend);
    if (!bb_docker_backend_ensure_client(self, error))
        return NULL;
    g_autofree gchar *agent = bb_docker_bottle_find_agent(self->client, slug, error);
    if (agent == NULL)
        return NULL;
    g_autoptr(JsonObject) info = bb_docker_container_inspect(self->client, agent, error);
    if (info == NULL)
        return NULL;
    /* Files the provider writes for the agent belong to the agent's user. */
    JsonObject *config = json_object_get_object_member(info, "Config");
    const gchar *user = json_object_get_string_member_with_default(config, "User", "1000:1000");
    return BB_AGENT_TARGET(bb_docker_target_new(self->client, agent, user));
}

static void
bb_docker_backend_iface_init(BbBackendInterface *iface)
{
    iface->is_available = bb_docker_backend_is_available;
    iface->prepare_images = bb_docker_backend_prepare_images;
    iface->launch = bb_docker_backend_launch;
    iface->exec = bb_docker_backend_exec;
    iface->list = bb_docker_backend_list;
    iface->stop = bb_docker_backend_stop;
    iface->cleanup = bb_docker_backend_cleanup;
    iface->commit = bb_docker_backend_commit;
    iface->get_target = bb_docker_backend_get_target;
    iface->warm = bb_docker_backend_warm;
    iface->prune_images = bb_docker_backend_prune_images;
}
