"""Sanity check of the generated corpus: ONNX Runtime must reproduce torch's eager outputs.

    /usr/bin/python3 tests/models/check_corpus_vs_torch.py CORPUSDIR [--tol 1e-4] [--jobs 2] [--no-opt]

Runs every model listed in CORPUSDIR/manifest.json through tests/oracle/ort_run.js on its
.inputs.npz and compares each output with .expected.npz (same names, dtypes and shapes, max abs
diff < --tol). A failure means the export (or the oracle) is wrong, not kiln. Ends with the
line 'N passed, N failed'; exit status 1 if anything failed.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

import numpy as np

ORT_RUN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "oracle", "ort_run.js")


def check(corpus, entry, tol, extra, tmp):
    got_path = os.path.join(tmp, entry["model"] + ".ort.npz")
    r = subprocess.run(["node", ORT_RUN, os.path.join(corpus, entry["model"]),
                        os.path.join(corpus, entry["inputs_file"]), got_path, *extra],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return False, r.stderr.strip()
    got, want = np.load(got_path), np.load(os.path.join(corpus, entry["expected_file"]))
    if sorted(got.files) != sorted(want.files):
        return False, f"outputs {sorted(got.files)} != expected {sorted(want.files)}"
    worst = 0.0
    for k in want.files:
        g, w = got[k], want[k]
        if g.shape != w.shape or g.dtype != w.dtype:
            return False, f"{k}: got {g.dtype}{list(g.shape)}, expected {w.dtype}{list(w.shape)}"
        worst = max(worst, float(np.max(np.abs(g.astype(np.float64) - w.astype(np.float64)), initial=0.0)))
    return worst < tol, f"max abs diff {worst:.3g}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("corpus")
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--no-opt", action="store_true", help="run ORT with graph optimisations disabled")
    args = ap.parse_args()
    with open(os.path.join(args.corpus, "manifest.json")) as f:
        entries = json.load(f)["models"]
    extra = ["--no-opt"] if args.no_opt else []
    with tempfile.TemporaryDirectory() as tmp, ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(lambda e: check(args.corpus, e, args.tol, extra, tmp), entries))
    for e, (ok, msg) in zip(entries, results):
        print(f"{'PASS' if ok else 'FAIL'} {e['model']}: {msg}")
    passed = sum(ok for ok, _ in results)
    print(f"{passed} passed, {len(results) - passed} failed")
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
