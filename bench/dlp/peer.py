#!/usr/bin/env python3
"""The peer: Python re running the token-patterns rule pack with the same
finding semantics as the C detector (finditer per rule, then boundary,
entropy and digit checks). Prints JSON: seconds and sorted findings.
Usage: peer.py RULES.json CORPUS"""
import json
import math
import re
import sys
import time
from collections import Counter

WORD = set(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
VALUE = WORD | set(b"+/_.~!@#$%^&*-")


def entropy(value):
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values()) if n else 0.0


def accepts(rule, data, start, end):
    if rule.get("boundary", True):
        if start > 0 and data[start] in WORD and data[start - 1] in WORD:
            return False
        if end < len(data) and end > start and data[end - 1] in WORD and data[end] in WORD:
            return False
    if rule.get("min_entropy", 0) > 0 or rule.get("value_needs_digit", False):
        v = end
        while v > start and data[v - 1] in VALUE:
            v -= 1
        value = data[v:end]
        if rule.get("value_needs_digit") and not any(48 <= c <= 57 for c in value):
            return False
        if entropy(value) < rule.get("min_entropy", 0):
            return False
    return True


def main():
    rules = json.load(open(sys.argv[1]))["rules"]
    data = open(sys.argv[2], "rb").read()
    compiled = [(rule, re.compile(rule["pattern"].encode(),
                                  re.IGNORECASE if rule.get("caseless") else 0))
                for rule in rules]
    findings = []
    start_time = time.process_time()
    for rule, regex in compiled:
        for m in regex.finditer(data):
            if accepts(rule, data, m.start(), m.end()):
                findings.append((rule["id"], m.start(), m.end() - m.start()))
    seconds = time.process_time() - start_time
    findings.sort()
    json.dump({"seconds": seconds, "bytes": len(data), "findings": findings}, sys.stdout)


main()
