/* The plugin loader: every descriptor and file defect is a recorded
 * failure with an exact message, never a crash; good modules end up in
 * the registry and usable. Fixtures are copied into the isolated $HOME's
 * contrib directory with the modes each case needs. */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "bot-bottle.h"
#include "bb-registry-private.h"

static gchar *
fixture_path(const gchar *fixture)
{
    const gchar *dir = g_getenv("BB_TEST_FIXTURE_DIR");
    g_autofree gchar *file = g_strdup_printf("libfixture-%s.so", fixture);

    g_assert_nonnull(dir);
    return g_build_filename(dir, file, NULL);
}

static gchar *
contrib_dir(void)
{
    return g_build_filename(g_get_home_dir(), ".bot-bottle", "contrib", NULL);
}

static void
copy_file(const gchar *from, const gchar *to, mode_t mode)
{
    g_autoptr(GError) error = NULL;
    g_autofree gchar *contents = NULL;
    gsize length = 0;

    g_file_get_contents(from, &contents, &length, &error);
    g_assert_no_error(error);
    g_file_set_contents(to, contents, (gssize)length, &error);
    g_assert_no_error(error);
    g_assert_cmpint(chmod(to, mode), ==, 0);
}

/* Copies @fixture to <contrib>/<plugin_dir>/libfixture-<fixture>.so. */
static gchar *
install_fixture(const gchar *fixture, const gchar *plugin_dir, mode_t file_mode, mode_t dir_mode)
{
    g_autofree gchar *contrib = contrib_dir();
    g_autofree gchar *dir = g_build_filename(contrib, plugin_dir, NULL);
    g_autofree gchar *from = fixture_path(fixture);
    g_autofree gchar *base = g_path_get_basename(from);
    gchar *to = g_build_filename(dir, base, NULL);

    g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
    g_assert_cmpint(chmod(dir, dir_mode), ==, 0);
    copy_file(from, to, file_mode);
    return to;
}

/* Built-ins come from an empty directory so only contrib is exercised. */
static void
use_no_builtins(void)
{
    g_autofree gchar *empty = g_build_filename(g_get_home_dir(), "no-builtins", NULL);

    g_assert_cmpint(g_mkdir_with_parents(empty, 0755), ==, 0);
    g_setenv("BOT_BOTTLE_PLUGIN_PATH", empty, TRUE);
    g_unsetenv("BOT_BOTTLE_NO_CONTRIB");
}

static BbRegistry *
load_contrib(void)
{
    g_autoptr(GError) error = NULL;
    g_autofree gchar *contrib = contrib_dir();
    BbRegistry *registry = bb_registry_new();

    g_assert_true(bb_registry_load_all(registry, contrib, &error));
    g_assert_no_error(error);
    return registry;
}

static const BbPluginInfo *
find_info(BbRegistry *registry, const gchar *path)
{
    GPtrArray *plugins = bb_registry_get_plugins(registry);

    for (guint i = 0; i < plugins->len; i++) {
        const BbPluginInfo *info = g_ptr_array_index(plugins, i);
        if (g_strcmp0(info->path, path) == 0)
            return info;
    }
    g_error("no plugin info recorded for %s", path);
}

static void
assert_failed(BbRegistry *registry, const gchar *path, gint code, const gchar *message)
{
    const BbPluginInfo *info = find_info(registry, path);

    g_assert_cmpint(info->status, ==, BB_PLUGIN_STATUS_FAILED);
    g_assert_cmpint(info->origin, ==, BB_PLUGIN_ORIGIN_CONTRIB);
    g_assert_error(info->error, BB_ERROR, code);
    g_assert_cmpstr(info->error->message, ==, message);
    g_assert_null(info->kinds);
}

static void
assert_fixture_scheme_works(BbRegistry *registry)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(BbAuthScheme) scheme = NULL;
    g_autoptr(GPtrArray) headers = NULL;
    BbHeader *header;

    scheme = bb_registry_create(registry, BB_TYPE_AUTH_SCHEME, "x-fixture", &error);
    g_assert_no_error(error);
    g_assert_true(BB_IS_AUTH_SCHEME(scheme));
    headers = bb_auth_scheme_build_headers(scheme, "value-1", &error);
    g_assert_no_error(error);
    g_assert_cmpuint(headers->len, ==, 1);
    header = g_ptr_array_index(headers, 0);
    g_assert_cmpstr(header->name, ==, "X-Fixture");
    g_assert_cmpstr(header->value, ==, "value-1");
}

static void
test_contrib_good(void)
{
    g_autoptr(BbRegistry) registry = NULL;
    g_autofree gchar *path = NULL;
    const BbPluginInfo *info;

    use_no_builtins();
    path = install_fixture("good", "good", 0644, 0755);
    registry = load_contrib();
    info = find_info(registry, path);
    g_assert_cmpint(info->status, ==, BB_PLUGIN_STATUS_LOADED);
    g_assert_no_error(info->error);
    g_assert_cmpint(info->origin, ==, BB_PLUGIN_ORIGIN_CONTRIB);
    g_assert_cmpstr(info->name, ==, "fixture-good");
    g_assert_cmpstr(info->version, ==, "1.0");
    g_assert_cmpstr(info->license, ==, "Apache-2.0");
    g_assert_cmpstr(info->description, ==, "loader test fixture");
    g_assert_cmpuint(info->abi_major, ==, BB_PLUGIN_ABI_MAJOR);
    g_assert_cmpuint(info->abi_minor, ==, BB_PLUGIN_ABI_MINOR);
    g_assert_nonnull(info->kinds);
    g_assert_cmpuint(g_strv_length(info->kinds), ==, 1);
    g_assert_cmpstr(info->kinds[0], ==, "auth");
    g_assert_cmpstr(bb_registry_lookup(registry, BB_TYPE_AUTH_SCHEME, "x-fixture")->plugin, ==,
                    "fixture-good");
    assert_fixture_scheme_works(registry);
    g_assert_true(bb_registry_is_tainted(registry));
    g_assert_false(bb_registry_get_contrib_disabled(registry));
}

static void
test_contrib_none_untainted(void)
{
    g_autoptr(BbRegistry) registry = NULL;

    use_no_builtins();
    registry = load_contrib();
    g_assert_cmpuint(bb_registry_get_plugins(registry)->len, ==, 0);
    g_assert_false(bb_registry_is_tainted(registry));
}

/* Installs @fixture alone, loads, and checks the recorded failure
 * "<path>: <detail>"; a module that was opened taints the registry. */
static void
check_descriptor_failure(const gchar *fixture, const gchar *detail)
{
    g_autoptr(BbRegistry) registry = NULL;
    g_autofree gchar *path = NULL;
    g_autofree gchar *expected = NULL;
    g_autoptr(GPtrArray) auth = NULL;

    use_no_builtins();
    path = install_fixture(fixture, fixture, 0644, 0755);
    registry = load_contrib();
    expected = g_strdup_printf("%s: %s", path, detail);
    assert_failed(registry, path, BB_ERROR_PLUGIN, expected);
    g_assert_true(bb_registry_is_tainted(registry));
    auth = bb_registry_list(registry, BB_TYPE_AUTH_SCHEME);
    g_assert_cmpuint(auth->len, ==, 0);
}

static void
test_abi_major(void)
{
    g_autofree gchar *detail = g_strdup_printf(
        "built for plugin ABI %u.%u, but this bot-bottle accepts ABI %u.0 to %u.%u; rebuild the "
        "plugin against the installed bot-bottle-1 SDK",
        BB_PLUGIN_ABI_MAJOR + 1, BB_PLUGIN_ABI_MINOR, BB_PLUGIN_ABI_MAJOR, BB_PLUGIN_ABI_MAJOR,
        BB_PLUGIN_ABI_MINOR);
    check_descriptor_failure("abi-major", detail);
}

/* A refused plugin still shows which ABI it was built for. */
static void
test_abi_recorded(void)
{
    g_autoptr(BbRegistry) registry = NULL;
    g_autofree gchar *path = NULL;
    const BbPluginInfo *info;

    use_no_builtins();
    path = install_fixture("abi-minor", "abi-minor", 0644, 0755);
    registry = load_contrib();
    info = find_info(registry, path);
    g_assert_cmpint(info->status, ==, BB_PLUGIN_STATUS_FAILED);
    g_assert_cmpuint(info->abi_major, ==, BB_PLUGIN_ABI_MAJOR);
    g_assert_cmpuint(info->abi_minor, ==, BB_PLUGIN_ABI_MINOR + 1);
    g_assert_cmpstr(info->name, ==, "libfixture-abi-minor.so");
}

static void
test_abi_minor(void)
{
    g_autofree gchar *detail = g_strdup_printf(
        "built for plugin ABI %u.%u, but this bot-bottle accepts ABI %u.0 to %u.%u; rebuild the "
        "plugin against the installed bot-bottle-1 SDK",
        BB_PLUGIN_ABI_MAJOR, BB_PLUGIN_ABI_MINOR + 1, BB_PLUGIN_ABI_MAJOR, BB_PLUGIN_ABI_MAJOR,
        BB_PLUGIN_ABI_MINOR);
    check_descriptor_failure("abi-minor", detail);
}

static void
test_no_entry(void)
{
    check_descriptor_failure("no-entry", "no bb_plugin_get_descriptor() is exported; define the "
                                         "plugin with BB_PLUGIN_DEFINE()");
}

static void
test_null_descriptor(void)
{
    check_descriptor_failure("null-descriptor",
                             "bb_plugin_get_descriptor() returned NULL; return the descriptor "
                             "BB_PLUGIN_DEFINE() builds");
}

static void
test_null_name(void)
{
    check_descriptor_failure("null-name",
                             "the descriptor has no name; set .name in BB_PLUGIN_DEFINE()");
}

static void
test_bad_name(void)
{
    check_descriptor_failure("bad-name", "the plugin name 'Bad_Name' is invalid; use 1 to 64 "
                                         "characters of a-z, 0-9 and '-', not starting with '-'");
}

static void
test_null_register(void)
{
    check_descriptor_failure("null-register", "the descriptor has no register_types function; set "
                                              ".register_types in BB_PLUGIN_DEFINE()");
}

static void
test_register_false(void)
{
    check_descriptor_failure("register-false",
                             "register_types() failed: the fixture refuses to register");
}

static void
test_half_register(void)
{
    check_descriptor_failure("half-register",
                             "register_types() failed: plugin fixture-half registered auth "
                             "'x-half', which plugin fixture-half already provides");
}

static void
test_missing_symbol(void)
{
    g_autoptr(BbRegistry) registry = NULL;
    g_autofree gchar *path = NULL;
    g_autofree gchar *prefix = NULL;
    const BbPluginInfo *info;

    use_no_builtins();
    path = install_fixture("missing-symbol", "missing-symbol", 0644, 0755);
    registry = load_contrib();
    info = find_info(registry, path);
    g_assert_cmpint(info->status, ==, BB_PLUGIN_STATUS_FAILED);
    g_assert_error(info->error, BB_ERROR, BB_ERROR_PLUGIN);
    /* The rest is the dynamic linker's wording. */
    prefix = g_strdup_printf("%s: cannot load: ", path);
    g_assert_true(g_str_has_prefix(info->error->message, prefix));
    g_assert_nonnull(strstr(info->error->message, "bb_fixture_symbol_nobody_defines"));
    g_assert_true(bb_registry_is_tainted(registry));
}

/* Files that are not loadable modules at all: each gets a clear error,
 * none is handed to the dynamic linker (a truncated one would crash it
 * with SIGBUS), so none taints. */
static gchar *
write_junk(const gchar *dir, const gchar *file, const gchar *content, gsize length)
{
    gchar *path = g_build_filename(dir, file, NULL);

    g_assert_true(g_file_set_contents(path, content, (gssize)length, NULL));
    g_assert_cmpint(chmod(path, 0644), ==, 0);
    return path;
}

static void
assert_junk_error(BbRegistry *registry, const gchar *path, const gchar *detail)
{
    g_autofree gchar *expected = g_strdup_printf("%s: %s", path, detail);
    assert_failed(registry, path, BB_ERROR_PLUGIN, expected);
}

static void
test_not_a_module(void)
{
    g_autofree gchar *good = fixture_path("good");
    g_autofree gchar *elf = NULL;
    g_autofree gchar *text = g_strnfill(200, 'x');
    g_autofree gchar *contrib = contrib_dir();
    g_autofree gchar *dir = g_build_filename(contrib, "junk", NULL);
    g_autofree gchar *empty = NULL, *not_elf = NULL, *truncated = NULL;
    g_autofree gchar *other_machine = NULL, *executable = NULL;
    g_autofree gchar *machine_detail = NULL, *truncated_prefix = NULL;
    g_autoptr(BbRegistry) registry = NULL;
    gsize elf_length = 0;
    guint16 native_machine, fake_machine = 0x1234, exec_type = 2 /* ET_EXEC */;
    const BbPluginInfo *info;

    use_no_builtins();
    g_assert_true(g_file_get_contents(good, &elf, &elf_length, NULL));
    g_assert_cmpuint(elf_length, >, 4096);
    g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
    empty = write_junk(dir, "libempty.so", "", 0);
    not_elf = write_junk(dir, "libtext.so", text, 200);
    truncated = write_junk(dir, "libtruncated.so", elf, 4096);
    /* e_type is at byte 16 and e_machine at 18 of the ELF header. */
    memcpy(&native_machine, elf + 18, sizeof(native_machine));
    memcpy(elf + 18, &fake_machine, sizeof(fake_machine));
    other_machine = write_junk(dir, "libother-machine.so", elf, elf_length);
    memcpy(elf + 18, &native_machine, sizeof(native_machine));
    memcpy(elf + 16, &exec_type, sizeof(exec_type));
    executable = write_junk(dir, "libexecutable.so", elf, elf_length);

    registry = load_contrib();
    assert_junk_error(registry, empty,
                      "too short to be a shared library; reinstall or rebuild the plugin");
    assert_junk_error(registry, not_elf,
                      "not an ELF shared library; build the plugin as a shared module");
    machine_detail = g_strdup_printf("built for another machine (ELF class %u, machine %u; this is "
                                     "class %u, machine %u); rebuild the plugin here",
                                     (guint)(guchar)elf[4], (guint)fake_machine,
                                     (guint)(guchar)elf[4], (guint)native_machine);
    assert_junk_error(registry, other_machine, machine_detail);
    assert_junk_error(registry, executable,
                      "not a shared library (ELF type 2); build the plugin as a shared module");
    info = find_info(registry, truncated);
    g_assert_cmpint(info->status, ==, BB_PLUGIN_STATUS_FAILED);
    truncated_prefix =
        g_strdup_printf("%s: truncated: 4096 bytes, but its segments need ", truncated);
    g_assert_true(g_str_has_prefix(info->error->message, truncated_prefix));
    g_assert_true(g_str_has_suffix(info->error->message, "; reinstall or rebuild the plugin"));
    g_assert_false(bb_registry_is_tainted(registry));
}

static void
test_duplicate(void)
{
    g_autoptr(BbRegistry) registry = NULL;
    g_autofree gchar *first = NULL;
    g_autofree gchar *second = NULL;
    g_autofree gchar *expected = NULL;

    use_no_builtins();
    first = install_fixture("good", "a-first", 0644, 0755);
    second = install_fixture("duplicate", "b-second", 0644, 0755);
    registry = load_contrib();
    g_assert_cmpint(find_info(registry, first)->status, ==, BB_PLUGIN_STATUS_LOADED);
    expected = g_strdup_printf("%s: a plugin named 'fixture-good' is already loaded from %s; "
                               "remove one of the two",
                               second, first);
    assert_failed(registry, second, BB_ERROR_PLUGIN, expected);
    assert_fixture_scheme_works(registry);
}

/* The next cases fail before the module is opened: not tainted. */
static void
check_file_failure(BbRegistry *registry, const gchar *path, const gchar *expected)
{
    assert_failed(registry, path, BB_ERROR_PERMISSION, expected);
    g_assert_false(bb_registry_is_tainted(registry));
    g_assert_null(bb_registry_lookup(registry, BB_TYPE_AUTH_SCHEME, "x-fixture"));
}

static void
test_world_writable_file(void)
{
    g_autoptr(BbRegistry) registry = NULL;
    g_autofree gchar *path = NULL;
    g_autofree gchar *expected = NULL;

    use_no_builtins();
    path = install_fixture("good", "good", 0666, 0755);
    registry = load_contrib();
    expected = g_strdup_printf("%s is writable by group or others (mode 0666); run chmod go-w %s",
                               path, path);
    check_file_failure(registry, path, expected);
}

static void
test_group_writable_dir(void)
{
    g_autoptr(BbRegistry) registry = NULL;
    g_autofree gchar *path = NULL;
    g_autofree gchar *dir = NULL;
    g_autofree gchar *expected = NULL;

    use_no_builtins();
    path = install_fixture("good", "good", 0644, 0775);
    dir = g_path_get_dirname(path);
    registry = load_contrib();
    expected = g_strdup_printf(
        "directory %s is writable by group or others (mode 0775); run chmod go-w %s", dir, dir);
    check_file_failure(registry, path, expected);
}

/* Whoever can write the contrib directory can swap a plugin's directory. */
static void
test_writable_contrib_root(void)
{
    g_autoptr(BbRegistry) registry = NULL;
    g_autofree gchar *contrib = contrib_dir();
    g_autofree gchar *path = NULL;
    g_autofree gchar *expected = NULL;
    const BbPluginInfo *info;

    use_no_builtins();
    path = install_fixture("good", "good", 0644, 0755);
    g_assert_cmpint(chmod(contrib, 0777), ==, 0);
    registry = load_contrib();
    g_assert_cmpuint(bb_registry_get_plugins(registry)->len, ==, 1);
    info = find_info(registry, contrib);
    g_assert_cmpint(info->status, ==, BB_PLUGIN_STATUS_FAILED);
    expected = g_strdup_printf("no contrib plugin is loaded: directory %s is writable by group or "
                               "others (mode 0777); run chmod go-w %s",
                               contrib, contrib);
    g_assert_error(info->error, BB_ERROR, BB_ERROR_PERMISSION);
    g_assert_cmpstr(info->error->message, ==, expected);
    g_assert_false(bb_registry_is_tainted(registry));
    g_assert_null(bb_registry_lookup(registry, BB_TYPE_AUTH_SCHEME, "x-fixture"));
}

static void
test_symlink(void)
{
    g_autoptr(BbRegistry) registry = NULL;
    g_autofree gchar *contrib = contrib_dir();
    g_autofree gchar *dir = g_build_filename(contrib, "link", NULL);
    g_autofree gchar *path = g_build_filename(dir, "libfixture-good.so", NULL);
    g_autofree gchar *target = fixture_path("good");
    g_autofree gchar *expected = NULL;

    use_no_builtins();
    g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
    g_assert_cmpint(symlink(target, path), ==, 0);
    registry = load_contrib();
    expected = g_strdup_printf(
        "%s is a symbolic link; copy the module itself into the contrib directory", path);
    check_file_failure(registry, path, expected);
}

static void
test_not_regular(void)
{
    g_autoptr(BbRegistry) registry = NULL;
    g_autofree gchar *contrib = contrib_dir();
    g_autofree gchar *dir = g_build_filename(contrib, "fifo", NULL);
    g_autofree gchar *path = g_build_filename(dir, "libfifo.so", NULL);
    g_autofree gchar *expected = NULL;

    use_no_builtins();
    g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
    g_assert_cmpint(mkfifo(path, 0644), ==, 0);
    registry = load_contrib();
    expected = g_strdup_printf(
        "%s is not a regular file; remove it or replace it with the module file", path);
    check_file_failure(registry, path, expected);
}

static void
test_other_owner(void)
{
    const uid_t nobody = 65534;
    g_autoptr(BbRegistry) registry = NULL;
    g_autofree gchar *path = NULL;
    g_autofree gchar *expected = NULL;

    if (getuid() != 0) {
        g_test_skip("chown to another user needs root; run the suite as root to cover this");
        return;
    }
    use_no_builtins();
    path = install_fixture("good", "good", 0644, 0755);
    g_assert_cmpint(chown(path, nobody, (gid_t)-1), ==, 0);
    registry = load_contrib();
    expected =
        g_strdup_printf("%s is owned by uid %u, not by you (uid %u) or root; run chown %u %s", path,
                        (guint)nobody, (guint)getuid(), (guint)getuid(), path);
    check_file_failure(registry, path, expected);
}

static void
test_relative_path(void)
{
    g_autoptr(BbRegistry) registry = bb_registry_new();
    g_autoptr(GError) error = NULL;

    g_assert_false(
        bb_registry_load_file(registry, "contrib/x/libx.so", BB_PLUGIN_ORIGIN_CONTRIB, &error));
    g_assert_error(error, BB_ERROR, BB_ERROR_PERMISSION);
    g_assert_cmpstr(error->message, ==,
                    "contrib/x/libx.so is not an absolute path; give the full path to the module");
    g_assert_false(bb_registry_is_tainted(registry));
}

static void
test_misplaced(void)
{
    g_autoptr(BbRegistry) registry = NULL;
    g_autofree gchar *contrib = contrib_dir();
    g_autofree gchar *path = g_build_filename(contrib, "libstray.so", NULL);
    g_autofree gchar *from = fixture_path("good");
    g_autofree gchar *expected = NULL;

    use_no_builtins();
    g_assert_cmpint(g_mkdir_with_parents(contrib, 0755), ==, 0);
    copy_file(from, path, 0644);
    registry = load_contrib();
    expected = g_strdup_printf("%s is not loaded: contrib modules go in a directory of their own; "
                               "move it to %s/libstray/",
                               path, contrib);
    assert_failed(registry, path, BB_ERROR_PLUGIN, expected);
    g_assert_false(bb_registry_is_tainted(registry));
}

static void
test_no_contrib(void)
{
    g_autoptr(BbRegistry) registry = NULL;
    g_autofree gchar *path = NULL;
    const BbPluginInfo *info;

    use_no_builtins();
    path = install_fixture("good", "good", 0644, 0755);
    g_setenv("BOT_BOTTLE_NO_CONTRIB", "1", TRUE);
    registry = load_contrib();
    info = find_info(registry, path);
    g_assert_cmpint(info->status, ==, BB_PLUGIN_STATUS_DISABLED);
    g_assert_no_error(info->error);
    g_assert_true(bb_registry_get_contrib_disabled(registry));
    g_assert_false(bb_registry_is_tainted(registry));
    g_assert_null(bb_registry_lookup(registry, BB_TYPE_AUTH_SCHEME, "x-fixture"));
}

/* Control for the above: "0" and "" mean contrib stays on. */
static void
test_no_contrib_zero(void)
{
    const gchar *values[] = {"0", ""};

    for (gsize i = 0; i < G_N_ELEMENTS(values); i++) {
        g_autoptr(BbRegistry) registry = NULL;
        g_autofree gchar *dir = g_strdup_printf("good-%" G_GSIZE_FORMAT, i);
        g_autofree gchar *path = NULL;

        use_no_builtins();
        path = install_fixture("good", dir, 0644, 0755);
        g_setenv("BOT_BOTTLE_NO_CONTRIB", values[i], TRUE);
        registry = load_contrib();
        g_assert_cmpint(find_info(registry, path)->status, ==, BB_PLUGIN_STATUS_LOADED);
        g_assert_false(bb_registry_get_contrib_disabled(registry));
        g_assert_true(bb_registry_is_tainted(registry));
        g_unsetenv("BOT_BOTTLE_NO_CONTRIB");
        /* Gone before the next round, which would see a duplicate. */
        g_assert_cmpint(g_unlink(path), ==, 0);
    }
}

/* Built-ins: BOT_BOTTLE_PLUGIN_PATH lists directories of modules. */
static gchar *
make_builtin_dir(const gchar *name, const gchar *fixture)
{
    g_autofree gchar *from = fixture_path(fixture);
    g_autofree gchar *base = g_path_get_basename(from);
    gchar *dir = g_build_filename(g_get_home_dir(), name, NULL);
    g_autofree gchar *to = g_build_filename(dir, base, NULL);

    g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
    copy_file(from, to, 0644);
    return dir;
}

static void
test_builtin_good(void)
{
    g_autoptr(BbRegistry) registry = bb_registry_new();
    g_autoptr(GError) error = NULL;
    g_autofree gchar *dir = make_builtin_dir("builtin", "good");
    g_autofree gchar *empty = g_build_filename(g_get_home_dir(), "empty", NULL);
    g_autofree gchar *search = g_strdup_printf("%s::%s", empty, dir);
    g_autofree gchar *path = g_build_filename(dir, "libfixture-good.so", NULL);
    const BbPluginInfo *info;

    g_assert_cmpint(g_mkdir_with_parents(empty, 0755), ==, 0);
    g_setenv("BOT_BOTTLE_PLUGIN_PATH", search, TRUE);
    g_unsetenv("BOT_BOTTLE_NO_CONTRIB");
    g_assert_true(bb_registry_load_all(registry, NULL, &error));
    g_assert_no_error(error);
    info = find_info(registry, path);
    g_assert_cmpint(info->status, ==, BB_PLUGIN_STATUS_LOADED);
    g_assert_cmpint(info->origin, ==, BB_PLUGIN_ORIGIN_BUILTIN);
    assert_fixture_scheme_works(registry);
    g_assert_false(bb_registry_is_tainted(registry));
}

static void
test_builtin_broken(void)
{
    g_autoptr(BbRegistry) registry = bb_registry_new();
    g_autoptr(GError) error = NULL;
    g_autofree gchar *good = make_builtin_dir("builtin-good", "good");
    g_autofree gchar *broken = make_builtin_dir("builtin-broken", "abi-major");
    g_autofree gchar *search = g_strdup_printf("%s:%s", good, broken);
    g_autofree gchar *path = g_build_filename(broken, "libfixture-abi-major.so", NULL);
    g_autofree gchar *expected = NULL;
    g_autofree gchar *contrib = contrib_dir();
    g_free(install_fixture("good", "good", 0644, 0755));

    g_setenv("BOT_BOTTLE_PLUGIN_PATH", search, TRUE);
    g_unsetenv("BOT_BOTTLE_NO_CONTRIB");
    g_assert_false(bb_registry_load_all(registry, contrib, &error));
    expected = g_strdup_printf(
        "a built-in plugin is broken (reinstall bot-bottle): %s: built for plugin ABI %u.%u, but "
        "this bot-bottle accepts ABI %u.0 to %u.%u; rebuild the plugin against the installed "
        "bot-bottle-1 SDK",
        path, BB_PLUGIN_ABI_MAJOR + 1, BB_PLUGIN_ABI_MINOR, BB_PLUGIN_ABI_MAJOR,
        BB_PLUGIN_ABI_MAJOR, BB_PLUGIN_ABI_MINOR);
    g_assert_error(error, BB_ERROR, BB_ERROR_PLUGIN);
    g_assert_cmpstr(error->message, ==, expected);
    g_assert_cmpint(find_info(registry, path)->status, ==, BB_PLUGIN_STATUS_FAILED);
    /* Loading stops at the broken built-in: contrib is never reached. */
    g_assert_false(bb_registry_is_tainted(registry));
}

static void
test_builtin_missing_dir(void)
{
    g_autoptr(BbRegistry) registry = bb_registry_new();
    g_autoptr(GError) error = NULL;
    g_autofree gchar *missing = g_build_filename(g_get_home_dir(), "does-not-exist", NULL);
    g_autofree gchar *expected = NULL;

    g_setenv("BOT_BOTTLE_PLUGIN_PATH", missing, TRUE);
    g_assert_false(bb_registry_load_all(registry, NULL, &error));
    g_assert_error(error, BB_ERROR, BB_ERROR_PLUGIN);
    expected = g_strdup_printf("cannot read the built-in plugin directory %s (No such file or "
                               "directory); set BOT_BOTTLE_PLUGIN_PATH or reinstall bot-bottle",
                               missing);
    g_assert_cmpstr(error->message, ==, expected);
}

int
main(int argc, char **argv)
{
    umask(022);
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

    g_test_add_func("/loader/contrib/good", test_contrib_good);
    g_test_add_func("/loader/contrib/none-untainted", test_contrib_none_untainted);
    g_test_add_func("/loader/contrib/duplicate", test_duplicate);
    g_test_add_func("/loader/contrib/misplaced", test_misplaced);
    g_test_add_func("/loader/contrib/disabled", test_no_contrib);
    g_test_add_func("/loader/contrib/disabled-zero", test_no_contrib_zero);
    g_test_add_func("/loader/descriptor/abi-major", test_abi_major);
    g_test_add_func("/loader/descriptor/abi-minor", test_abi_minor);
    g_test_add_func("/loader/descriptor/abi-recorded", test_abi_recorded);
    g_test_add_func("/loader/descriptor/no-entry", test_no_entry);
    g_test_add_func("/loader/descriptor/null-descriptor", test_null_descriptor);
    g_test_add_func("/loader/descriptor/null-name", test_null_name);
    g_test_add_func("/loader/descriptor/bad-name", test_bad_name);
    g_test_add_func("/loader/descriptor/null-register", test_null_register);
    g_test_add_func("/loader/descriptor/register-false", test_register_false);
    g_test_add_func("/loader/descriptor/half-register", test_half_register);
    g_test_add_func("/loader/descriptor/missing-symbol", test_missing_symbol);
    g_test_add_func("/loader/descriptor/not-a-module", test_not_a_module);
    g_test_add_func("/loader/file/world-writable", test_world_writable_file);
    g_test_add_func("/loader/file/group-writable-dir", test_group_writable_dir);
    g_test_add_func("/loader/file/writable-contrib-dir", test_writable_contrib_root);
    g_test_add_func("/loader/file/symlink", test_symlink);
    g_test_add_func("/loader/file/not-regular", test_not_regular);
    g_test_add_func("/loader/file/other-owner", test_other_owner);
    g_test_add_func("/loader/file/relative-path", test_relative_path);
    g_test_add_func("/loader/builtin/good", test_builtin_good);
    g_test_add_func("/loader/builtin/broken", test_builtin_broken);
    g_test_add_func("/loader/builtin/missing-dir", test_builtin_missing_dir);
    return g_test_run();
}
