"""W3 replay, PyTorch side: trains W3 (bench/torch_fmnist.py's model and loop, 1 thread) and writes
what descent needs to retrace the same run step for step: the initial parameters, each epoch's
batch order and the loss of every step.
    torch_w3_replay.py SEED EPOCHS OUT_DIR
OUT_DIR/init.bin (float32 parameters in named_parameters order), perm<e>.bin (int64 permutation of
epoch e), losses.txt (one loss per step); prints the test accuracy after each epoch.
bench_w3_replay OUT_DIR EPOCHS then trains descent from the same start on the same batches."""
import os
import sys

import numpy as np
import torch

from torch_fmnist_data import load, model as build_model

seed, epochs, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
os.makedirs(out, exist_ok=True)
torch.set_num_threads(1)
torch.manual_seed(seed)
x_train, y_train, x_test, y_test = load()
model = build_model("cnn")
with open(os.path.join(out, "init.bin"), "wb") as f:
    for _, p in model.named_parameters():
        f.write(p.detach().numpy().astype(np.float32).tobytes())
criterion = torch.nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
n = len(x_train)
with open(os.path.join(out, "losses.txt"), "w") as losses:
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(n)
        order.numpy().astype(np.int64).tofile(os.path.join(out, f"perm{epoch}.bin"))
        total = 0.0
        for start in range(0, n, 128):
            i = order[start:start + 128]
            loss = criterion(model(x_train[i]), y_train[i])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.write(f"{loss.item():.7f}\n")
            total += loss.item() * len(i)
        model.eval()
        correct = 0
        with torch.no_grad():
            for s in range(0, len(x_test), 1000):
                correct += (model(x_test[s:s + 1000]).argmax(1) == y_test[s:s + 1000]).sum().item()
        print(f"epoch {epoch + 1}: train loss {total / n:.4f}, test accuracy {correct / len(x_test):.4f}", flush=True)
