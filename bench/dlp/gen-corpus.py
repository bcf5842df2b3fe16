#!/usr/bin/env python3
"""Writes the DLP benchmark corpus: source code, JSON chat bodies (with
escapes), base64 blobs, planted secrets of every rule family, and
adversarial long near-matches that must not slow a linear engine.
Deterministic for a given seed. Usage: gen-corpus.py OUT [MEGABYTES]"""
import base64
import json
import random
import string
import sys

rng = random.Random(1234)
AN = string.ascii_letters + string.digits
URL = AN + "_-"


def r(chars, n):
    return "".join(rng.choice(chars) for _ in range(n))


WORDS = ("the a of to and in is for on that with as by this from we be are it an or "
         "buffer request header scanner token value index length offset parse module "
         "function return struct static const config route bottle agent proxy").split()


def code_chunk():
    name = "_".join(rng.choice(WORDS) for _ in range(3))
    body = "\n".join(
        f"    {rng.choice(['int', 'gsize', 'const gchar *'])} {rng.choice(WORDS)}_{i} = "
        f"{rng.choice(['0', 'NULL', 'len - 1', 'g_strdup(name)', str(rng.randint(0, 99999))])};"
        for i in range(rng.randint(3, 12)))
    return (f"/* {' '.join(rng.choice(WORDS) for _ in range(12))} */\nstatic gboolean\n"
            f"{name}(const guint8 *data, gsize len, GError **error)\n{{\n{body}\n"
            f"    if (len > 4096)\n        return FALSE;\n    return TRUE;\n}}\n\n")


def chat_chunk():
    messages = [{"role": rng.choice(["user", "assistant"]),
                 "content": " ".join(rng.choice(WORDS) for _ in range(rng.randint(20, 120)))
                 + "\n\n```c\nint x = 1;\n```\n"} for _ in range(rng.randint(1, 6))]
    return json.dumps({"model": "claude-x", "max_tokens": 1024, "messages": messages}) + "\n"


def blob_chunk():
    raw = bytes(rng.getrandbits(8) for _ in range(rng.randint(200, 3000)))
    return '{"image": "' + base64.b64encode(raw).decode() + '"}\n'


def planted():
    return rng.choice([
        lambda: f"export GITHUB_TOKEN=ghp_{r(AN, 36)}\n",
        lambda: f"aws_access_key_id = AKIA{r(string.ascii_uppercase + '234567', 16)}\n",
        lambda: f"key = 'sk-ant-api03-{r(URL, 93)}AA'\n",
        lambda: f"Authorization: Bearer eyJ{r(URL, 30)}.eyJ{r(URL, 60)}.{r(URL, 43)}\n",
        lambda: f"SLACK=xoxb-{r(string.digits, 12)}-{r(string.digits, 13)}-{r(AN, 24)}\n",
        lambda: f"stripe: sk_live_{r(AN, 32)}\n",
        lambda: f"password = \"{r(AN, 23)}7\"\n",
        lambda: "-----BEGIN OPENSSH PRIVATE KEY-----\n",
        lambda: f"npm_{r(AN, 36)} glpat-{r(AN, 20)} hf_{r(AN, 34)}\n",
    ])()


def adversarial():
    return rng.choice([
        lambda: "ghp_" + r(AN, 35) + " ",                      # one short
        lambda: "AKIA" + r(string.ascii_uppercase, 15) + "\n",
        lambda: "sk-" + r(AN, 4000) + "\n",                    # long, no T3BlbkFJ
        lambda: "eyJ" + r(URL, 3000) + "." + "\n",             # JWT head, no body
        lambda: "password=" + "a" * 2000 + "\n",               # low entropy
        lambda: "%25" * 500 + "\n",                           # escapes
        lambda: ("ghp_" * 300) + "\n",
        lambda: "xoxb-" + "1" * 5000 + "\n",
    ])()


def main():
    out = sys.argv[1]
    target = int(sys.argv[2] if len(sys.argv) > 2 else 32) * 1024 * 1024
    makers = [(code_chunk, 45), (chat_chunk, 35), (blob_chunk, 12), (planted, 1), (adversarial, 2)]
    total = sum(w for _, w in makers)
    size = 0
    with open(out, "w") as f:
        while size < target:
            pick = rng.uniform(0, total)
            for maker, weight in makers:
                pick -= weight
                if pick <= 0:
                    break
            text = maker()
            f.write(text)
            size += len(text)


main()
