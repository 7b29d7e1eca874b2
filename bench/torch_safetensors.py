"""The one safetensors reader of the PyTorch twins (bench/train_decoder.py, bench/stage3_step.py,
packages/decoder/bench/torch_decoder.py): float32 tensors from a file written by savePretrained,
parsed here so the benches need no safetensors package."""
import json
import struct

import torch


def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", f"{name}: only F32 is supported here"
        b, e = info["data_offsets"]
        out[name] = torch.frombuffer(bytearray(data[b:e]), dtype=torch.float32).reshape(info["shape"]).clone()
    return out
