"""W1 for PyTorch (Debian's python3-torch): the same model, loss, optimizer and loop as
bench/w1_book.cpp, printing the same RESULT lines. Threads: set by bench/run.sh through
OMP_NUM_THREADS, OPENBLAS_NUM_THREADS=1 and --threads (torch.set_num_threads)."""
import argparse
import time

import torch

p = argparse.ArgumentParser()
p.add_argument("--batch", type=int, default=1000)
p.add_argument("--epochs", type=int, default=1000)
p.add_argument("--threads", type=int, default=1)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)
n = 1000
X = torch.randn(n, 2)
y = (X[:, 0] + X[:, 1] > 0).float().view(-1, 1)
model = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1), torch.nn.Sigmoid())
criterion = torch.nn.BCELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

t0 = time.perf_counter()
steps = 0
last = 0.0
for epoch in range(a.epochs):
    for start in range(0, n, a.batch):
        xb = X if a.batch >= n else X[start:start + a.batch]
        yb = y if a.batch >= n else y[start:start + a.batch]
        loss = criterion(model(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        steps += 1
        if start + a.batch >= n:
            last = loss.item()
    if a.batch >= n and (epoch + 1) % 100 == 0:
        print(f"Epoch [{epoch + 1}/{a.epochs}], Loss: {last:.4f}")
loop_s = time.perf_counter() - t0
with torch.no_grad():
    accuracy = (model(X).round() == y).float().mean().item()
print(f"RESULT W1 batch{a.batch}_step {loop_s / steps * 1e6:.3f} us")
print(f"RESULT W1 batch{a.batch}_loop {loop_s:.4f} s")
print(f"RESULT W1 batch{a.batch}_final_loss {last:.4f} -")
print(f"RESULT W1 batch{a.batch}_accuracy {accuracy:.4f} -")
