/* `bot-bottle scan` without the rest of the CLI: registers the built-in
 * outbound detectors' types directly (no plugin loading) and, when
 * BB_TEST_SECRET_REFS names env vars, builds a plan holding them as the
 * bottle's secret references. The CLI test spawns this program. */
#include "bb-known-secrets-detector.h"
#include "bb-plan-private.h"
#include "bb-scan-cli.h"
#include "bb-token-patterns-detector.h"

int
main(int argc, char **argv)
{
    g_autoptr(BbRegistry) registry = bb_registry_new();
    g_autoptr(BbPlan) plan = NULL;
    const gchar *refs = g_getenv("BB_TEST_SECRET_REFS");

    g_assert_true(bb_registry_add(registry, BB_TYPE_DETECTOR, "token_patterns",
                                  BB_TYPE_TOKEN_PATTERNS_DETECTOR, 0, NULL));
    g_assert_true(bb_registry_add(registry, BB_TYPE_DETECTOR, "known_secrets",
                                  BB_TYPE_KNOWN_SECRETS_DETECTOR, 0, NULL));
    if (refs != NULL) {
        g_auto(GStrv) names = g_strsplit(refs, ",", -1);
        plan = bb_plan_new();
        for (guint i = 0; names[i] != NULL; i++)
            bb_plan_add_secret_ref(plan, names[i], "test");
        bb_plan_seal(plan);
    }
    /* argv[1] is "scan", the command name bb_scan_cli_run expects first. */
    return bb_scan_cli_run(registry, plan, argc - 1, argv + 1);
}
