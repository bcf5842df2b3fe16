/* The core defaults of the provisioning slots (bb-agent-provider.h): what
 * a provider gets unless its agent reads these things elsewhere. The
 * prompt and skills go under /etc/bot-bottle/, beside the bottle CA, where
 * any agent can read and none can change them; git identity goes to the
 * agent user's global git config. */
#include "bb-agent-provision-private.h"

#include "bb-error.h"

#define BB_PROVISION_DIR "/etc/bot-bottle"

static gboolean
bb_provision_git_config(BbAgentTarget *target, const gchar *key, const gchar *value, GError **error)
{
    if (value == NULL)
        return TRUE;
    const gchar *argv[] = {"git", "config", "--global", key, value, NULL};
    gint status = -1;
    if (!bb_agent_target_exec(target, argv, FALSE, &status, error))
        return FALSE;
    if (status != 0) {
        g_set_error(error, BB_ERROR, BB_ERROR_FAILED,
                    "git config %s exited with %d: install git in the agent image, or drop "
                    "git.user from the bottle",
                    key, status);
        return FALSE;
    }
    return TRUE;
}

gboolean
bb_agent_provision_default_git(BbPlan *plan, BbAgentTarget *target, GError **error)
{
    return bb_provision_git_config(target, "user.name", bb_plan_get_git_user_name(plan), error) &&
           bb_provision_git_config(target, "user.email", bb_plan_get_git_user_email(plan), error);
}

gboolean
bb_agent_provision_default_prompt(BbPlan *plan, BbAgentTarget *target, GError **error)
{
    const gchar *prompt = bb_plan_get_prompt(plan);
    if (prompt == NULL || prompt[0] == '\0')
        return TRUE;
    g_autoptr(GBytes) contents = g_bytes_new(prompt, strlen(prompt));
    return bb_agent_target_write_file(target, BB_PROVISION_DIR "/prompt.md", contents, 0644, TRUE,
                                      error);
}

gboolean
bb_agent_provision_default_skills(BbPlan *plan, BbAgentTarget *target, GError **error)
{
    GPtrArray *skills = bb_plan_get_skills(plan);
    for (guint i = 0; skills != NULL && i < skills->len; i++) {
        const BbSkill *skill = g_ptr_array_index(skills, i);
        g_autofree gchar *dir = g_strdup_printf(BB_PROVISION_DIR "/skills/%s", skill->name);
        if (!bb_agent_target_copy_dir(target, skill->path, dir, error)) {
            g_prefix_error(error, "skill %s: ", skill->name);
            return FALSE;
        }
    }
    return TRUE;
}
