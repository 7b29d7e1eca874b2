"""The one safetensors reader and writer of the PyTorch side (the benches' twins bench/train_decoder.py,
bench/stage3_step.py, packages/decoder/bench/torch_decoder.py, and the model package's fixture
generator packages/model/scripts/make_healthgpt_fixture.py), parsed here so that none of them needs
the safetensors package."""
import json
import struct

import torch

DTYPES = {"F32": torch.float32, "I64": torch.int64, "U8": torch.uint8}


def load_safetensors(path):
    """Every tensor of the file by name (F32, I64 or U8), each its own copy."""
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack_from("<Q", raw)[0]
    header, body = json.loads(raw[8 : 8 + n]), raw[8 + n :]
    header.pop("__metadata__", None)
    out = {}
    for name, info in header.items():
        assert info["dtype"] in DTYPES, f"{path}: {name} is {info['dtype']}; only {', '.join(DTYPES)} are read here"
        b, e = info["data_offsets"]
        out[name] = torch.frombuffer(bytearray(body[b:e]), dtype=DTYPES[info["dtype"]]).reshape(info["shape"]).clone()
    return out


def write_safetensors(path, tensors, metadata):
    """Tensors in insertion order, contiguous, header padded with spaces to a multiple of 8."""
    names = {v: k for k, v in DTYPES.items()}
    header, blobs, at = {"__metadata__": metadata}, [], 0
    for name, t in tensors.items():
        raw = t.detach().contiguous().cpu().numpy().tobytes()
        header[name] = {"dtype": names[t.dtype], "shape": list(t.shape), "data_offsets": [at, at + len(raw)]}
        blobs.append(raw)
        at += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
