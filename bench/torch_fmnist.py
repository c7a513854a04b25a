"""W2 and W3 for PyTorch (Debian's python3-torch): the same data, model, loss, optimizer and
loop as bench/fmnist_bench.cpp, printing the same RESULT lines. Threads: set by bench/run.sh
through OMP_NUM_THREADS, OPENBLAS_NUM_THREADS=1 and --threads (torch.set_num_threads).
    torch_fmnist.py --model mlp|cnn [--epochs 1] [--limit-train N] [--threads k] [--seed 0]"""
import argparse
import time

import torch

from torch_fmnist_data import load, model as build_model


p = argparse.ArgumentParser()
p.add_argument("--model", choices=["mlp", "cnn"], required=True)
p.add_argument("--epochs", type=int, default=1)
p.add_argument("--limit-train", type=int, default=0)
p.add_argument("--threads", type=int, default=1)
p.add_argument("--seed", type=int, default=0)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(a.seed)

x_train, y_train, x_test, y_test = load()
if a.limit_train:
    x_train, y_train = x_train[:a.limit_train], y_train[:a.limit_train]

model = build_model(a.model)
criterion = torch.nn.CrossEntropyLoss()
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
