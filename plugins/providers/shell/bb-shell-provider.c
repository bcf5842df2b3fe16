/* The shell provider: no agent product. The bottle runs a shell, or the
 * command given to `bot-bottle run`, in the image the bottle's
 * agent_provider.dockerfile describes (default: a small Debian image).
 * Used to run any tool in a bottle, and by our own end-to-end tests. */
#include <bot-bottle.h>

#define BB_TYPE_SHELL_PROVIDER (bb_shell_provider_get_type())
G_DECLARE_FINAL_TYPE(BbShellProvider, bb_shell_provider, BB, SHELL_PROVIDER, GObject)

struct _BbShellProvider {
    GObject parent_instance;
};

static void bb_shell_provider_iface_init(BbAgentProviderInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE(BbShellProvider, bb_shell_provider, G_TYPE_OBJECT,
                              G_IMPLEMENT_INTERFACE(BB_TYPE_AGENT_PROVIDER,
                                                    bb_shell_provider_iface_init))

static gchar *
bb_shell_provider_get_default_dockerfile(BbAgentProvider *provider, GError **error)
{
    g_autofree gchar *path = bb_data_path("providers", "shell", "Dockerfile", NULL);
    if (!g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
        g_set_error(error, BB_ERROR, BB_ERROR_NOT_FOUND,
                    "the shell provider's Dockerfile %s is missing; reinstall bot-bottle", path);
        return NULL;
    }
    return g_steal_pointer(&path);
}

static GStrv
bb_shell_provider_build_command(BbAgentProvider *provider, BbPlan *plan, const gchar *const *extra)
{
    g_autoptr(GStrvBuilder) argv = g_strv_builder_new();
    if (extra != NULL && extra[0] != NULL)
        g_strv_builder_addv(argv, (const gchar **)extra);
    else
        g_strv_builder_add_many(argv, "/bin/bash", "-l", NULL);
    return g_strv_builder_end(argv);
}

static void
bb_shell_provider_iface_init(BbAgentProviderInterface *iface)
{
    iface->get_default_dockerfile = bb_shell_provider_get_default_dockerfile;
    iface->build_command = bb_shell_provider_build_command;
}

static void
bb_shell_provider_class_init(BbShellProviderClass *klass)
{
}

static void
bb_shell_provider_init(BbShellProvider *self)
{
}

static gboolean
bb_shell_register(BbRegistry *registry, GError **error)
{
    return bb_registry_add(registry, BB_TYPE_AGENT_PROVIDER, "shell", BB_TYPE_SHELL_PROVIDER, 0,
                           error);
}

BB_PLUGIN_DEFINE(.name = "shell", .version = BB_VERSION, .license = "Apache-2.0",
                 .description = "a shell or any command in a bottle; no agent product",
                 .register_types = bb_shell_register)
