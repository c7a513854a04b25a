"""Fashion-MNIST and the W2/W3 models for the PyTorch side of the benchmarks (torch_fmnist.py,
torch_w3_replay.py): the data as ../shared/BENCHMARKS.md defines it (pixels to [0, 1], then
normalized with mean 0.2860, std 0.3530), read from Debian's dataset-fashion-mnist."""
import gzip
import os
import struct

import numpy as np
import torch

ROOT = "/usr/share/datasets/fashion-mnist"


def idx(name):
    with gzip.open(os.path.join(ROOT, name + ".gz"), "rb") as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def images(name):
    x = torch.from_numpy(idx(name).astype(np.float32) / 255.0)
    return ((x - 0.2860) / 0.3530).unsqueeze(1)  # [N, 1, 28, 28]


def labels(name):
    return torch.from_numpy(idx(name).astype(np.int64))


def load():
    """(x_train, y_train, x_test, y_test)."""
    return (images("train-images-idx3-ubyte"), labels("train-labels-idx1-ubyte"),
            images("t10k-images-idx3-ubyte"), labels("t10k-labels-idx1-ubyte"))


def model(kind):
    nn = torch.nn
    if kind == "mlp":  # W2
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
                             nn.Linear(128, 10))
    return nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # W3
                         nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))
