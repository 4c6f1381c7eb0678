#!/usr/bin/python3
"""kiln against its peers, in one run on one machine: the driver behind bench/run.sh (see
docs/benchmarks.md, "Inference against peers", for what each column means).

    /usr/bin/python3 bench/suite.py --build build --work WORK --out OUT [--doc docs/benchmarks.md]
        [--models a,b] [--threads 1,2] [--runs 30] [--warmup 5] [--quick]

Writes OUT/latest.json (every figure and the machine facts), OUT/table.md (the generated
markdown), OUT/ratios.png (gnuplot bar chart of the ratios against ONNX Runtime, when gnuplot is
installed) and, with --doc, replaces the generated section of that file between its markers.
"""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "bench")
PY = "/usr/bin/python3"
sys.path.insert(0, BENCH)
import suite_report  # noqa: E402  (markdown, chart and doc section)

ALL_MODELS = ["resnet18", "resnet50", "mobilenet_v3_small", "efficientnet_b0", "bert_seq32", "bert_seq128",
              "bert_seq512", "lstm", "mlp"]
# Column keys, in table order. "ort" is the reference every ratio is taken against.
COLUMNS = ["kiln_jit", "kiln_aot", "ort_kiln_o2", "ort", "libtorch"]
OPT_LEVELS = [0, 1, 2, 3]
TOP_KERNELS = 5


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def run(cmd, **kw):
    """Runs cmd and returns its stdout; raises with the tail of stderr on failure."""
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        tail = (p.stderr or p.stdout).strip().splitlines()[-3:]
        raise RuntimeError(f"{os.path.basename(cmd[0])} exited {p.returncode}: {' | '.join(tail)}")
    return p.stdout


def percentile(sorted_times, q):
    """Nearest rank with the same rounding as `kiln bench`, so every column is summarized alike."""
    i = min(len(sorted_times) - 1, int(q * (len(sorted_times) - 1) + 0.5))
    return sorted_times[i]


def summarize(times_ms):
    t = sorted(times_ms)
    return {"runs": len(t), "median_ms": percentile(t, 0.5), "p90_ms": percentile(t, 0.9), "min_ms": t[0],
            "max_ms": t[-1], "q1_ms": percentile(t, 0.25), "q3_ms": percentile(t, 0.75)}


# ---- machine facts ------------------------------------------------------------------------------

def machine_facts(build, quick):
    info = open("/proc/cpuinfo").read()
    model = re.search(r"^model name\s*:\s*(.*)$", info, re.M)
    flags = set(re.search(r"^flags\s*:\s*(.*)$", info, re.M).group(1).split())
    mem_kib = int(re.search(r"MemTotal:\s*(\d+)", open("/proc/meminfo").read()).group(1))
    facts = {
        "cpu_model": model.group(1).strip() if model else platform.processor(),
        "isa": {k: k in flags for k in ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl",
                                         "avx512_vnni", "avx512_bf16", "amx_tile")},
        "cores_visible": os.cpu_count(),
        "memory_gib": round(mem_kib / 2**20, 1),
        "kernel": platform.release(),
        "load_average_start": os.getloadavg(),
    }
    facts.update(json.loads(run([os.path.join(build, "bench", "kiln_peak_probe")])))
    probe = [os.path.join(build, "bench", "kiln_bandwidth_probe"), "--threads", str(os.cpu_count())]
    bw = json.loads(run(probe + (["--mib", "64", "--passes", "3"] if quick else [])))
    facts["triad_gb_per_s"] = {int(k): v for k, v in bw["triad_gb_per_s"].items()}
    return facts


# ---- inference timings --------------------------------------------------------------------------

def time_kiln_jit(kiln, model, inputs, threads, iters, warmup, cache):
    out = json.loads(run([kiln, "bench", model, "--backend", "jit", "--json", "--threads", str(threads),
                          "--iters", str(iters), "--warmup", str(warmup), "--input", inputs, "--cache-dir", cache]))
    return {"times_ms": out["times_ms"], "fallbacks": len(out.get("fallbacks", [])),
            "generated_kernels": out.get("generated_kernels")}


def peer_env(spin_wait):
    """OpenMP (libtorch) waits passively unless --spin-wait: on a shared machine spinning idle
    threads only take cycles from the thread doing the work. kiln's pool always sleeps."""
    return dict(os.environ) if spin_wait else dict(os.environ, OMP_WAIT_POLICY="PASSIVE")


def time_ort(model, inputs, threads, iters, warmup, spin_wait):
    out = json.loads(run(["node", os.path.join(BENCH, "ort_infer_time.js"), model, inputs, "--threads", str(threads),
                          "--opt", "all", "--warmup", str(warmup), "--iters", str(iters),
                          "--spin", "1" if spin_wait else "0"], env=peer_env(spin_wait)))
    return {"times_ms": out["times_ms"]}


def time_torch(model, inputs, threads, iters, warmup, spin_wait):
    out = json.loads(run([PY, os.path.join(BENCH, "torch_time.py"), model, inputs, "--threads", str(threads),
                          "--warmup", str(warmup), "--iters", str(iters)], env=peer_env(spin_wait)))
    return {"times_ms": out["times_ms"]}


def aot_support(kiln):
    """The AOT library column needs `kiln compile --emit lib`; returns None or why not."""
    help_text = run([kiln, "compile", "--help"])
    m = re.search(r"--emit TEXT:\{([^}]*)\}", help_text)
    if not m or "lib" not in [c.strip() for c in m.group(1).split(",")]:
        return "kiln compile has no --emit lib in this build"
    return None


def time_kiln_aot(kiln, model, inputs, threads, iters, warmup, work, name):
    """Builds the AOT library and bench/aot_driver.cpp against its generated header, then times it."""
    import suite_aot  # only needed where the backend exists
    return suite_aot.time_aot(kiln, model, inputs, threads, iters, warmup, work, name)


def guarded(fn, *args):
    """A failing runtime gives an "n/a" cell with its reason instead of ending the run."""
    try:
        return fn(*args)
    except Exception as e:  # noqa: BLE001 - any failure is reported in the table
        log(f"  n/a: {e}")
        return {"na": str(e)[:300]}


# ---- compile side -------------------------------------------------------------------------------

PASS_ROW = re.compile(r"^\s*([\d.]+)\s+\(\s*([\d.]+)%\)\s+(\d+)\s+(\S+)\s*$")


def compile_times(kiln, model, work, name):
    """Wall time of `kiln compile -ON --time-passes` (no validation run) per level, and pass shares."""
    res = {}
    for level in OPT_LEVELS:
        out_path = os.path.join(work, f"{name}.O{level}.onnx")
        t0 = time.perf_counter()
        p = subprocess.run([kiln, "compile", model, f"-O{level}", "--no-validate", "--time-passes", "-o", out_path,
                            "--force"], capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if p.returncode != 0:
            res[f"O{level}"] = {"na": (p.stderr.strip().splitlines() or ["failed"])[-1][:300]}
            continue
        passes = []
        for line in (p.stdout + p.stderr).splitlines():
            m = PASS_ROW.match(line)
            if m and m.group(4) != "Total":
                passes.append({"pass": m.group(4), "seconds": float(m.group(1)), "share": float(m.group(2)) / 100,
                               "runs": int(m.group(3))})
        res[f"O{level}"] = {"wall_s": wall, "passes_s": sum(x["seconds"] for x in passes), "passes": passes}
    return res


# ---- roofline -----------------------------------------------------------------------------------

def roofline(kiln, model, inputs, a, cache, facts, threads=1):
    out = json.loads(run([kiln, "bench", model, "--backend", "jit", "--json", "--profile", "--threads", str(threads),
                          "--iters", str(max(5, min(a.runs, 10))), "--warmup", "2", "--input", inputs,
                          "--cache-dir", cache]))
    peak = facts["fp32_peak_gflops_per_core"] * threads
    bw = facts["triad_gb_per_s"].get(threads) or facts["triad_gb_per_s"][1]
    steps = sorted(out.get("profile", []), key=lambda s: -s["share"])
    kernels = []
    for s in steps[:TOP_KERNELS]:
        intensity = s["flops"] / s["bytes"] if s.get("bytes") else 0
        bound = min(peak, intensity * bw) if intensity else 0
        kernels.append({
            "node": s["node"], "op": s["op"], "generated": s["generated"], "share": s["share"],
            "us_per_run": s["us_per_run"], "flops": s["flops"], "bytes": s["bytes"],
            "gflops_per_s": s["gflops_per_s"], "gbytes_per_s": s["gbytes_per_s"],
            "flops_per_byte": intensity, "pct_of_peak": s["gflops_per_s"] / peak,
            "pct_of_bandwidth": s["gbytes_per_s"] / bw,
            "roofline_gflops": bound, "pct_of_roofline": s["gflops_per_s"] / bound if bound else None,
        })
    total_flops = sum(s["flops"] for s in steps)
    return {"threads": threads, "peak_gflops": peak, "bandwidth_gb_per_s": bw, "median_ms": out["median_ms"],
            "model_gflop": total_flops / 1e9,
            "model_gflops_per_s": total_flops / (out["median_ms"] / 1e3) / 1e9 if out["median_ms"] else 0,
            "top_kernels": kernels}


# ---- driver -------------------------------------------------------------------------------------

def git_commit():
    try:
        rev = run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"]).strip()
        dirty = run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"]).strip()
        return rev + ("+dirty" if dirty else "")
    except RuntimeError:
        return "unknown"


def measure_pair(name, threads, a, kiln, files, work, aot_na):
    """All columns at one thread count. The timed runs are split into --rounds rounds; each round
    runs every column once (in a rotated order, each after its own warm-up), so load from other
    processes that comes and goes hits every column alike. Times are pooled over the rounds."""
    src, kiln_o2, pt, inputs, cache = files
    timers = {
        "kiln_jit": lambda n: time_kiln_jit(kiln, src, inputs, threads, n, a.warmup, cache),
        "kiln_aot": lambda n: time_kiln_aot(kiln, src, inputs, threads, n, a.warmup, work, name),
        "ort_kiln_o2": lambda n: time_ort(kiln_o2, inputs, threads, n, a.warmup, a.spin_wait),
        "ort": lambda n: time_ort(src, inputs, threads, n, a.warmup, a.spin_wait),
        "libtorch": lambda n: time_torch(pt, inputs, threads, n, a.warmup, a.spin_wait),
    }
    na = {"kiln_aot": aot_na} if aot_na else {}
    if not os.path.exists(kiln_o2):
        na["ort_kiln_o2"] = "kiln compile -O2 failed"
    pooled = {c: [] for c in COLUMNS}
    extra = {}
    order = [c for c in COLUMNS if c not in na]
    rounds = max(1, min(a.rounds, a.runs))
    for r in range(rounds):
        n = a.runs // rounds + (1 if r < a.runs % rounds else 0)
        for col in order[r % len(order):] + order[:r % len(order)]:
            if col in na:
                continue
            try:
                res = timers[col](n)
            except Exception as e:  # noqa: BLE001 - a failing runtime gives an n/a cell with its reason
                log(f"  {col}: n/a: {e}")
                na[col] = str(e)[:300]
                continue
            pooled[col] += res.pop("times_ms")
            extra[col] = res
    row = {}
    for col in COLUMNS:
        row[col] = {"na": na[col]} if col in na else {**summarize(pooled[col]), **extra.get(col, {})}
    ref = row["ort"].get("median_ms")
    for col in COLUMNS:
        if ref and "median_ms" in row[col]:
            row[col]["ratio_vs_ort"] = row[col]["median_ms"] / ref
    return row


def bench_model(name, a, kiln, models_dir, work, facts, aot_na):
    src = os.path.join(models_dir, name + ".onnx")
    cache = os.path.join(work, "jit-cache")
    os.makedirs(cache, exist_ok=True)
    files = (src, os.path.join(work, f"{name}.O2.onnx"), os.path.join(models_dir, name + ".pt"),
             os.path.join(models_dir, name + ".inputs.npz"), cache)
    entry = {"compile": {}, "latency": {}}
    log(f"{name}: compile -O0..-O3")
    entry["compile"] = compile_times(kiln, src, work, name)
    for threads in a.threads:
        log(f"{name}: {threads} thread(s)")
        entry["latency"][str(threads)] = measure_pair(name, threads, a, kiln, files, work, aot_na)
        log("  " + ", ".join(f"{c} {r['median_ms']:.2f} ms" for c, r in entry["latency"][str(threads)].items()
                              if "median_ms" in r))
    if not a.quick:
        log(f"{name}: roofline (kiln bench --profile)")
        entry["roofline"] = guarded(roofline, kiln, src, files[3], a, cache, facts)
    return entry


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--work", required=True, help="models and scratch files")
    ap.add_argument("--out", required=True, help="latest.json, table.md, ratios.png go here")
    ap.add_argument("--doc", help="markdown file whose generated section is replaced")
    ap.add_argument("--models", default=",".join(ALL_MODELS))
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=5, help="untimed runs before each round's timed runs")
    ap.add_argument("--rounds", type=int, default=2, help="the timed runs of a figure are split into this many rounds")
    ap.add_argument("--spin-wait", action="store_true",
                    help="let ONNX Runtime's and libtorch's idle threads spin (their defaults)")
    ap.add_argument("--quick", action="store_true", help="smoke run: no roofline, a shorter bandwidth probe")
    ap.add_argument("--report-only", action="store_true",
                    help="measure nothing: rewrite table.md, ratios.png and --doc from OUT/latest.json")
    a = ap.parse_args()
    if a.report_only:
        return write_report(json.load(open(os.path.join(a.out, "latest.json"))), a)
    a.threads = [int(t) for t in a.threads.split(",") if t]
    names = [m for m in a.models.split(",") if m]
    unknown = [m for m in names if m not in ALL_MODELS]
    if unknown:
        print(f"bench: unknown model(s) {', '.join(unknown)}; known: {', '.join(ALL_MODELS)}", file=sys.stderr)
        return 2
    kiln = os.path.join(a.build, "kiln")
    models_dir = os.path.join(a.work, "models")
    os.makedirs(a.out, exist_ok=True)
    t_start = time.time()

    log("machine facts: FMA peak and triad bandwidth probes")
    facts = machine_facts(a.build, a.quick)
    log(f"generating models: {', '.join(names)}")
    subprocess.run([PY, os.path.join(BENCH, "gen_models.py"), models_dir, "--only", *names], check=True)
    meta = json.load(open(os.path.join(models_dir, "models.json")))
    aot_na = aot_support(kiln)
    results = {}
    for name in names:
        results[name] = bench_model(name, a, kiln, models_dir, a.work, facts, aot_na)
        results[name]["description"] = meta["models"][name]["description"]
    facts["load_average_end"] = os.getloadavg()

    doc = {
        "generator": "bench/run.sh (bench/suite.py)",
        "date_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "kiln_commit": git_commit(),
        "settings": {"runs": a.runs, "warmup": a.warmup, "rounds": a.rounds, "threads": a.threads, "quick": a.quick,
                     "peers_spin_wait": a.spin_wait,
                     "statistic": "median of the timed runs; p90; spread = min..max and q1..q3",
                     "ratio": "median / ONNX Runtime's median on the original model, same thread count"},
        "peers": {"onnxruntime": ort_version(), "torch": meta["torch"], "torchvision": meta["torchvision"],
                  "onnx_opset": meta["opset"]},
        "columns": COLUMNS,
        "machine": facts,
        "models": results,
        "duration_s": round(time.time() - t_start, 1),
    }
    with open(os.path.join(a.out, "latest.json.tmp"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    os.replace(os.path.join(a.out, "latest.json.tmp"), os.path.join(a.out, "latest.json"))
    write_report(doc, a)
    log(f"done in {doc['duration_s']:.0f} s: {os.path.join(a.out, 'latest.json')}")
    return 0


def write_report(doc, a):
    """table.md, ratios.png (when gnuplot is installed) and the --doc section from one results object."""
    table = suite_report.markdown(doc)
    with open(os.path.join(a.out, "table.md"), "w") as f:
        f.write(table)
    if shutil.which("gnuplot"):
        suite_report.chart(doc, os.path.join(a.out, "ratios.png"), a.work)
    else:
        log("gnuplot not installed (scripts/install-deps.sh installs gnuplot-nox): no ratios.png")
    if a.doc:
        suite_report.replace_section(a.doc, table)
        log(f"updated {a.doc}")
    return 0


def ort_version():
    pkg = os.path.join(ROOT, "tests", "oracle", "node_modules", "onnxruntime-node", "package.json")
    try:
        return json.load(open(pkg))["version"]
    except OSError:
        return "unknown"


if __name__ == "__main__":
    sys.exit(main())
