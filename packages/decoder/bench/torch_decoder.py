"""PyTorch-CPU eager twin of @healthgpt/decoder's Phi-3 / Qwen2 forward, for decoder.bench.ts.

Usage: python3 torch_decoder.py MODEL_DIR PROMPT_JSON NEW_TOKENS REPEATS
Reads config.json and model.safetensors (parsed here: no safetensors package needed), runs a
prefill and greedy decoding with a KV cache, and prints one JSON line with tokens/s and the ids.
"""
import json
import sys
import time

import os
import torch

# The PyTorch twins share one safetensors reader: ../../../bench/torch_safetensors.py.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "bench"))
from torch_safetensors import load_safetensors  # noqa: E402

torch.set_num_threads(1)


class Model:
    def __init__(self, d):
        cfg = json.load(open(f"{d}/config.json"))
        self.w = load_safetensors(f"{d}/model.safetensors")
        self.phi3 = cfg["model_type"] == "phi3"
        self.L = cfg["num_hidden_layers"]
        self.H = cfg["num_attention_heads"]
        self.KV = cfg.get("num_key_value_heads") or self.H
        self.hd = cfg.get("head_dim") or cfg["hidden_size"] // self.H
        self.I = cfg["intermediate_size"]
        self.eps = cfg.get("rms_norm_eps", 1e-5)
        self.theta = cfg.get("rope_theta", 10000.0)
        self.tied = cfg.get("tie_word_embeddings", False)
        self.inv = 1.0 / (self.theta ** (torch.arange(0, self.hd, 2, dtype=torch.float32) / self.hd))

    def norm(self, x, w):
        return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))

    def rope(self, x, cos, sin):
        h = self.hd // 2
        return x * cos + torch.cat([-x[..., h:], x[..., :h]], -1) * sin

    def lin(self, x, name, bias=False):
        return torch.nn.functional.linear(x, self.w[name + ".weight"], self.w.get(name + ".bias") if bias else None)

    def forward(self, ids, past, start):
        w, B, T = self.w, ids.shape[0], ids.shape[1]
        h = w["model.embed_tokens.weight"][ids]
        ang = torch.arange(start, start + T, dtype=torch.float32)[:, None] * self.inv[None]
        emb = torch.cat([ang, ang], -1)
        cos, sin = emb.cos(), emb.sin()
        mask = None
        if T > 1:
            mask = torch.full((T, start + T), float("-inf")).triu(start + 1)
        new = []
        for i in range(self.L):
            p = f"model.layers.{i}."
            x = self.norm(h, w[p + "input_layernorm.weight"])
            if self.phi3:
                q, k, v = self.lin(x, p + "self_attn.qkv_proj").split([self.H * self.hd, self.KV * self.hd, self.KV * self.hd], -1)
            else:
                q, k, v = (self.lin(x, p + f"self_attn.{n}_proj", True) for n in "qkv")
            q = self.rope(q.view(B, T, self.H, self.hd).transpose(1, 2), cos, sin)
            k = self.rope(k.view(B, T, self.KV, self.hd).transpose(1, 2), cos, sin)
            v = v.view(B, T, self.KV, self.hd).transpose(1, 2)
            if past is not None:
                k = torch.cat([past[i][0], k], 2)
                v = torch.cat([past[i][1], v], 2)
            new.append((k, v))
            rep = self.H // self.KV
            kk = k.repeat_interleave(rep, 1) if rep > 1 else k
            vv = v.repeat_interleave(rep, 1) if rep > 1 else v
            s = q @ kk.transpose(2, 3) / self.hd ** 0.5
            if mask is not None:
                s = s + mask
            a = (s.softmax(-1) @ vv).transpose(1, 2).reshape(B, T, self.H * self.hd)
            h = h + self.lin(a, p + "self_attn.o_proj")
            x = self.norm(h, w[p + "post_attention_layernorm.weight"])
            if self.phi3:
                g, u = self.lin(x, p + "mlp.gate_up_proj").chunk(2, -1)
            else:
                g, u = self.lin(x, p + "mlp.gate_proj"), self.lin(x, p + "mlp.up_proj")
            h = h + self.lin(torch.nn.functional.silu(g) * u, p + "mlp.down_proj")
        h = self.norm(h[:, -1:], w["model.norm.weight"])
        head = w["model.embed_tokens.weight"] if self.tied else w["lm_head.weight"]
        return h @ head.t(), new


def main():
    d, prompt, n_new, repeats = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    m = Model(d)
    ids = torch.tensor([prompt])
    prefill, decode, out = [], [], []
    with torch.no_grad():
        for r in range(repeats + 1):
            t0 = time.perf_counter()
            logits, past = m.forward(ids, None, 0)
            tok = int(logits[0, -1].argmax())
            t1 = time.perf_counter()
            toks = [tok]
            for s in range(n_new):
                logits, past = m.forward(torch.tensor([[tok]]), past, len(prompt) + s)
                tok = int(logits[0, -1].argmax())
                toks.append(tok)
            t2 = time.perf_counter()
            if r > 0:  # the first run warms up
                prefill.append(t1 - t0)
                decode.append(t2 - t1)
            out = toks
    med = lambda xs: sorted(xs)[len(xs) // 2]
    print(json.dumps({"prefill_tokens_per_s": len(prompt) / med(prefill), "decode_tokens_per_s": n_new / med(decode), "ids": out, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
