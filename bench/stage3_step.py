"""PyTorch twin of the stage-3 benchmark (bench/stage3.bench.ts): the same HealthGPT (CLIP vision
tower, frozen; mlp2x_gelu projector; Phi-3-layout decoder with the task's H-LoRA on every decoder
linear) built from the same safetensors (every parameter of @healthgpt/model's HealthGPT under
its names), one stage-3 training step on the same batch: H-LoRA and projector trainable,
torch.optim.AdamW, timed per step.

Usage: python3 stage3_step.py WEIGHTS.safetensors SETTINGS_JSON
SETTINGS_JSON: {"text", "vision" (config.json objects), "task", "plugin": {"r", "alpha", "k"},
"select_layer", "projector", "ids": [[... -200 ...]], "labels", "pixels": flat, "lr", "warmup", "steps"}.
Prints one JSON line: {"torch", "trainable", "ms": [...], "losses": [...]}.
Run with OPENBLAS_NUM_THREADS=2; intra-op threads are set to 1 here.
"""
import json
import os
import sys
import time

import torch
import torch.nn.functional as F

from torch_safetensors import load_safetensors

# The CLIP tower's forward has one PyTorch home: the model package's fixture generator.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "packages", "model", "scripts"))
from make_healthgpt_fixture import clip_features  # noqa: E402


def main():
    weights_file, settings = sys.argv[1], json.loads(open(sys.argv[2]).read())
    torch.set_num_threads(1)
    W = {k: v for k, v in load_safetensors(weights_file).items()}
    task, plugin = settings["task"], settings["plugin"]
    trainable = [k for k in W if f".{task}." in k and ".lora_" in k] + [k for k in W if k.startswith(f"model.{settings['projector']}.")]
    for k in W:
        W[k].requires_grad_(k in trainable)
    tc, vc = settings["text"], settings["vision"]
    H, KV, D = tc["num_attention_heads"], tc.get("num_key_value_heads") or tc["num_attention_heads"], tc["hidden_size"]
    hd, eps = D // H, tc["rms_norm_eps"]
    R, k_exp = plugin["r"], plugin["k"]
    scale, re = plugin["alpha"] * k_exp / R, R // k_exp
    vp = "model.vision_tower.vision_tower.vision_model."

    def lin(x, key, bias=True):
        b = W.get(key + ".bias") if bias else None
        y = F.linear(x, W[key + ".weight"], b)
        a = W.get(f"{key}.lora_A.{task}.weight")
        if a is None:
            return y
        g = F.softmax(F.linear(x, W[f"{key}.lora_route.{task}.weight"]), -1)  # [.., k]
        h = F.linear(x, a) * scale  # [.., R]
        return y + F.linear(g.repeat_interleave(re, -1) * h, W[f"{key}.lora_B.{task}.weight"])

    def norm(x, key):
        return W[key] * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))

    ids = settings["ids"]
    labels = settings["labels"]
    pixels = torch.tensor(settings["pixels"], dtype=torch.float32).view(len(ids), 3, vc["image_size"], vc["image_size"])
    theta = tc["rope_theta"]

    def forward():
        with torch.no_grad():
            feats = clip_features(W, pixels, vc, settings["select_layer"], vp)  # the tower is frozen
        pj = settings["projector"]
        img = F.linear(F.gelu(F.linear(feats, W[f"model.{pj}.0.weight"], W[f"model.{pj}.0.bias"])), W[f"model.{pj}.2.weight"], W[f"model.{pj}.2.bias"])
        rows, labs = [], []
        for b, row in enumerate(ids):
            cut = row.index(-200)
            emb = F.embedding(torch.tensor(row[:cut] + row[cut + 1 :]), W["model.embed_tokens.weight"])
            rows.append(torch.cat([emb[:cut], img[b], emb[cut:]], 0))
            labs.append(labels[b][:cut] + [-100] * img.shape[1] + labels[b][cut + 1 :])
        h = torch.stack(rows)
        B, T, _ = h.shape
        inv = 1.0 / (theta ** (torch.arange(0, hd, 2, dtype=torch.float32) / hd))
        ang = torch.arange(T, dtype=torch.float32)[:, None] * inv[None]
        emb = torch.cat([ang, ang], -1)
        cos, sin = emb.cos(), emb.sin()
        half = hd // 2
        rope = lambda x: x * cos + torch.cat([-x[..., half:], x[..., :half]], -1) * sin
        mask = torch.full((T, T), float("-inf")).triu(1)
        rep = H // KV
        for i in range(tc["num_hidden_layers"]):
            p = f"model.layers.{i}."
            x = norm(h, p + "input_layernorm.weight")
            q, k, v = lin(x, p + "self_attn.qkv_proj").split([H * hd, KV * hd, KV * hd], -1)
            q = rope(q.view(B, T, H, hd).transpose(1, 2))
            k = rope(k.view(B, T, KV, hd).transpose(1, 2))
            v = v.view(B, T, KV, hd).transpose(1, 2)
            if rep > 1:
                k, v = k.repeat_interleave(rep, 1), v.repeat_interleave(rep, 1)
            a = ((q @ k.transpose(2, 3)) / hd ** 0.5 + mask).softmax(-1) @ v
            h = h + lin(a.transpose(1, 2).reshape(B, T, H * hd), p + "self_attn.o_proj")
            x = norm(h, p + "post_attention_layernorm.weight")
            g, u = lin(x, p + "mlp.gate_up_proj").chunk(2, -1)
            h = h + lin(F.silu(g) * u, p + "mlp.down_proj")
        logits = F.linear(norm(h, "model.norm.weight"), W["lm_head.weight"])
        target = torch.tensor(labs)
        return F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), target[:, 1:].reshape(-1), ignore_index=-100)

    opt = torch.optim.AdamW([W[k] for k in trainable], lr=settings["lr"], weight_decay=0.0)
    times, losses = [], []
    for i in range(settings["warmup"] + settings["steps"]):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = forward()
        loss.backward()
        torch.nn.utils.clip_grad_norm_([W[k] for k in trainable], 1.0)
        opt.step()
        losses.append(float(loss))
        if i >= settings["warmup"]:
            times.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({"torch": torch.__version__, "trainable": sum(W[k].numel() for k in trainable), "ms": times, "losses": losses}))


if __name__ == "__main__":
    main()
