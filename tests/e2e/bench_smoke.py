"""bench.smoke: `bench/run.sh --quick` on the MLP with few runs into a temporary --out. Checks
that latest.json holds the machine facts and, per thread count, every column (a figure, or an
"n/a" with its reason for the AOT library where kiln has none), that the ratios against ONNX
Runtime are the quotient of the medians, that the compile side has -O0..-O3, that the markdown
renders with its markers and rows, and that docs/benchmarks.md was not touched.

    /usr/bin/python3 tests/e2e/bench_smoke.py BUILD_DIR WORK_DIR
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOC = os.path.join(ROOT, "docs", "benchmarks.md")
MEASURED = ["kiln_jit", "ort_kiln_o2", "ort", "libtorch"]  # these must have figures
STATS = ["median_ms", "p90_ms", "min_ms", "max_ms", "q1_ms", "q3_ms", "runs"]


def digest(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def check(doc, table, runs):
    problems = []
    m = doc["machine"]
    for key in ("cpu_model", "isa", "cores_visible", "fp32_peak_gflops_per_core", "triad_gb_per_s"):
        if key not in m:
            problems.append(f"machine facts lack {key}")
    if not m.get("fp32_peak_gflops_per_core", 0) > 0 or not all(v > 0 for v in m.get("triad_gb_per_s", {}).values()):
        problems.append(f"peak or bandwidth not positive: {m.get('fp32_peak_gflops_per_core')}, {m.get('triad_gb_per_s')}")
    if set(doc["columns"]) != set(MEASURED + ["kiln_aot"]):
        problems.append(f"columns {doc['columns']}")
    entry = doc["models"].get("mlp")
    if not entry:
        return problems + ["no mlp entry"]
    for threads in ("1", "2"):
        row = entry["latency"].get(threads, {})
        for col in doc["columns"]:
            r = row.get(col)
            if r is None:
                problems.append(f"{threads} thread(s): no {col} column")
            elif col in MEASURED and not all(k in r for k in STATS):
                problems.append(f"{threads} thread(s): {col} lacks statistics: {r}")
            elif "median_ms" in r:
                if r["runs"] != runs or not r["min_ms"] <= r["median_ms"] <= r["p90_ms"] <= r["max_ms"]:
                    problems.append(f"{threads} thread(s): {col} statistics inconsistent: {r}")
                want = r["median_ms"] / row["ort"]["median_ms"]
                if abs(r.get("ratio_vs_ort", -1) - want) > 1e-9 * want:
                    problems.append(f"{threads} thread(s): {col} ratio {r.get('ratio_vs_ort')} != {want}")
            elif not r.get("na"):
                problems.append(f"{threads} thread(s): {col} has neither a figure nor an n/a reason")
    for level in ("O0", "O1", "O2", "O3"):
        c = entry["compile"].get(level, {})
        if not c.get("wall_s", 0) > 0 or not c.get("passes") and level != "O0":
            problems.append(f"compile {level}: {c}")
    for needle in ("<!-- BEGIN GENERATED", "<!-- END GENERATED", "| mlp | **", "### Compile time", "Measured FP32 peak"):
        if needle not in table:
            problems.append(f"table.md lacks {needle!r}")
    return problems


def main():
    build, work = sys.argv[1], sys.argv[2]
    shutil.rmtree(work, ignore_errors=True)
    out = os.path.join(work, "out")
    before = digest(DOC)
    runs = 3
    p = subprocess.run(["bash", os.path.join(ROOT, "bench", "run.sh"), "--quick", "--models", "mlp", "--runs", str(runs),
                        "--warmup", "1", "--threads", "1,2", "--out", out, "--work", os.path.join(work, "work"),
                        "--build", build, "--no-build"], capture_output=True, text=True, timeout=300)
    sys.stdout.write(p.stdout[-3000:])
    if p.returncode != 0:
        print(f"FAIL: bench/run.sh exited {p.returncode}: {p.stderr[-2000:]}")
        return 1
    doc = json.load(open(os.path.join(out, "latest.json")))
    problems = check(doc, open(os.path.join(out, "table.md")).read(), runs)
    if shutil.which("gnuplot"):
        png = os.path.join(out, "ratios.png")
        if not os.path.exists(png) or open(png, "rb").read(8) != b"\x89PNG\r\n\x1a\n":
            problems.append("gnuplot is installed but ratios.png is missing or not a PNG")
    if digest(DOC) != before:
        problems.append("docs/benchmarks.md changed although --out was given")
    for prob in problems:
        print("FAIL:", prob)
    print(f"bench.smoke: {'1 passed, 0 failed' if not problems else f'0 passed, {len(problems)} problems'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
