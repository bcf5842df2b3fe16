/* The stat-keyed image cache on its own (no engine): what makes a key
 * change, what a recorded dependency change does, and that a damaged
 * cache file is only ever a miss. */
#include <glib/gstdio.h>
#include <string.h>
#include <utime.h>
#include "bb-docker-image-cache.h"

static gchar *
put(const gchar *name, const gchar *contents)
{
    gchar *path = g_build_filename(g_get_home_dir(), name, NULL);
    g_autofree gchar *dir = g_path_get_dirname(path);
    g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
    g_assert_true(g_file_set_contents(path, contents, -1, NULL));
    return path;
}

/* The key of a recipe naming @program and the tree @tree. */
static gchar *
key_of(const gchar *program, const gchar *tree, const gchar *env)
{
    g_autoptr(BbImageStamp) stamp = bb_image_stamp_new("test/1");
    bb_image_stamp_add_text(stamp, "env", env);
    bb_image_stamp_add_file(stamp, program);
    if (tree != NULL)
        bb_image_stamp_add_tree(stamp, tree);
    return bb_image_stamp_get_key(stamp);
}

static void
test_hit(void)
{
    g_autofree gchar *program = put("hit/program", "v1");
    g_autofree gchar *library = put("hit/lib/libx.so.1", "lib v1");
    g_autofree gchar *key = key_of(program, NULL, "A=1");
    g_assert_null(bb_image_cache_lookup("sidecar", key));
    const gchar *deps[] = {program, library, NULL};
    bb_image_cache_store("sidecar", key, "repo:aaaa", deps);
    g_autofree gchar *again = key_of(program, NULL, "A=1");
    g_assert_cmpstr(again, ==, key);
    g_autofree gchar *ref = bb_image_cache_lookup("sidecar", again);
    g_assert_cmpstr(ref, ==, "repo:aaaa");
    /* Another slot, or the same inputs under another recipe: no hit. */
    g_assert_null(bb_image_cache_lookup("agent /x/Dockerfile", key));
    g_autofree gchar *other_env = key_of(program, NULL, "A=2");
    g_assert_cmpstr(other_env, !=, key);
    g_assert_null(bb_image_cache_lookup("sidecar", other_env));
    /* The file is private to the user. */
    g_autofree gchar *path = bb_image_cache_path();
    g_assert_true(g_str_has_prefix(path, g_get_user_cache_dir()));
    g_autofree gchar *dir = g_path_get_dirname(path);
    GStatBuf st;
    g_assert_cmpint(g_stat(dir, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 077, ==, 0);
}

static void
test_miss_after_touch(void)
{
    g_autofree gchar *program = put("touch/program", "v1");
    g_autofree gchar *key = key_of(program, NULL, "");
    bb_image_cache_store("touch", key, "repo:bbbb", NULL);
    /* Same size and contents, only a newer mtime: still a new key. */
    GStatBuf st;
    g_assert_cmpint(g_stat(program, &st), ==, 0);
    struct utimbuf times = {st.st_atime, st.st_mtime + 1};
    g_assert_cmpint(g_utime(program, &times), ==, 0);
    g_autofree gchar *touched = key_of(program, NULL, "");
    g_assert_cmpstr(touched, !=, key);
    g_assert_null(bb_image_cache_lookup("touch", touched));
    /* Replaced by a file of the same size (new inode). */
    g_autofree gchar *replacement = put("touch/program.new", "v2");
    g_assert_cmpint(g_rename(replacement, program), ==, 0);
    g_autofree gchar *replaced = key_of(program, NULL, "");
    g_assert_cmpstr(replaced, !=, touched);
    /* Removed. */
    g_assert_cmpint(g_unlink(program), ==, 0);
    g_autofree gchar *removed = key_of(program, NULL, "");
    g_assert_cmpstr(removed, !=, replaced);
}

static void
test_tree(void)
{
    g_autofree gchar *program = put("tree/program", "p");
    g_autofree gchar *rules = put("tree/rules/a.json", "{}");
    g_autofree gchar *dir = g_path_get_dirname(rules);
    g_autofree gchar *key = key_of(program, dir, "");
    g_autofree gchar *same = key_of(program, dir, "");
    g_assert_cmpstr(same, ==, key);
    g_autofree gchar *added = put("tree/rules/sub/b.json", "{}");
    g_autofree gchar *with_new = key_of(program, dir, "");
    g_assert_cmpstr(with_new, !=, key);
    g_assert_true(g_file_set_contents(added, "{\"x\": 1}", -1, NULL));
    g_autofree gchar *changed = key_of(program, dir, "");
    g_assert_cmpstr(changed, !=, with_new);
}

/* Libraries are not in the key (ldd runs only on a miss): their stat is
 * recorded with the entry and checked on every hit. */
static void
test_miss_after_library_change(void)
{
    g_autofree gchar *program = put("lib/program", "p");
    g_autofree gchar *library = put("lib/libdep.so.1", "old");
    g_autofree gchar *key = key_of(program, NULL, "");
    const gchar *deps[] = {library, NULL};
    bb_image_cache_store("lib", key, "repo:cccc", deps);
    g_autofree gchar *hit = bb_image_cache_lookup("lib", key);
    g_assert_cmpstr(hit, ==, "repo:cccc");

    g_assert_true(g_file_set_contents(library, "new library", -1, NULL));
    g_assert_null(bb_image_cache_lookup("lib", key));
    /* Rebuilt and recorded again: a hit until the library goes away. */
    bb_image_cache_store("lib", key, "repo:dddd", deps);
    g_autofree gchar *rebuilt = bb_image_cache_lookup("lib", key);
    g_assert_cmpstr(rebuilt, ==, "repo:dddd");
    g_assert_cmpint(g_unlink(library), ==, 0);
    g_assert_null(bb_image_cache_lookup("lib", key));
}

static void
write_cache(const gchar *contents)
{
    g_autofree gchar *path = bb_image_cache_path();
    g_autofree gchar *dir = g_path_get_dirname(path);
    g_assert_cmpint(g_mkdir_with_parents(dir, 0700), ==, 0);
    g_assert_true(g_file_set_contents(path, contents, -1, NULL));
}

static void
test_corrupt_file(void)
{
    g_autofree gchar *program = put("corrupt/program", "p");
    g_autofree gchar *key = key_of(program, NULL, "");
    bb_image_cache_store("corrupt", key, "repo:eeee", NULL);
    g_autofree gchar *hit = bb_image_cache_lookup("corrupt", key);
    g_assert_cmpstr(hit, ==, "repo:eeee");

    g_autofree gchar *entry = g_strdup_printf("{\"key\": \"%s\", \"ref\": 7, \"deps\": {}}", key);
    const gchar *const broken[] = {
        "",
        "\x01\xff not json",
        "[1, 2]",
        "{\"version\": 1, \"slots\": []}",
        "{\"version\": \"1\", \"slots\": {}}",
        "{\"slots\": {\"corrupt\": {}}}",
        NULL,
    };
    for (guint i = 0; broken[i] != NULL; i++) {
        write_cache(broken[i]);
        g_assert_null(bb_image_cache_lookup("corrupt", key));
        g_autoptr(GPtrArray) refs = bb_image_cache_refs();
        g_assert_cmpuint(refs->len, ==, 0);
    }
    /* Right shape, wrong types inside. */
    g_autofree gchar *typed = g_strdup_printf("{\"version\": 1, \"slots\": {\"corrupt\": %s, "
                                              "\"other\": [1], \"deps\": {\"key\": \"%s\", "
                                              "\"ref\": \"r:1\", \"deps\": {\"/x\": 3}}}}",
                                              entry, key);
    write_cache(typed);
    g_assert_null(bb_image_cache_lookup("corrupt", key));
    g_assert_null(bb_image_cache_lookup("deps", key));
    /* A damaged file is replaced by the next store. */
    bb_image_cache_store("corrupt", key, "repo:ffff", NULL);
    g_autofree gchar *rewritten = bb_image_cache_lookup("corrupt", key);
    g_assert_cmpstr(rewritten, ==, "repo:ffff");
}

static void
test_slots_bounded(void)
{
    g_autofree gchar *path = bb_image_cache_path();
    g_unlink(path);
    /* One entry per slot: a rebuild replaces it. */
    bb_image_cache_store("sidecar", "k1", "repo:old", NULL);
    bb_image_cache_store("sidecar", "k2", "repo:new", NULL);
    g_autoptr(GPtrArray) refs = bb_image_cache_refs();
    g_assert_cmpuint(refs->len, ==, 1);
    g_assert_cmpstr(g_ptr_array_index(refs, 0), ==, "repo:new");
    /* Many Dockerfiles: the oldest entries go. */
    for (guint i = 0; i < 80; i++) {
        g_autofree gchar *slot = g_strdup_printf("agent /ctx-%u/Dockerfile", i);
        g_autofree gchar *ref = g_strdup_printf("repo:%u", i);
        bb_image_cache_store(slot, "k", ref, NULL);
    }
    g_autoptr(GPtrArray) bounded = bb_image_cache_refs();
    g_assert_cmpuint(bounded->len, ==, 64);
    g_assert_true(g_ptr_array_find_with_equal_func(bounded, "repo:79", g_str_equal, NULL));
    g_assert_false(g_ptr_array_find_with_equal_func(bounded, "repo:0", g_str_equal, NULL));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
    g_unsetenv("BOT_BOTTLE_CACHE_DIR");
    g_test_add_func("/docker/image-cache/hit", test_hit);
    g_test_add_func("/docker/image-cache/miss-after-touch", test_miss_after_touch);
    g_test_add_func("/docker/image-cache/tree", test_tree);
    g_test_add_func("/docker/image-cache/miss-after-library-change",
                    test_miss_after_library_change);
    g_test_add_func("/docker/image-cache/corrupt-file", test_corrupt_file);
    g_test_add_func("/docker/image-cache/slots-bounded", test_slots_bounded);
    return g_test_run();
}
