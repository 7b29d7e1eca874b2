"""Median GFLOP/s of tensor-core.bench.ts's matmuls in PyTorch (same shapes as its rows).

Usage: python3 torch_matmul.py '{"cases": {"name": [[shape a], [shape b]], ...}, "repeats": 5}'
Prints one JSON line {"torch": version, "gflops": {name: GFLOP/s}}. Run with OPENBLAS_NUM_THREADS=2.
"""
import json
import sys
import time

import torch


def main():
    spec = json.loads(sys.argv[1])
    torch.set_num_threads(1)
    out = {}
    for name, (sa, sb) in spec["cases"].items():
        a, b = torch.randn(*sa), torch.randn(*sb)
        flops = 2 * a.numel() * sb[-1]
        torch.matmul(a, b)
        ts = []
        for _ in range(spec.get("repeats", 5)):
            t0 = time.perf_counter()
            torch.matmul(a, b)
            ts.append(time.perf_counter() - t0)
        out[name] = flops / sorted(ts)[len(ts) // 2] / 1e9
    print(json.dumps({"torch": torch.__version__, "gflops": out}))


if __name__ == "__main__":
    main()
