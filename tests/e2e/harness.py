"""Shared pieces of kiln's end-to-end tests: running kiln and ONNX Runtime, comparing .npz
outputs, and the 'N passed, N failed' summary CTest reads."""
import os
import subprocess
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ORT_RUN = os.path.join(ROOT, "tests", "oracle", "ort_run.js")


def run(cmd, timeout=300):
    """Runs a command; returns (exit code, stdout, stderr). A signal shows as a negative code."""
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def ort(model, inputs, outputs, threads=1):
    code, _, err = run(["node", ORT_RUN, model, inputs, outputs, "--threads", str(threads)])
    if code != 0:
        raise RuntimeError(f"ONNX Runtime failed on {model}: {err.strip()}")
    return dict(np.load(outputs))


def compare(expected, actual, atol):
    """Returns a list of problems (empty when every output matches within atol)."""
    problems = []
    if sorted(expected) != sorted(actual):
        return [f"output names differ: {sorted(expected)} vs {sorted(actual)}"]
    for name, want in expected.items():
        got = actual[name]
        if want.shape != got.shape or want.dtype != got.dtype:
            problems.append(f"{name}: {got.dtype}{list(got.shape)} vs expected {want.dtype}{list(want.shape)}")
            continue
        if want.size == 0:
            continue
        if want.dtype.kind in "fc":
            diff = float(np.max(np.abs(want.astype(np.float64) - got.astype(np.float64))))
            if not diff <= atol:
                problems.append(f"{name}: max abs diff {diff:.3g} > {atol:g}")
        elif not np.array_equal(want, got):
            problems.append(f"{name}: values differ")
    return problems


class Summary:
    """Collects case results and ends the run with the line CTest (and CI) reads."""

    def __init__(self):
        self.passed, self.failed = 0, []

    def check(self, name, problems):
        if problems:
            self.failed.append(name)
            print(f"FAIL {name}: " + "; ".join(problems), flush=True)
        else:
            self.passed += 1
            print(f"ok   {name}", flush=True)

    def finish(self):
        print(f"{self.passed} passed, {len(self.failed)} failed")
        sys.exit(1 if self.failed or self.passed == 0 else 0)
