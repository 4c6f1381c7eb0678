#!/usr/bin/python3
"""`kiln validate`, `kiln run --backend torch` and `kiln compile` batch mode, judged by libtorch
and ONNX Runtime run from Python (never by kiln itself).

    tests/e2e/validate_cli.py KILN WORK_DIR

Models are traced here with Debian's python3-torch (random weights): an MLP and a small CNN
returning a tuple, each saved as TorchScript and exported to ONNX at opset 13.
"""
import json
import os
import shutil
import sys

import numpy as np
import onnx
import torch
from onnx import numpy_helper

from harness import Summary, ort, run


class Mlp(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(16, 32), torch.nn.GELU(), torch.nn.Linear(32, 10))

    def forward(self, x):
        return self.net(x)


class SmallCnn(torch.nn.Module):
    """Two outputs (logits, pooled features), so tuple outputs are flattened in order."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.bn = torch.nn.BatchNorm2d(8)
        self.fc = torch.nn.Linear(8, 5)

    def forward(self, x):
        features = torch.nn.functional.adaptive_avg_pool2d(torch.relu(self.bn(self.conv(x))), 1).flatten(1)
        return self.fc(features), features


class Tagger(torch.nn.Module):
    """int64 token ids in: the runner's integer input path."""

    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Embedding(10, 6)
        self.fc = torch.nn.Linear(6, 3)

    def forward(self, x):
        return torch.log_softmax(self.fc(self.embed(x)), -1)


def make_models(work):
    """Writes NAME.pt, NAME.onnx, NAME.x.npy and NAME.torch.npz (libtorch's own outputs)."""
    torch.manual_seed(0)
    specs = {"mlp": (Mlp(), (2, 16), ["output"]), "cnn": (SmallCnn(), (1, 3, 8, 8), ["output", "output_1"]),
             "tagger": (Tagger(), (2, 5), ["output"])}
    for name, (module, shape, outputs) in specs.items():
        module.eval()
        if name == "cnn":  # non-trivial running statistics, so eval-mode batchnorm matters
            module.bn.running_mean.uniform_(-0.5, 0.5)
            module.bn.running_var.uniform_(0.5, 2.0)
        x = torch.randint(0, 10, shape) if name == "tagger" else torch.rand(*shape) * 2 - 1
        traced = torch.jit.trace(module, x)
        traced.save(os.path.join(work, name + ".pt"))
        torch.onnx.export(module, x, os.path.join(work, name + ".onnx"), opset_version=13, input_names=["x"],
                          output_names=outputs)
        np.save(os.path.join(work, name + ".x.npy"), x.numpy())
        with torch.no_grad():
            result = module(x)
        result = result if isinstance(result, tuple) else (result,)
        np.savez(os.path.join(work, name + ".torch.npz"), **{n: r.numpy() for n, r in zip(outputs, result)})
        np.savez(os.path.join(work, name + ".inputs.npz"), x=x.numpy())
    # The CNN exported with its first output only: an output-count mismatch.
    torch.onnx.export(_FirstOutput(specs["cnn"][0]), torch.zeros(1, 3, 8, 8), os.path.join(work, "cnn_one.onnx"),
                      opset_version=13, input_names=["x"], output_names=["output"])


class _FirstOutput(torch.nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner(x)[0]


def perturb(src, dst):
    """Copies an ONNX model with its first float weight's first element moved by 0.5."""
    model = onnx.load(src)
    for init in model.graph.initializer:
        array = numpy_helper.to_array(init).copy()
        if array.dtype == np.float32 and array.size > 1:
            array.flat[0] += 0.5
            init.CopyFrom(numpy_helper.from_array(array, init.name))
            break
    onnx.save(model, dst)


def load_json(path):
    with open(path) as f:
        return json.load(f)


def check_validate_pass(kiln, work, summary):
    for name in ("mlp", "cnn", "tagger"):
        report = os.path.join(work, name + ".report.json")
        code, out, err = run([kiln, "validate", f"{work}/{name}.pt", f"{work}/{name}.onnx", "--report", report])
        problems = []
        if code != 0:
            problems.append(f"exit {code}, expected 0: {err.strip()} {out}")
        if "PASS" not in out or "max abs diff" not in out:
            problems.append("table lacks PASS / max abs diff")
        if os.path.exists(report):
            r = load_json(report)
            n_out = 2 if name == "cnn" else 1
            if r["verdict"] != "PASS" or len(r["outputs"]) != n_out:
                problems.append(f"report verdict {r['verdict']} with {len(r['outputs'])} outputs")
            if r["reference"]["runner"] != "libtorch":
                problems.append(f"reference runner {r['reference']['runner']}")
            for o in r["outputs"]:
                if not o["max_abs_diff"] < 1e-5 or not o["cosine_similarity"] > 0.999999:
                    problems.append(f"{o['name']}: max abs diff {o['max_abs_diff']}, cosine {o['cosine_similarity']}")
                if [h["threshold"] for h in o["histogram"]] != [1e-6, 2e-6, 5e-6, 1e-5, 1e-4]:
                    problems.append("histogram thresholds")
                for key in ("mse", "reference_values", "candidate_values", "problems", "verdict"):
                    if key not in o:
                        problems.append(f"report output lacks {key}")
            if r["inputs"][0]["name"] != "x" or r["inputs"][0]["shape"] != list(np.load(f"{work}/{name}.x.npy").shape):
                problems.append(f"report inputs {r['inputs']}")
        else:
            problems.append("no report written")
        summary.check(f"validate {name}.pt {name}.onnx -> PASS", problems)


def check_validate_fail(kiln, work, summary):
    """A perturbed weight must FAIL, and the reported max abs diff / MSE must match what libtorch
    and ONNX Runtime give on the same inputs."""
    bad = os.path.join(work, "mlp_perturbed.onnx")
    perturb(os.path.join(work, "mlp.onnx"), bad)
    report = os.path.join(work, "mlp_perturbed.report.json")
    inputs = os.path.join(work, "mlp.inputs.npz")
    code, out, err = run([kiln, "validate", f"{work}/mlp.pt", bad, "--inputs", inputs, "--report", report])
    problems = []
    if code != 1:
        problems.append(f"exit {code}, expected 1: {err.strip()}")
    if "FAIL" not in out:
        problems.append("table lacks FAIL")
    if os.path.exists(report):
        r = load_json(report)
        want = np.load(os.path.join(work, "mlp.torch.npz"))["output"].astype(np.float64)
        got = ort(bad, inputs, os.path.join(work, "mlp_perturbed.ort.npz"))["output"].astype(np.float64)
        diff = np.abs(want - got)
        o = r["outputs"][0]
        if r["verdict"] != "FAIL" or o["verdict"] != "FAIL":
            problems.append(f"verdicts {r['verdict']} / {o['verdict']}")
        if abs(o["max_abs_diff"] - diff.max()) > 1e-5:
            problems.append(f"max abs diff {o['max_abs_diff']} vs torch/ORT {diff.max()}")
        if abs(o["mse"] - np.mean(diff ** 2)) > 1e-5 * max(1.0, np.mean(diff ** 2)):
            problems.append(f"mse {o['mse']} vs torch/ORT {np.mean(diff ** 2)}")
        share = float(np.mean(diff > 1e-4))
        if abs(o["histogram"][4]["share_above"] - share) > 0.01:
            problems.append(f"share above 1e-4 {o['histogram'][4]['share_above']} vs {share}")
        if r["inputs"][0]["generated"]:
            problems.append("inputs from --inputs reported as generated")
    else:
        problems.append("no report written")
    summary.check("validate mlp.pt perturbed.onnx -> FAIL, metrics match torch vs ORT", problems)

    # ONNX reference (kiln's interpreter) against the perturbed copy: FAIL too.
    code, out, _ = run([kiln, "validate", f"{work}/mlp.onnx", bad])
    summary.check("validate mlp.onnx perturbed.onnx -> FAIL", [] if code == 1 and "FAIL" in out else [f"exit {code}"])

    code, out, err = run([kiln, "validate", f"{work}/cnn.pt", f"{work}/cnn_one.onnx"])
    summary.check("validate output count mismatch -> FAIL",
                  [] if code == 1 and "output count differs" in out else [f"exit {code}: {out} {err}"])


def check_candidate_backend(kiln, work, summary):
    """--candidate-backend: the JIT (the default on this host) and the reference interpreter
    both judged by libtorch, the backend named in the table, the JSON report and compile's
    verdict line; a perturbed model FAILs on the JIT with torch-vs-ORT's own max abs diff."""
    for backend, flag in (("jit", []), ("jit", ["--candidate-backend", "jit"]),
                          ("reference", ["--candidate-backend", "reference"])):
        report = os.path.join(work, f"cnn.{backend}{len(flag)}.report.json")
        code, out, err = run([kiln, "validate", f"{work}/cnn.pt", f"{work}/cnn.onnx", *flag, "--report", report])
        problems = [] if code == 0 and "PASS" in out else [f"exit {code}: {err.strip()} {out}"]
        runner = "kiln JIT" if backend == "jit" else "kiln reference interpreter"
        if f"Candidate : {work}/cnn.onnx  ({runner}," not in out:
            problems.append(f"table does not name the candidate's runner {runner!r}: {out}")
        if os.path.exists(report):
            r = load_json(report)
            if (r["candidate"]["backend"], r["candidate"]["runner"]) != (backend, runner):
                problems.append(f"report candidate {r['candidate']}")
            if r["reference"]["backend"] != "libtorch":
                problems.append(f"report reference {r['reference']}")
            for o in r["outputs"]:
                if not o["max_abs_diff"] < 1e-5:
                    problems.append(f"{o['name']}: max abs diff {o['max_abs_diff']}")
        else:
            problems.append("no report written")
        summary.check(f"validate cnn.pt cnn.onnx {' '.join(flag) or '(default)'} -> PASS on {backend}", problems)

    bad = os.path.join(work, "mlp_perturbed_jit.onnx")
    perturb(os.path.join(work, "mlp.onnx"), bad)
    inputs = os.path.join(work, "mlp.inputs.npz")
    report = os.path.join(work, "mlp_perturbed_jit.report.json")
    code, out, err = run([kiln, "validate", f"{work}/mlp.pt", bad, "--inputs", inputs, "--candidate-backend", "jit",
                          "--report", report])
    problems = [] if code == 1 and "FAIL" in out else [f"exit {code}, expected 1: {err.strip()}"]
    if os.path.exists(report):
        r = load_json(report)
        want = np.load(os.path.join(work, "mlp.torch.npz"))["output"].astype(np.float64)
        got = ort(bad, inputs, os.path.join(work, "mlp_perturbed_jit.ort.npz"))["output"].astype(np.float64)
        if r["candidate"]["backend"] != "jit" or abs(r["outputs"][0]["max_abs_diff"] - np.abs(want - got).max()) > 1e-5:
            problems.append(f"report {r['candidate']} max abs diff {r['outputs'][0]['max_abs_diff']} "
                            f"vs torch/ORT {np.abs(want - got).max()}")
    else:
        problems.append("no report written")
    summary.check("validate mlp.pt perturbed.onnx --candidate-backend jit -> FAIL, metrics match torch vs ORT", problems)

    out_path = os.path.join(work, "mlp.jit.onnx")
    for flag, runner in (([], "kiln JIT"), (["--candidate-backend", "reference"], "kiln reference interpreter")):
        code, _, err = run([kiln, "compile", f"{work}/mlp.pt", "--input-shape", "x=2x16", "-o", out_path, *flag,
                            "--summary"])
        problems = [] if code == 0 and "validation: PASS" in err else [f"exit {code}: {err.strip()}"]
        if f"vs libtorch; candidate on {runner})" not in err:
            problems.append(f"verdict line does not name {runner!r}: {err.strip()}")
        s = load_json(os.path.join(work, "mlp.jit.summary.json")) if code == 0 else {}
        if s.get("validation", {}).get("candidate_runner") != runner:
            problems.append(f"summary validation {s.get('validation')}")
        summary.check(f"compile mlp.pt --validate {' '.join(flag) or '(default)'} names {runner}", problems)

    code, _, err = run([kiln, "validate", f"{work}/mlp.pt", f"{work}/mlp.onnx", "--candidate-backend", "gpu"])
    summary.check("validate --candidate-backend gpu -> exit 2", [] if code == 2 else [f"exit {code}: {err}"])


def check_bad_input(kiln, work, summary):
    junk = os.path.join(work, "junk.pt")
    with open(junk, "wb") as f:
        f.write(b"not a torchscript archive")
    for name, cmd in (("junk .pt reference", ["validate", junk, f"{work}/mlp.onnx"]),
                      ("missing candidate", ["validate", f"{work}/mlp.pt", f"{work}/none.onnx"]),
                      (".pt candidate", ["validate", f"{work}/mlp.onnx", f"{work}/mlp.pt"]),
                      ("wrong input shape for libtorch", ["validate", f"{work}/cnn.pt", f"{work}/mlp.onnx"]),
                      ("run .pt without inputs", ["run", f"{work}/mlp.pt"])):
        code, out, err = run([kiln] + cmd)
        lines = [l for l in err.splitlines() if l.strip()]
        problems = []
        if code != 2:
            problems.append(f"exit {code}, expected 2")
        if len(lines) != 1 or not lines[0].startswith("kiln: error: "):
            problems.append(f"stderr is not one error line: {err!r}")
        summary.check(f"bad input: {name}", problems)


def check_torch_run(kiln, work, summary):
    for name in ("mlp", "cnn", "tagger"):
        out = os.path.join(work, name + ".kiln_torch.npz")
        code, _, err = run([kiln, "run", f"{work}/{name}.pt", "--backend", "torch", "--input", f"x={work}/{name}.x.npy",
                            "--threads", "1", "-o", out])
        problems = [] if code == 0 else [f"exit {code}: {err.strip()}"]
        if code == 0:
            want, got = np.load(os.path.join(work, name + ".torch.npz")), np.load(out)
            if sorted(want.files) != sorted(got.files):
                problems.append(f"outputs {got.files} vs {want.files}")
            for key in want.files:
                if key in got.files and not (want[key].shape == got[key].shape and
                                             np.abs(want[key] - got[key]).max() <= 1e-6):
                    problems.append(f"{key} differs from torch's own output")
        summary.check(f"run {name}.pt --backend torch == torch in Python", problems)

    out = os.path.join(work, "cnn.generated.npz")
    code, _, err = run([kiln, "run", f"{work}/cnn.pt", "--input-shape", "x=1x3x8x8", "-o", out])
    problems = [] if code == 0 else [f"exit {code}: {err.strip()}"]
    if code == 0:
        got = np.load(out)
        if got["output"].shape != (1, 5) or got["output_1"].shape != (1, 8):
            problems.append(f"shapes {got['output'].shape} {got['output_1'].shape}")
    summary.check("run cnn.pt --input-shape x=1x3x8x8", problems)


def check_compile(kiln, work, summary):
    out = os.path.join(work, "mlp.compiled.onnx")
    code, _, err = run([kiln, "compile", f"{work}/mlp.onnx", "-o", out, "--summary"])
    problems = [] if code == 0 else [f"exit {code}: {err.strip()}"]
    if "validation: PASS" not in err:
        problems.append(f"no PASS verdict printed: {err!r}")
    summary_path = os.path.join(work, "mlp.compiled.summary.json")
    if os.path.exists(summary_path):
        s = load_json(summary_path)
        expect = {"source": f"{work}/mlp.onnx", "output": out, "target": "onnx", "opset": 13}
        for key, value in expect.items():
            if s.get(key) != value:
                problems.append(f"summary {key} = {s.get(key)!r}, expected {value!r}")
        if s.get("validation", {}).get("verdict") != "PASS" or "shape-infer" not in s.get("pipeline", ""):
            problems.append(f"summary validation/pipeline: {s}")
    else:
        problems.append("no summary file")
    summary.check("compile --summary with validation PASS", problems)

    code, _, err = run([kiln, "compile", f"{work}/mlp.onnx", "-o", out, "--no-validate"])
    summary.check("compile --no-validate", [] if code == 0 and "validation" not in err else [f"exit {code}: {err}"])


def check_batch(kiln, work, summary):
    runs = os.path.join(work, "runs")
    shutil.rmtree(runs, ignore_errors=True)
    for sub, model in (("a", "mlp.onnx"), ("b", "cnn.onnx"), ("c", None)):
        os.makedirs(os.path.join(runs, sub, "weights"))
        dst = os.path.join(runs, sub, "weights", "best.onnx")
        if model:
            shutil.copy(os.path.join(work, model), dst)
        else:
            with open(dst, "wb") as f:
                f.write(b"\x08\x07broken")
    metadata = os.path.join(work, "metadata.json")
    with open(metadata, "w") as f:
        json.dump({"model_name": "from-file", "mean": "0.485,0.456,0.406"}, f)
    out_dir = os.path.join(work, "batch_out")
    shutil.rmtree(out_dir, ignore_errors=True)
    code, out, err = run([kiln, "compile", os.path.join(runs, "*", "weights", "best.onnx"), "-o", out_dir,
                          "--metadata-file", metadata, "--metadata", "model_name=from-option", "--summary"])
    problems = []
    if code == 0:
        problems.append("exit 0 although one model is broken")
    if "compiled 2 of 3 models" not in out or "c/weights/best.onnx" not in out.split("FAILED", 1)[-1]:
        problems.append(f"summary does not list the broken model: {out!r}")
    for sub, outputs in (("a", 1), ("b", 2)):
        path = os.path.join(out_dir, sub, "weights", "best.kiln.onnx")
        if not os.path.exists(path):
            problems.append(f"{path} not written")
            continue
        model = onnx.load(path)
        onnx.checker.check_model(model)
        props = {p.key: p.value for p in model.metadata_props}
        if props.get("model_name") != "from-option" or props.get("mean") != "0.485,0.456,0.406":
            problems.append(f"{sub}: metadata_props {props}")
        if len(model.graph.output) != outputs:
            problems.append(f"{sub}: {len(model.graph.output)} outputs")
        s = os.path.join(out_dir, sub, "weights", "best.kiln.summary.json")
        if not os.path.exists(s) or load_json(s)["validation"]["verdict"] != "PASS":
            problems.append(f"{sub}: summary missing or not PASS")
    if os.path.exists(os.path.join(out_dir, "c")):
        problems.append("output folder created for the broken model")
    summary.check("batch compile: continues past a broken model, summary, metadata file", problems)

    # Without -o each output lands beside its source.
    code, out, _ = run([kiln, "compile", os.path.join(runs, "a", "weights", "best.onnx"),
                        os.path.join(runs, "b", "weights", "best.onnx"), "--no-validate"])
    beside = [os.path.join(runs, s, "weights", "best.kiln.onnx") for s in ("a", "b")]
    summary.check("batch compile of two files writes beside the sources",
                  [] if code == 0 and all(map(os.path.exists, beside)) else [f"exit {code}: {out}"])


def main(kiln, work):
    os.makedirs(work, exist_ok=True)
    make_models(work)
    summary = Summary()
    check_validate_pass(kiln, work, summary)
    check_validate_fail(kiln, work, summary)
    check_candidate_backend(kiln, work, summary)
    check_bad_input(kiln, work, summary)
    check_torch_run(kiln, work, summary)
    check_compile(kiln, work, summary)
    check_batch(kiln, work, summary)
    summary.finish()


if __name__ == "__main__":
    main(*sys.argv[1:3])
