/* BbDockerTarget: a running agent container as a BbAgentTarget. Files go
 * in through the archive endpoint (owner and mode set in the tar), commands
 * through exec; nothing touches the host filesystem. */
#pragma once

#include "bb-agent-target.h"
#include "bb-docker-client.h"

G_BEGIN_DECLS

#define BB_TYPE_DOCKER_TARGET (bb_docker_target_get_type())
G_DECLARE_FINAL_TYPE(BbDockerTarget, bb_docker_target, BB, DOCKER_TARGET, GObject)

/* @agent_user is "uid:gid" (numeric): files written not as_root get it. */
BbDockerTarget *bb_docker_target_new(BbDockerClient *client, const gchar *container_id,
                                     const gchar *agent_user);

G_END_DECLS
