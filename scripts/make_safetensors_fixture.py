#!/usr/bin/python3
"""Writes the PyTorch side of descent's safetensors round trip (run with Debian's /usr/bin/python3).

    /usr/bin/python3 scripts/make_safetensors_fixture.py            # writes tests/fixtures/io/
    /usr/bin/python3 scripts/make_safetensors_fixture.py --check F  # loads a descent-written F into torch

Outputs:
  torch_model.safetensors   state_dict of Sequential(Linear(4, 8), BatchNorm1d(8), ReLU(), Linear(8, 3))
                            after three training-mode forward passes (so running stats are not trivial)
  torch_dtypes.safetensors  one tensor per dtype descent reads (F32, F64, I64, BOOL, F16, BF16, I32, U8)
  torch_expected.json       every tensor of both files: dtype, shape and values (exact decimal repr),
                            and "forward": the model's eval-mode output on a fixed input

The `safetensors` package is not in Debian's python, so the format is written by hand here, laid out
as the reference (Rust) writer does it: "__metadata__" first, tensors sorted by dtype (descending in
the reference's enum order) then name, data contiguous in that order, header padded with spaces to a
multiple of 8 bytes.
"""
import json
import math
import os
import struct
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "fixtures", "io")

# The reference implementation's Dtype enum order (safetensors/src/tensor.rs); it sorts by it, descending.
DTYPE_ORDER = ["BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64", "I64", "U64"]
CODE = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64", torch.bool: "BOOL", torch.float16: "F16",
        torch.bfloat16: "BF16", torch.int32: "I32", torch.uint8: "U8"}
DTYPE = {code: dtype for dtype, code in CODE.items()}


def tensor_bytes(t):
    t = t.contiguous()
    # Reinterpret as bytes (numpy has no bfloat16, so go through an int16 view for it).
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)
    return t.numpy().astype(t.numpy().dtype.newbyteorder("<"), copy=False).tobytes()


def save_file(tensors, path, metadata=None):
    items = sorted(tensors.items(), key=lambda kv: (-DTYPE_ORDER.index(CODE[kv[1].dtype]), kv[0]))
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, t in items:
        b = tensor_bytes(t)
        header[name] = {"dtype": CODE[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def load_file(path):
    """The README's reader: a safetensors file into a dict of torch tensors, without the safetensors package."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    header.pop("__metadata__", None)
    out = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        dtype = DTYPE[info["dtype"]]
        flat = torch.frombuffer(bytearray(data[begin:end]), dtype=dtype) if end > begin else torch.empty(0, dtype=dtype)
        out[name] = flat.reshape(info["shape"])
    return out


def make_model():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(16, 4))
    return model


def expected(tensors):
    out = {}
    for name, t in tensors.items():
        values = t.to(torch.float64) if t.is_floating_point() else t.to(torch.int64)
        # JSON has no infinities: those are written as the strings "inf" / "-inf" / "nan".
        flat = [v if not isinstance(v, float) or math.isfinite(v) else repr(v) for v in values.flatten().tolist()]
        out[name] = {"dtype": CODE[t.dtype], "shape": list(t.shape), "values": flat}
    return out


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        loaded = load_file(sys.argv[2])
        model = make_model()
        model.load_state_dict(loaded, strict=True)  # names, shapes and dtypes must all match
        for name, t in make_model().state_dict().items():
            assert torch.equal(loaded[name], t), name
        print(f"{sys.argv[2]}: {len(loaded)} tensors load into torch's model and equal the originals")
        return
    os.makedirs(OUT, exist_ok=True)
    model = make_model()
    state = dict(model.state_dict())
    save_file(state, os.path.join(OUT, "torch_model.safetensors"), {"format": "pt"})
    g = torch.Generator().manual_seed(1)
    dtypes = {
        "f32": torch.randn(2, 3, generator=g),
        "f64": torch.randn(3, generator=g, dtype=torch.float64),
        "i64": torch.tensor([-(2**40), 0, 2**62], dtype=torch.int64),
        "bool": torch.tensor([True, False, False, True]),
        "f16": torch.tensor([1.0, -2.5, 65504.0, 6e-8, float("inf")], dtype=torch.float16),
        "bf16": torch.tensor([1.0, -3.140625, 1e30], dtype=torch.bfloat16),
        "i32": torch.tensor([-7, 2**31 - 1], dtype=torch.int32),
        "u8": torch.tensor([0, 200, 255], dtype=torch.uint8),
        "scalar": torch.tensor(0.5),
        "empty": torch.zeros(0, 4),
    }
    save_file(dtypes, os.path.join(OUT, "torch_dtypes.safetensors"))
    # The model's eval-mode output on a fixed input: a descent model that loads the file must reproduce it.
    model.eval()
    x = torch.randn(2, 4, generator=g)
    with torch.no_grad():
        y = model(x)
    forward = {"input": expected({"x": x})["x"], "output": expected({"y": y})["y"]}
    with open(os.path.join(OUT, "torch_expected.json"), "w") as f:
        json.dump({"torch_model.safetensors": expected(state), "torch_dtypes.safetensors": expected(dtypes),
                   "forward": forward}, f, allow_nan=False)
        f.write("\n")
    # Self-check: the hand-written reader gets back what was written.
    for name, t in load_file(os.path.join(OUT, "torch_model.safetensors")).items():
        assert torch.equal(t, state[name]), name
    for name, t in load_file(os.path.join(OUT, "torch_dtypes.safetensors")).items():
        assert torch.equal(t, dtypes[name]), name
    print(f"wrote {OUT}/torch_model.safetensors, torch_dtypes.safetensors, torch_expected.json")


if __name__ == "__main__":
    main()
