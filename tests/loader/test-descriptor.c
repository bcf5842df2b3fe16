/* Descriptor validation on its own: the name and text-field rules at
 * their edges, without building a module per case. */
#include <string.h>

#include "bot-bottle.h"
#include "bb-plugin-descriptor.h"

static gboolean
dummy_register(BbRegistry *registry, GError **error)
{
    return TRUE;
}

static BbPluginDescriptor
valid_descriptor(void)
{
    BbPluginDescriptor descriptor = {
        .abi_major = BB_PLUGIN_ABI_MAJOR,
        .abi_minor = BB_PLUGIN_ABI_MINOR,
        .name = "ok",
        .version = "1.0",
        .license = "MIT",
        .description = NULL,
        .register_types = dummy_register,
    };
    return descriptor;
}

static void
test_name_rules(void)
{
    g_autofree gchar *max = g_strnfill(BB_PLUGIN_NAME_MAX, 'a');
    g_autofree gchar *too_long = g_strnfill(BB_PLUGIN_NAME_MAX + 1, 'a');
    const gchar *valid[] = {"a", "0", "a-b", "x9-", "bearer", max};
    const gchar *invalid[] = {"", "-a", "A", "a_b", "a.b", "a b", "a/b", "é", "a\n", too_long};

    for (gsize i = 0; i < G_N_ELEMENTS(valid); i++)
        g_assert_true(bb_plugin_name_is_valid(valid[i]));
    for (gsize i = 0; i < G_N_ELEMENTS(invalid); i++)
        g_assert_false(bb_plugin_name_is_valid(invalid[i]));
    g_assert_false(bb_plugin_name_is_valid(NULL));
}

/* An invalid name is echoed escaped and cut, never raw. */
static void
test_name_echo_escaped(void)
{
    g_autoptr(GError) error = NULL;
    BbPluginDescriptor descriptor = valid_descriptor();
    g_autofree gchar *huge = g_strnfill(4096, 'Z');

    descriptor.name = "\x1b[31mred";
    g_assert_false(bb_plugin_descriptor_validate(&descriptor, &error));
    g_assert_error(error, BB_ERROR, BB_ERROR_PLUGIN);
    g_assert_null(strchr(error->message, '\x1b'));
    g_assert_nonnull(strstr(error->message, "'\\033[31mred'"));
    g_clear_error(&error);

    descriptor.name = huge;
    g_assert_false(bb_plugin_descriptor_validate(&descriptor, &error));
    g_assert_cmpuint(strlen(error->message), <, 300);
}

static void
test_text_fields(void)
{
    g_autofree gchar *long_text = g_strnfill(257, 'v');
    g_autofree gchar *max_text = g_strnfill(256, 'v');
    struct {
        const gchar *version;
        const gchar *license;
        const gchar *description;
        const gchar *message; /* NULL: valid */
    } cases[] = {
        {"1.0", "MIT", NULL, NULL},
        {"1.0", "MIT", "Grüße, a one-line description", NULL},
        {max_text, "MIT", NULL, NULL},
        {NULL, "MIT", NULL,
         "the descriptor's version is missing; set .version to printable text of at most 256 "
         "bytes"},
        {"1.0", NULL, NULL,
         "the descriptor's license is missing; set .license to printable text of at most 256 "
         "bytes"},
        {"", "MIT", NULL,
         "the descriptor's version is not printable text; set .version to printable text of at "
         "most 256 bytes"},
        {long_text, "MIT", NULL,
         "the descriptor's version is not printable text; set .version to printable text of at "
         "most 256 bytes"},
        {"1.0\x1b[2J", "MIT", NULL,
         "the descriptor's version is not printable text; set .version to printable text of at "
         "most 256 bytes"},
        {"1.0", "MIT\xff", NULL,
         "the descriptor's license is not printable text; set .license to printable text of at "
         "most 256 bytes"},
        {"1.0", "MIT", "two\nlines",
         "the descriptor's description is not printable text; set .description to printable "
         "text of at most 256 bytes"},
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) error = NULL;
        BbPluginDescriptor descriptor = valid_descriptor();
        gboolean ok;

        descriptor.version = cases[i].version;
        descriptor.license = cases[i].license;
        descriptor.description = cases[i].description;
        ok = bb_plugin_descriptor_validate(&descriptor, &error);
        if (cases[i].message == NULL) {
            g_assert_no_error(error);
            g_assert_true(ok);
        } else {
            g_assert_false(ok);
            g_assert_error(error, BB_ERROR, BB_ERROR_PLUGIN);
            g_assert_cmpstr(error->message, ==, cases[i].message);
        }
    }
}

static void
test_abi_bounds(void)
{
    struct {
        guint32 major, minor;
        gboolean ok;
    } cases[] = {
        {BB_PLUGIN_ABI_MAJOR, BB_PLUGIN_ABI_MINOR, TRUE},      {BB_PLUGIN_ABI_MAJOR, 0, TRUE},
        {BB_PLUGIN_ABI_MAJOR, BB_PLUGIN_ABI_MINOR + 1, FALSE}, {BB_PLUGIN_ABI_MAJOR + 1, 0, FALSE},
        {BB_PLUGIN_ABI_MAJOR - 1, BB_PLUGIN_ABI_MINOR, FALSE}, {G_MAXUINT32, G_MAXUINT32, FALSE},
    };

    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GError) error = NULL;
        BbPluginDescriptor descriptor = valid_descriptor();

        descriptor.abi_major = cases[i].major;
        descriptor.abi_minor = cases[i].minor;
        g_assert_cmpint(bb_plugin_descriptor_validate(&descriptor, &error), ==, cases[i].ok);
        if (!cases[i].ok) {
            g_autofree gchar *built =
                g_strdup_printf("built for plugin ABI %u.%u,", cases[i].major, cases[i].minor);
            g_assert_true(g_str_has_prefix(error->message, built));
        }
    }
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_test_add_func("/loader/descriptor/name-rules", test_name_rules);
    g_test_add_func("/loader/descriptor/name-echo-escaped", test_name_echo_escaped);
    g_test_add_func("/loader/descriptor/text-fields", test_text_fields);
    g_test_add_func("/loader/descriptor/abi-bounds", test_abi_bounds);
    return g_test_run();
}
