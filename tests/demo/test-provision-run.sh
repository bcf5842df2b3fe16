#!/bin/bash
# Provisioning through the CLI on the real engine: `bot-bottle run` of an
# agent whose bottle sets git.user and a prompt, with a skill holding a
# symlink to a host secret. Inside the bottle: ~/.gitconfig carries the
# identity, /etc/bot-bottle/prompt.md the prompt, the skill's files are there and the
# symlink's target is not (control: the host file exists and is readable).
# usage: test-provision-run.sh BOT-BOTTLE
set -euo pipefail
bin=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/bb-provision-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

export HOME="$work/home"
unset BOT_BOTTLE_CONFIG_DIR
cfg="$HOME/.bot-bottle"
mkdir -p "$cfg/bottles" "$cfg/agents" "$cfg/skills/review/refs"
echo "HOST-SECRET-$$" >"$work/id_secret"
cat "$work/id_secret" >/dev/null || fail "control: the host secret is not readable"
printf '# review skill\n' >"$cfg/skills/review/SKILL.md"
printf 'be kind\n' >"$cfg/skills/review/refs/style.md"
ln -s "$work/id_secret" "$cfg/skills/review/stolen"
cat >"$cfg/bottles/plain.md" <<'MD'
---
agent_provider:
  template: shell
git:
  user: {name: Ada Bot, email: ada@example.test}
---
Bottle prompt line.
MD
cat >"$cfg/agents/helper.md" <<'MD'
---
bottle: plain
skills: [review]
---
Agent prompt line.
MD

out=$(timeout 300 "$bin" run helper -- sh -c 'cat ~/.gitconfig; echo ---; cat /etc/bot-bottle/prompt.md;
    echo ---; cat /etc/bot-bottle/skills/review/SKILL.md /etc/bot-bottle/skills/review/refs/style.md;
    echo ---; ls -A /etc/bot-bottle/skills/review' 2>"$work/err") \
    || { cat "$work/err" >&2; fail "bot-bottle run failed"; }
echo "$out"
grep -q 'name = "Ada Bot"' <<<"$out" || fail "git identity missing"
grep -q 'email = "ada@example.test"' <<<"$out" || fail "git email missing"
grep -q 'Bottle prompt line.' <<<"$out" || fail "bottle prompt missing from /etc/bot-bottle/prompt.md"
grep -q 'Agent prompt line.' <<<"$out" || fail "agent prompt missing from /etc/bot-bottle/prompt.md"
grep -q '# review skill' <<<"$out" || fail "skill file missing"
grep -q 'be kind' <<<"$out" || fail "nested skill file missing"
if grep -q "stolen\|HOST-SECRET" <<<"$out"; then fail "a skill's symlink was followed or copied"; fi
echo "PASS"
