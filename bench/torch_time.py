#!/usr/bin/python3
"""Peer timing for bench/run.sh: libtorch (through Python's torch 1.13) on a traced model,
frozen the way one deploys TorchScript for inference, printed as JSON {"times_ms": [...]}.

    /usr/bin/python3 bench/torch_time.py MODEL.pt INPUTS.npz --threads N [--warmup W] [--iters K]

torch.jit.load, then torch.jit.freeze (weights become constants, eval-mode folding such as
Conv+BatchNorm), torch.set_num_threads(N) and torch.set_num_interop_threads(1); inputs are fed in
the .npz's order (gen_models.py writes them in forward() order). Runs under torch.no_grad().
"""
import argparse
import json
import sys
import time

import numpy as np
import torch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("inputs")
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--iters", type=int, default=30)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    data = np.load(a.inputs)
    args = tuple(torch.from_numpy(data[k]) for k in data.files)
    model = torch.jit.freeze(torch.jit.load(a.model).eval())
    times = []
    with torch.no_grad():
        # At least 3: TorchScript's profiling executor optimizes the graph only after its first
        # calls, which would otherwise be timed.
        for _ in range(max(3, a.warmup)):
            model(*args)
        for _ in range(a.iters):
            t0 = time.perf_counter()
            model(*args)
            times.append((time.perf_counter() - t0) * 1e3)
    json.dump({"times_ms": times, "threads": torch.get_num_threads()}, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
