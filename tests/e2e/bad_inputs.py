#!/usr/bin/python3
"""Every hostile or broken model gets one clear line on stderr, exit status 2, no crash and no
output file, from both `kiln inspect` and `kiln convert`.

    tests/e2e/bad_inputs.py KILN BAD_DIR WORK_DIR
"""
import json
import os
import sys

from harness import Summary, run


def main(kiln, bad, work):
    os.makedirs(work, exist_ok=True)
    summary = Summary()
    for case in json.load(open(os.path.join(bad, "bad_inputs.json"))):
        path = os.path.join(bad, case["file"])
        if os.path.isdir(path):
            path = os.path.join(path, "model.onnx")
        out = os.path.join(work, os.path.basename(case["file"].rstrip("/")) + ".out.onnx")
        if os.path.exists(out):
            os.remove(out)
        for command in (["inspect", path], ["convert", path, "-o", out]):
            name = f"{command[0]} {case['file']}"
            code, _, err = run([kiln] + command, timeout=60)
            problems = []
            if case.get("valid"):
                if code != 0:
                    problems.append(f"valid model refused (exit {code}): {err.strip()}")
            else:
                lines = [l for l in err.splitlines() if l.strip()]
                if code != 2:
                    problems.append(f"exit status {code}, expected 2")
                if len(lines) != 1:
                    problems.append(f"expected one line on stderr, got {len(lines)}: {err!r}")
                elif case["expect_substring"] not in lines[0].lower():
                    problems.append(f"message lacks '{case['expect_substring']}': {lines[0]}")
                elif os.path.basename(path) not in lines[0]:
                    problems.append(f"message does not name the file: {lines[0]}")
                if os.path.exists(out):
                    problems.append("an output file was written")
            summary.check(name, problems)
    summary.finish()


if __name__ == "__main__":
    main(*sys.argv[1:4])
