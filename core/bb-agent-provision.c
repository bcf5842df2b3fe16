/* Core defaults for the provisioning slots of BbAgentProvider, and the
 * helpers providers use to override them with their agent's own paths.
 * Everything goes through BbAgentTarget, so it works on any backend. */
#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

#include "bb-agent-provider.h"
#include "bb-agent-provision-private.h"
#include "bb-error.h"

#define BB_PROVISION_DIR "/etc/bot-bottle"

/* Git config values are written quoted; a quote, backslash or newline in a
 * manifest value must not be able to add config keys of its own. */
static void
append_git_value(GString *out, const gchar *value)
{
    g_string_append_c(out, '"');
    for (const gchar *c = value; *c != '\0'; c++) {
        if (*c == '"' || *c == '\\')
            g_string_append_c(out, '\\');
        if (*c == '\n' || *c == '\r')
            g_string_append_c(out, ' ');
        else
            g_string_append_c(out, *c);
    }
    g_string_append_c(out, '"');
}

gchar *
bb_agent_provider_render_gitconfig(BbPlan *plan)
{
    g_autoptr(GString) out = g_string_new(NULL);
    const gchar *name = bb_plan_get_git_user_name(plan);
    const gchar *email = bb_plan_get_git_user_email(plan);
    if (name != NULL || email != NULL) {
        g_string_append(out, "[user]\n");
        if (name != NULL) {
            g_string_append(out, "\tname = ");
            append_git_value(out, name);
            g_string_append_c(out, '\n');
        }
        if (email != NULL) {
            g_string_append(out, "\temail = ");
            append_git_value(out, email);
            g_string_append_c(out, '\n');
        }
    }
    /* Each remote's real URL is rewritten to the git-gate, which scans a
     * push before forwarding it with the host's key. */
    GPtrArray *remotes = bb_plan_get_git_remotes(plan);
    for (guint i = 0; remotes != NULL && i < remotes->len; i++) {
        const BbGitRemote *remote = g_ptr_array_index(remotes, i);
        if (remote->upstream == NULL || remote->name == NULL)
            continue;
        g_autofree gchar *gate = g_strdup_printf(BB_GIT_GATE_BASE "/%s", remote->name);
        g_string_append(out, "[url ");
        append_git_value(out, gate);
        g_string_append(out, "]\n\tinsteadOf = ");
        append_git_value(out, remote->upstream);
        g_string_append(out, "\n\tpushInsteadOf = ");
        append_git_value(out, remote->upstream);
        g_string_append_c(out, '\n');
    }
    return g_string_free(g_steal_pointer(&out), FALSE);
}

static gboolean
write_prompt(BbPlan *plan, BbAgentTarget *target, const gchar *path, gboolean as_root,
             GError **error)
{
    const gchar *prompt = bb_plan_get_prompt(plan);
    if (prompt == NULL || *prompt == '\0')
        return TRUE; /* nothing to say: leave the agent's own defaults alone */
    /* A text file ends with a newline, so `cat` and editors behave. */
    g_autofree gchar *text =
        g_str_has_suffix(prompt, "\n") ? g_strdup(prompt) : g_strconcat(prompt, "\n", NULL);
    g_autoptr(GBytes) contents = g_bytes_new(text, strlen(text));
    if (!bb_agent_target_write_file(target, path, contents, 0644, as_root, error)) {
        g_prefix_error(error, "Writing the prompt to %s: ", path);
        return FALSE;
    }
    return TRUE;
}

gboolean
bb_agent_provider_write_prompt_to(BbPlan *plan, BbAgentTarget *target, const gchar *path,
                                  GError **error)
{
    return write_prompt(plan, target, path, FALSE, error);
}

/* Copies regular files and directories only. A symlink in a skill is not
 * followed: it could lead to any host file (~/.ssh), and the agent must
 * only ever see what the skill itself holds. */
static gboolean
copy_skill_tree(BbAgentTarget *target, const gchar *host_dir, const gchar *target_dir,
                gboolean as_root, guint depth, GError **error)
{
    if (depth > 32) {
        g_set_error(error, BB_ERROR, BB_ERROR_FAILED,
                    "skill directory %s is nested too deeply; flatten it", host_dir);
        return FALSE;
    }
    g_autoptr(GDir) dir = g_dir_open(host_dir, 0, error);
    if (dir == NULL)
        return FALSE;
    const gchar *name;
    while ((name = g_dir_read_name(dir)) != NULL) {
        g_autofree gchar *host_path = g_build_filename(host_dir, name, NULL);
        g_autofree gchar *target_path = g_build_filename(target_dir, name, NULL);
        GStatBuf st;
        if (g_lstat(host_path, &st) != 0) {
            g_set_error(error, BB_ERROR, BB_ERROR_FAILED, "cannot read %s: %s", host_path,
                        g_strerror(errno));
            return FALSE;
        }
        if (S_ISDIR(st.st_mode)) {
            if (!copy_skill_tree(target, host_path, target_path, as_root, depth + 1, error))
                return FALSE;
        } else if (S_ISREG(st.st_mode)) {
            g_autoptr(GMappedFile) file = g_mapped_file_new(host_path, FALSE, error);
            if (file == NULL)
                return FALSE;
            g_autoptr(GBytes) contents = g_mapped_file_get_bytes(file);
            guint mode = (st.st_mode & 0111) != 0 ? 0755 : 0644;
            if (!bb_agent_target_write_file(target, target_path, contents, mode, as_root, error))
                return FALSE;
        } else {
            g_debug("skill: not copying %s (not a regular file or directory)", host_path);
        }
    }
    return TRUE;
}

static gboolean
copy_skills(BbPlan *plan, BbAgentTarget *target, const gchar *skills_dir, gboolean as_root,
            GError **error)
{
    GPtrArray *skills = bb_plan_get_skills(plan);
    for (guint i = 0; skills != NULL && i < skills->len; i++) {
        const BbSkill *skill = g_ptr_array_index(skills, i);
        g_autofree gchar *dest = g_build_filename(skills_dir, skill->name, NULL);
        if (!copy_skill_tree(target, skill->path, dest, as_root, 0, error)) {
            g_prefix_error(error, "Copying skill '%s' into the agent: ", skill->name);
            return FALSE;
        }
    }
    return TRUE;
}

gboolean
bb_agent_provider_copy_skills_to(BbPlan *plan, BbAgentTarget *target, const gchar *skills_dir,
                                 GError **error)
{
    return copy_skills(plan, target, skills_dir, FALSE, error);
}

/* The backend installs the bottle CA before any agent command runs (the
 * system bundle, and the SSL_CERT_FILE / NODE_EXTRA_CA_CERTS family of
 * env vars), which covers OpenSSL, Node, curl and git. A provider whose
 * agent keeps a trust store of its own (a JVM, say) overrides this. */
static gboolean
default_provision_ca(BbAgentProvider *self, BbPlan *plan, BbAgentTarget *target, GBytes *ca_pem,
                     GError **error)
{
    return TRUE;
}

gboolean
bb_agent_provision_default_git(BbPlan *plan, BbAgentTarget *target, GError **error)
{
    g_autofree gchar *config = bb_agent_provider_render_gitconfig(plan);
    if (*config == '\0')
        return TRUE;
    gsize length = strlen(config);
    g_autoptr(GBytes) contents = g_bytes_new_take(g_steal_pointer(&config), length);
    if (!bb_agent_target_write_file(target, BB_AGENT_HOME "/.gitconfig", contents, 0644, FALSE,
                                    error)) {
        g_prefix_error(error, "Writing the agent's git config: ");
        return FALSE;
    }
    return TRUE;
}

/* The prompt and skills go under /etc/bot-bottle/, beside the bottle CA:
 * written as root, any agent can read them and none can change them. */
gboolean
bb_agent_provision_default_prompt(BbPlan *plan, BbAgentTarget *target, GError **error)
{
    return write_prompt(plan, target, BB_PROVISION_DIR "/prompt.md", TRUE, error);
}

gboolean
bb_agent_provision_default_skills(BbPlan *plan, BbAgentTarget *target, GError **error)
{
    return copy_skills(plan, target, BB_PROVISION_DIR "/skills", TRUE, error);
}

static gboolean
default_provision_git(BbAgentProvider *self, BbPlan *plan, BbAgentTarget *target, GError **error)
{
    return bb_agent_provision_default_git(plan, target, error);
}

static gboolean
default_provision_prompt(BbAgentProvider *self, BbPlan *plan, BbAgentTarget *target, GError **error)
{
    return bb_agent_provision_default_prompt(plan, target, error);
}

static gboolean
default_provision_skills(BbAgentProvider *self, BbPlan *plan, BbAgentTarget *target, GError **error)
{
    return bb_agent_provision_default_skills(plan, target, error);
}

void
bb_agent_provider_install_provision_defaults(BbAgentProviderInterface *iface)
{
    iface->provision_ca = default_provision_ca;
    iface->provision_git = default_provision_git;
    iface->provision_prompt = default_provision_prompt;
    iface->provision_skills = default_provision_skills;
}
