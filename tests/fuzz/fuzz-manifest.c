/* libFuzzer target: any bytes, parsed as both a bottle and an agent
 * manifest, must give diagnostics and never crash, hang or leak. */
#include <stdint.h>

#include "bb-manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GPtrArray) diagnostics = bb_diagnostics_new();
    g_autoptr(BbBottleManifest) bottle = NULL;
    g_autoptr(BbAgentManifest) agent = NULL;

    bottle = bb_bottle_manifest_parse("/fuzz/bottles/fuzz.md", "fuzz", (const gchar *)data, size,
                                      diagnostics);
    agent = bb_agent_manifest_parse("/fuzz/agents/fuzz.md", "fuzz", BB_ORIGIN_REPO,
                                    (const gchar *)data, size, diagnostics);
    for (guint i = 0; i < diagnostics->len; i++) {
        g_autofree gchar *line = bb_diagnostic_to_string(g_ptr_array_index(diagnostics, i));
        g_assert(g_utf8_validate(line, -1, NULL));
    }
    /* Error counts must agree with the diagnostics produced. */
    g_assert(bottle->n_errors + agent->n_errors == bb_diagnostics_count_errors(diagnostics));
    return 0;
}
