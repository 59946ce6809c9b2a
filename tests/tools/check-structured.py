#!/usr/bin/python3
# check-structured.py: constrained generation checked by an independent JSON Schema validator
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# For every schema in tests/schemas, runs `hearth-cli generate --json-schema`
# with stories260K, synth-qwen3 and a synth model carrying Qwen's 151,936-
# token vocabulary (made here with `hearth-cli synth-model --vocab-from`),
# greedy and at temperature 1.0 with three seeds (in the sanitizer build,
# one of those per schema and model). Every output must end by
# itself (end of text, well before the token limit), stay within the bound
# its grammar implies (`generate --print-bound`: the longest output the
# grammar allows, in bytes; the output's bytes and its tokens, each at least
# one byte, are at most that), parse as JSON and
# validate against its schema with Debian's python3-jsonschema (Draft
# 2020-12, with its format checker and, for the formats, our own exact
# checks too: the library skips formats whose optional helpers are absent).
# Usage: check-structured.py SCHEMA_DIR (HEARTH_CLI and HEARTH_SHARED_DIR
# from the environment).
import concurrent.futures
import datetime
import json
import os
import re
import subprocess
import sys
import tempfile
import uuid

import jsonschema

CLI = os.environ["HEARTH_CLI"]
SHARED = os.environ["HEARTH_SHARED_DIR"]
LIMIT = 3000  # tokens: far above what any test schema allows

# Schemas whose grammar has no longest output (a string without maxLength,
# an array without maxItems, any JSON value), with the reason; for these
# only the end by itself under LIMIT is checked. Every other schema must be
# bounded, so a schema that turns unbounded is noticed. Today all are
# bounded: every string has maxLength, enum, const or a format, every array
# maxItems, and numbers have at most 15 + 15 digits.
UNBOUNDED = {}
BOUND = re.compile(r"^\[bound: (?:(\d+) bytes|(unbounded))\]$", re.M)

TIME = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$")


def check_formats(schema, value, defs_root):
    """Exact format checks, walking the schema beside the value."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            ref = schema["$ref"].split("/")
            target = defs_root
            for part in ref[1:]:
                target = target[part]
            return check_formats(target, value, defs_root)
        fmt = schema.get("format")
        if fmt is not None and isinstance(value, str):
            if fmt == "date":
                datetime.date.fromisoformat(value)
            elif fmt == "time":
                assert TIME.match(value), value
            elif fmt == "date-time":
                d, t = value.split("T")
                datetime.date.fromisoformat(d)
                assert TIME.match(t), value
            elif fmt == "uuid":
                assert str(uuid.UUID(value)) == value.lower() and len(value) == 36, value
        if isinstance(value, dict):
            for k, v in value.items():
                if k in schema.get("properties", {}):
                    check_formats(schema["properties"][k], v, defs_root)
        if isinstance(value, list) and "items" in schema:
            for v in value:
                check_formats(schema["items"], v, defs_root)
        for kw in ("anyOf", "oneOf"):
            if kw in schema:
                errors = 0
                for branch in schema[kw]:
                    try:
                        jsonschema.validate(value, {**branch, **{k: defs_root[k] for k in ("$defs", "definitions") if k in defs_root}})
                        check_formats(branch, value, defs_root)
                        break
                    except Exception:
                        errors += 1
                assert errors < len(schema[kw]), "no branch fits"


def run(model, schema_path, mode, seed, ctx):
    args = [CLI, "generate", "-m", model, "-p", "Once upon a time", "--json-schema", schema_path,
            "-n", str(LIMIT), "-s", str(seed), "-t", "1", "-c", str(ctx), "--print-bound"]
    if mode == "sample":
        args += ["--temp", "1.0"]
    p = subprocess.run(args, capture_output=True, timeout=600)
    return p


def check_one(job):
    model, name, schema_path, mode, seed, ctx = job
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    p = run(model, schema_path, mode, seed, ctx)
    where = f"{os.path.basename(model)} {name} {mode} seed {seed}"
    if p.returncode != 0:
        return f"{where}: exit {p.returncode}: {p.stderr.decode(errors='replace')}"
    out = p.stdout.decode("utf-8")
    err = p.stderr.decode("utf-8", errors="replace")
    m = re.search(r"\| (\d+) tokens in [^|]*\| ([^\]]+)\]", err)
    if m is None or m.group(2) != "end of text":
        return f"{where}: did not end by itself: {err.strip()!r}"
    n_tokens = int(m.group(1))
    b = BOUND.search(err)
    if b is None:
        return f"{where}: no bound line: {err.strip()!r}"
    bound = None if b.group(2) else int(b.group(1))
    if (bound is None) != (name in UNBOUNDED):
        return f"{where}: bound {b.group(0)} but UNBOUNDED says {UNBOUNDED.get(name, 'bounded')!r}"
    if not out.endswith("\n"):  # the CLI ends the output with a newline of its own
        return f"{where}: no final newline: {out!r}"
    n_bytes = len(p.stdout) - 1
    if bound is not None and (n_bytes > bound or n_tokens > bound):
        return f"{where}: {n_bytes} bytes, {n_tokens} tokens, beyond the bound of {bound} bytes: {out!r}"
    try:
        value = json.loads(out)
    except ValueError as e:
        return f"{where}: not JSON ({e}): {out!r}"
    try:
        jsonschema.validate(value, schema, cls=jsonschema.Draft202012Validator,
                            format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
        check_formats(schema, value, schema)
    except Exception as e:
        return f"{where}: invalid ({e}): {out!r}"
    return (where, n_tokens, n_bytes, bound)


def main():
    schema_dir = sys.argv[1]
    schemas = sorted(f for f in os.listdir(schema_dir) if f.endswith(".json"))
    assert len(schemas) >= 40, schemas
    tmp = tempfile.mkdtemp(prefix="hearth-structured-")
    big = os.path.join(tmp, "synth-qwen3-vocab.gguf")
    subprocess.run([CLI, "synth-model", big, "--dim", "64", "--ff", "256", "--layers", "2", "--heads", "4",
                    "--kv-heads", "2", "--vocab", "151936", "--ctx", "4096", "--type", "Q8_0", "-t", "1",
                    "--vocab-from", os.path.join(SHARED, "tokenizers", "ggml-vocab-qwen3.gguf")],
                   check=True, capture_output=True)
    models = [(os.path.join(SHARED, "models", "stories260K", "stories260K-f32.gguf"), 4096),
              (os.path.join(SHARED, "models", "synthetic", "synth-qwen3-F32.gguf"), 4096),
              (big, 4096)]
    runs = (("greedy", 0), ("sample", 1), ("sample", 2), ("sample", 3))
    # The sanitizer build (HEARTH_TEST_SANITIZED=1) looks for memory errors,
    # which the grammar's paths decide, not the seed: one generation per
    # schema and model there, greedy and sampled in turn.
    sanitized = os.environ.get("HEARTH_TEST_SANITIZED") == "1"
    jobs = []
    for m, (model, ctx) in enumerate(models):
        for i, s in enumerate(schemas):
            for mode, seed in ((runs[(i + m) % 2],) if sanitized else runs):
                jobs.append((model, s, os.path.join(schema_dir, s), mode, seed, ctx))
    failures = []
    most = 0
    fullest = 0.0  # the largest share of its bound an output used
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        for r in pool.map(check_one, jobs):
            if isinstance(r, str):
                failures.append(r)
            else:
                most = max(most, r[1])
                if r[3] is not None and r[3] > 0:
                    fullest = max(fullest, r[2] / r[3])
    os.remove(big)
    os.rmdir(tmp)
    print(f"{len(jobs)} generations over {len(schemas)} schemas and {len(models)} models; "
          f"{len(failures)} failed; longest output {most} tokens; "
          f"{len(schemas) - len(UNBOUNDED)} schemas bounded, the fullest output used {fullest:.0%} of its bound")
    for f in failures:
        print("FAIL", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
