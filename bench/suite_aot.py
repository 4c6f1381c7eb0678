"""The kiln AOT library column of bench/suite.py, used only where `kiln compile --emit lib` exists:
compiles the model's -O2 graph to a shared library, builds bench/aot_driver.cpp against the
generated header (the C API of docs/aot.md: NAME_create(options, &model), NAME_run(model,
tensors, count), NAME_destroy) and times it like the other columns. Anything that does not fit
(no header, another API) raises, and the column says n/a with why."""
import glob
import json
import os
import re
import subprocess

import numpy as np

BENCH = os.path.dirname(os.path.abspath(__file__))


def _check(cmd, what):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        tail = " | ".join((p.stderr or p.stdout).strip().splitlines()[-2:])
        raise RuntimeError(f"{what} failed: {tail}")
    return p.stdout


def _build(kiln, model, work, name):
    out_dir = os.path.join(work, "aot", name)
    driver = os.path.join(out_dir, "aot_driver")
    if os.path.exists(driver) and os.path.getmtime(driver) > os.path.getmtime(kiln):
        return out_dir, driver
    os.makedirs(out_dir, exist_ok=True)
    lib = os.path.join(out_dir, f"lib{name}.so")
    _check([kiln, "compile", model, "-O2", "--no-validate", "--emit", "lib", "-o", lib], "kiln compile --emit lib")
    headers = glob.glob(os.path.join(out_dir, "*.h"))
    if not headers:
        raise RuntimeError("kiln compile --emit lib wrote no header beside the library")
    header = headers[0]
    prefix = re.search(r"(\w+)_create\s*\(", open(header).read())
    if not prefix:
        raise RuntimeError(f"{os.path.basename(header)} declares no NAME_create()")
    libs = glob.glob(os.path.join(out_dir, "*.so")) + glob.glob(os.path.join(out_dir, "*.a"))
    _check(["c++", "-O2", "-std=c++20", "-include", header, f"-DKILN_AOT_NAME={prefix.group(1)}",
            os.path.join(BENCH, "aot_driver.cpp"), *libs, f"-Wl,-rpath,{out_dir}", "-o", driver],
           "building aot_driver against the generated header")
    return out_dir, driver


def time_aot(kiln, model, inputs, threads, iters, warmup, work, name):
    out_dir, driver = _build(kiln, model, work, name)
    data = np.load(inputs)
    bins = []
    for k in data.files:  # gen_models.py writes them in the graph's input order
        path = os.path.join(out_dir, f"input_{k}.bin")
        np.ascontiguousarray(data[k]).tofile(path)
        bins.append(path)
    out = _check([driver, str(threads), str(warmup), str(iters), *bins], "aot_driver")
    return {"times_ms": json.loads(out)["times_ms"]}
