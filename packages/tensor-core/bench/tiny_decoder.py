"""The tiny decoder of tiny_decoder.ts in PyTorch, timed per training step (Adam).

Run by tensor-core.bench.ts with OPENBLAS_NUM_THREADS=2; prints one JSON line:
{"torch": version, "ms": [step times after warm-up], "loss": last loss}.
"""
import json
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.fc1 = nn.Linear(d, 4 * d)
        self.fc2 = nn.Linear(4 * d, d)

    def forward(self, x, mask):
        b, t, d = x.shape
        h = self.heads
        q, k, v = self.qkv(self.ln1(x)).view(b, t, 3, h, d // h).permute(2, 0, 3, 1, 4)
        s = (q @ k.transpose(-1, -2)) / math.sqrt(d // h) + mask
        att = (s.softmax(-1) @ v).transpose(1, 2).reshape(b, t, d)
        x = x + self.proj(att)
        return x + self.fc2(F.gelu(self.fc1(self.ln2(x)), approximate="tanh"))


class TinyDecoder(nn.Module):
    def __init__(self, vocab, d, layers, heads, seq):
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        self.pos = nn.Embedding(seq, d)
        nn.init.normal_(self.embed.weight, std=0.02)
        nn.init.normal_(self.pos.weight, std=0.02)
        self.blocks = nn.ModuleList([Block(d, heads) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab, bias=False)
        mask = torch.full((seq, seq), -1e9).triu(1)
        self.register_buffer("mask", mask)

    def forward(self, ids):
        t = ids.shape[1]
        x = self.embed(ids) + self.pos(torch.arange(t))
        for blk in self.blocks:
            x = blk(x, self.mask[:t, :t])
        return self.head(self.ln_f(x))


def main():
    cfg = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    vocab, d, layers, heads, seq = (cfg.get(k, v) for k, v in (("vocab", 1024), ("dim", 256), ("layers", 4), ("heads", 4), ("seq", 128)))
    batch, warmup, steps = cfg.get("batch", 8), cfg.get("warmup", 2), cfg.get("steps", 7)
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = TinyDecoder(vocab, d, layers, heads, seq)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    toks = torch.randint(0, vocab, (batch, seq + 1))
    ids, labels = toks[:, :-1], toks[:, 1:]
    times = []
    loss = None
    for i in range(warmup + steps):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(ids).reshape(-1, vocab), labels.reshape(-1))
        loss.backward()
        opt.step()
        dt = (time.perf_counter() - t0) * 1000
        if i >= warmup:
            times.append(dt)
    params = sum(p.numel() for p in model.parameters())
    print(json.dumps({"torch": torch.__version__, "params": params, "ms": times, "loss": float(loss), "gflops": matmul_gflops()}))


def matmul_gflops():
    """Median GFLOP/s of the bench's three matmuls (same shapes as the TS rows)."""
    out = {}
    cases = {"512": ((512, 512), (512, 512)), "1024": ((1024, 1024), (1024, 1024)), "batched": ((8, 128, 256), (8, 256, 256))}
    for name, (sa, sb) in cases.items():
        a, b = torch.randn(*sa), torch.randn(*sb)
        flops = 2 * a.numel() * sb[-1]
        torch.matmul(a, b)
        ts = []
        for _ in range(5):
            t0 = time.perf_counter()
            torch.matmul(a, b)
            ts.append(time.perf_counter() - t0)
        out[name] = flops / sorted(ts)[2] / 1e9
    return out


if __name__ == "__main__":
    main()
