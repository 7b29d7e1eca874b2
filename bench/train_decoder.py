"""PyTorch twin of the training benchmark (bench/training.bench.ts): the same Phi-3-layout
decoder as @healthgpt/decoder's DecoderLM, built from the same config.json and model.safetensors
(written by savePretrained), trained on the same token ids with torch.optim.AdamW and the same
parameter groups, timed per step.

Usage: python3 train_decoder.py MODEL_DIR SETTINGS_JSON
SETTINGS_JSON: {"ids": [[...]], "lr", "betas", "eps", "weight_decay"}.
One process serves every round of the benchmark, so its interpreter, torch import and model load
are paid once: it prints {"torch", "params"} when ready, then for each line {"warmup": W,
"steps": S} read from stdin trains W untimed and S timed steps and prints one JSON line {"ms":
[the S step times], "losses": [the W + S losses], "max_rss_mb": the process's peak resident set
size so far}. It exits at the end of its input.
Run with OPENBLAS_NUM_THREADS=2; intra-op threads are set to 1 here.
"""
import json
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_safetensors import load_safetensors


class Phi3(nn.Module):
    """HF Phi-3 semantics: RMSNorm, fused qkv_proj, rotate-half RoPE, causal attention, fused
    gate_up_proj with SiLU gating, untied lm_head; parameters under the HF keys."""

    def __init__(self, cfg, weights):
        super().__init__()
        self.L = cfg["num_hidden_layers"]
        self.H = cfg["num_attention_heads"]
        self.KV = cfg.get("num_key_value_heads") or self.H
        self.hd = cfg["hidden_size"] // self.H
        self.eps = cfg["rms_norm_eps"]
        self.theta = cfg["rope_theta"]
        assert not cfg.get("tie_word_embeddings"), "the benchmark model has an untied head"
        self.params = nn.ParameterDict({k.replace(".", "/"): nn.Parameter(v) for k, v in weights.items()})

    def w(self, key):
        return self.params[key.replace(".", "/")]

    def norm(self, x, key):
        return self.w(key) * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))

    def forward(self, ids):
        B, T = ids.shape
        h = F.embedding(ids, self.w("model.embed_tokens.weight"))
        inv = 1.0 / (self.theta ** (torch.arange(0, self.hd, 2, dtype=torch.float32) / self.hd))
        ang = torch.arange(T, dtype=torch.float32)[:, None] * inv[None]
        emb = torch.cat([ang, ang], -1)
        cos, sin = emb.cos(), emb.sin()
        half = self.hd // 2
        rope = lambda x: x * cos + torch.cat([-x[..., half:], x[..., :half]], -1) * sin
        mask = torch.full((T, T), float("-inf")).triu(1)
        rep = self.H // self.KV
        for i in range(self.L):
            p = f"model.layers.{i}."
            x = self.norm(h, p + "input_layernorm.weight")
            q, k, v = F.linear(x, self.w(p + "self_attn.qkv_proj.weight")).split([self.H * self.hd, self.KV * self.hd, self.KV * self.hd], -1)
            q = rope(q.view(B, T, self.H, self.hd).transpose(1, 2))
            k = rope(k.view(B, T, self.KV, self.hd).transpose(1, 2))
            v = v.view(B, T, self.KV, self.hd).transpose(1, 2)
            if rep > 1:
                k, v = k.repeat_interleave(rep, 1), v.repeat_interleave(rep, 1)
            s = q @ k.transpose(2, 3) / self.hd ** 0.5 + mask
            a = (s.softmax(-1) @ v).transpose(1, 2).reshape(B, T, self.H * self.hd)
            h = h + F.linear(a, self.w(p + "self_attn.o_proj.weight"))
            x = self.norm(h, p + "post_attention_layernorm.weight")
            g, u = F.linear(x, self.w(p + "mlp.gate_up_proj.weight")).chunk(2, -1)
            h = h + F.linear(F.silu(g) * u, self.w(p + "mlp.down_proj.weight"))
        return F.linear(self.norm(h, "model.norm.weight"), self.w("lm_head.weight"))


def main():
    d, settings = sys.argv[1], json.loads(open(sys.argv[2]).read())
    torch.set_num_threads(1)
    cfg = json.load(open(f"{d}/config.json"))
    model = Phi3(cfg, load_safetensors(f"{d}/model.safetensors"))
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": settings["weight_decay"]}, {"params": no_decay, "weight_decay": 0.0}],
        lr=settings["lr"], betas=tuple(settings["betas"]), eps=settings["eps"],
    )
    ids = torch.tensor(settings["ids"], dtype=torch.long)
    vocab = cfg["vocab_size"]

    def step():
        opt.zero_grad(set_to_none=True)
        logits = model(ids)
        # HF's shifted next-token loss, as DecoderLM.forward with labels = ids.
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, vocab), ids[:, 1:].reshape(-1))
        loss.backward()
        opt.step()
        return float(loss)

    params = sum(p.numel() for p in model.parameters())
    reply({"torch": torch.__version__, "params": params})
    for line in sys.stdin:
        if not line.strip():
            continue
        cmd = json.loads(line)
        times, losses = [], []
        for i in range(cmd["warmup"] + cmd["steps"]):
            t0 = time.perf_counter()
            losses.append(step())
            if i >= cmd["warmup"]:
                times.append((time.perf_counter() - t0) * 1000)
        max_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
        reply({"ms": times, "losses": losses, "max_rss_mb": max_rss_mb})


def reply(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
