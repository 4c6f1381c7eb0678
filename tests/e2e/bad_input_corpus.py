#!/usr/bin/python3
"""Runs the checked-in bad-input corpus (tests/bad_inputs/cases.json, written by
tests/bad_inputs/generate.py): every case must exit with status 2 and print exactly one line on
stderr that names the file and contains the expected words, within a time bound, with no
signal and no sanitizer report. An output file that existed before a failing run must keep its
bytes, and none may be created.

    tests/e2e/bad_input_corpus.py KILN WORK_DIR
"""
import json
import os
import shutil
import subprocess
import sys

from harness import ROOT, Summary

CORPUS = os.path.join(ROOT, "tests", "bad_inputs")
SENTINEL = b"an earlier output that a failing run must not touch\n"
TIME_BOUND_S = 60


def run_case(kiln, case, work):
    problems = []
    out = os.path.join(work, "out.onnx")
    target = os.path.join(CORPUS, case["file"])
    args = list(case["args"])
    if case.get("overwrite_input"):
        source = os.path.join(CORPUS, case.get("copy_from", case["file"]))
        copy = os.path.join(work, "model" + os.path.splitext(source)[1])
        shutil.copyfile(source, copy)
        before = open(copy, "rb").read()
        args = [a.replace("{copy}", copy) for a in args]
        watched, expected_bytes, named = copy, before, os.path.basename(copy)
    else:
        with open(out, "wb") as f:
            f.write(SENTINEL)
        args = [a.replace("{file}", target).replace("{out}", out) for a in args]
        watched, expected_bytes, named = out, SENTINEL, os.path.basename(target.rstrip("/"))
    try:
        p = subprocess.run([kiln] + args, capture_output=True, text=True, errors="replace", timeout=TIME_BOUND_S,
                           cwd=CORPUS)
    except subprocess.TimeoutExpired:
        return [f"no answer within {TIME_BOUND_S} s"]
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    if p.returncode < 0:
        problems.append(f"killed by signal {-p.returncode}")
    elif p.returncode != 2:
        problems.append(f"exit status {p.returncode}, expected 2")
    if any("Sanitizer" in l or "runtime error:" in l for l in lines):
        problems.append("sanitizer report: " + " | ".join(lines[:3]))
    elif len(lines) != 1:
        problems.append(f"expected one line on stderr, got {len(lines)}: {p.stderr[:400]!r}")
    elif case["expect"].lower() not in lines[0].lower():
        problems.append(f"message lacks '{case['expect']}': {lines[0][:300]}")
    elif named not in lines[0] and not any(option in lines[0] for option in ("--input-shape", "--dim")):
        problems.append(f"message does not name {named}: {lines[0][:300]}")
    if not os.path.exists(watched) or open(watched, "rb").read() != expected_bytes:
        problems.append(f"{os.path.basename(watched)} was changed by a failing run")
    leftovers = sorted(set(os.listdir(work)) - {"out.onnx", os.path.basename(watched)})
    if leftovers:
        problems.append(f"files left behind: {leftovers}")
    return problems


def main(kiln, work):
    work = os.path.abspath(work)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    summary = Summary()
    for case in json.load(open(os.path.join(CORPUS, "cases.json"))):
        summary.check(case["name"], run_case(os.path.abspath(kiln), case, work))
        for f in os.listdir(work):
            os.remove(os.path.join(work, f))
    summary.finish()


if __name__ == "__main__":
    main(*sys.argv[1:3])
