"""W2 and W3 for PyTorch (Debian's python3-torch): the same data, model, loss, optimizer and
loop as bench/fmnist_bench.cpp, printing the same RESULT lines. Threads: set by bench/run.sh
through OMP_NUM_THREADS, OPENBLAS_NUM_THREADS=1 and --threads (torch.set_num_threads).
    torch_fmnist.py --model mlp|cnn [--epochs 1] [--limit-train N] [--threads k] [--seed 0]"""
import argparse
import gzip
import os
import struct
import time

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


p = argparse.ArgumentParser()
p.add_argument("--model", choices=["mlp", "cnn"], required=True)
p.add_argument("--epochs", type=int, default=1)
p.add_argument("--limit-train", type=int, default=0)
p.add_argument("--threads", type=int, default=1)
p.add_argument("--seed", type=int, default=0)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(a.seed)

x_train, y_train = images("train-images-idx3-ubyte"), torch.from_numpy(idx("train-labels-idx1-ubyte").astype(np.int64))
x_test, y_test = images("t10k-images-idx3-ubyte"), torch.from_numpy(idx("t10k-labels-idx1-ubyte").astype(np.int64))
if a.limit_train:
    x_train, y_train = x_train[:a.limit_train], y_train[:a.limit_train]

nn = torch.nn
if a.model == "mlp":
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
else:
    model = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3, padding=1),
                          nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
w = "W2" if a.model == "mlp" else "W3"

n, batch = len(x_train), 128
epoch_times = []
for epoch in range(a.epochs):
    model.train()
    t0 = time.perf_counter()
    order = torch.randperm(n)
    total = 0.0
    for start in range(0, n, batch):
        i = order[start:start + batch]
        loss = criterion(model(x_train[i]), y_train[i])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(i)
    epoch_times.append(time.perf_counter() - t0)
    print(f"epoch {epoch + 1}: train loss {total / n:.4f}, {epoch_times[-1]:.2f} s")

model.eval()
correct = 0
with torch.no_grad():
    for start in range(0, len(x_test), 1000):
        correct += (model(x_test[start:start + 1000]).argmax(1) == y_test[start:start + 1000]).sum().item()
print(f"RESULT {w} epoch_s {sorted(epoch_times)[len(epoch_times) // 2]:.3f} s")
print(f"RESULT {w} test_accuracy {correct / len(x_test):.4f} -")
