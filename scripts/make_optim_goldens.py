#!/usr/bin/python3
"""Writes the torch.optim goldens that tests/optim/ compares descent against.

Run with Debian's python3-torch 1.13:  /usr/bin/python3 scripts/make_optim_goldens.py
Output in tests/fixtures/optim/:
  trajectories.json          the MLP (Linear(2,4) -> Tanh -> Linear(4,1)), its data and
                             PyTorch's initial weights, and every optimizer configuration
  trajectories_float32.bin   per configuration, 50 steps x [loss, 17 parameters after the
  trajectories_float64.bin   step] as little-endian float32 / float64 (the loss is the one
                             computed before that step's update)
  schedulers.json            the learning rate of each group over 100 epochs, per scheduler
  clip_grad.json             clip_grad_norm_ cases: gradients, total norm, clipped gradients
The output is deterministic; the tests read it and never need torch.
"""
import json
import math
import os
import struct

import torch
import torch.nn.functional as F

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "optim")
STEPS = 50
SCHEDULER_EPOCHS = 100

torch.set_num_threads(1)  # one summation order, whatever the machine


# ---- optimizer trajectories ---------------------------------------------------------------
def model_and_data():
    """Fixed data and PyTorch's default initial weights for the MLP."""
    g = torch.Generator().manual_seed(2024)
    X = torch.randn(16, 2, generator=g)
    y = torch.sin(1.5 * X[:, :1]) * X[:, 1:] + 0.1  # a smooth target the MLP can fit
    torch.manual_seed(7)
    l1, l2 = torch.nn.Linear(2, 4), torch.nn.Linear(4, 1)
    init = [l1.weight.detach(), l1.bias.detach(), l2.weight.detach(), l2.bias.detach()]
    return X, y, init


def loss_fn(params, X, y):
    w1, b1, w2, b2 = params
    out = F.linear(torch.tanh(F.linear(X, w1, b1)), w2, b2)
    return ((out - y) ** 2).mean()


ALL = [0, 1, 2, 3]


def cfg(name, optimizer, options, groups=None):
    """A configuration: one group with every parameter, or explicit groups."""
    return {"name": name, "optimizer": optimizer,
            "groups": groups if groups is not None else [{"params": ALL, "options": options}]}


CONFIGS = [
    cfg("sgd", "SGD", {"lr": 0.1}),
    cfg("sgd_momentum", "SGD", {"lr": 0.05, "momentum": 0.9}),
    cfg("sgd_dampening", "SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3}),
    cfg("sgd_nesterov_weight_decay", "SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.01}),
    cfg("sgd_maximize", "SGD", {"lr": 0.01, "momentum": 0.5, "weight_decay": 0.05, "maximize": True}),
    cfg("sgd_two_groups", "SGD", None, [
        {"params": [0, 1], "options": {"lr": 0.1, "momentum": 0.9}},
        {"params": [2, 3], "options": {"lr": 0.02}}]),
    cfg("adam", "Adam", {"lr": 0.01}),
    cfg("adam_betas_eps", "Adam", {"lr": 0.02, "betas": [0.8, 0.99], "eps": 1e-6}),
    cfg("adam_weight_decay_amsgrad", "Adam", {"lr": 0.005, "weight_decay": 0.1, "amsgrad": True}),
    cfg("adam_maximize", "Adam", {"lr": 0.001, "maximize": True}),
    cfg("adamw", "AdamW", {"lr": 0.01}),
    cfg("adamw_amsgrad", "AdamW", {"lr": 0.02, "betas": [0.85, 0.995], "eps": 1e-7, "weight_decay": 0.1,
                                   "amsgrad": True}),
    cfg("adamw_maximize", "AdamW", {"lr": 0.001, "maximize": True}),
    cfg("rmsprop", "RMSprop", {"lr": 0.005}),
    cfg("rmsprop_alpha_eps_weight_decay", "RMSprop", {"lr": 0.002, "alpha": 0.95, "eps": 1e-4, "weight_decay": 0.02}),
    cfg("rmsprop_momentum", "RMSprop", {"lr": 0.001, "momentum": 0.7}),
    cfg("rmsprop_centered_momentum", "RMSprop", {"lr": 0.005, "centered": True, "momentum": 0.5}),
    cfg("rmsprop_centered_maximize", "RMSprop", {"lr": 0.001, "centered": True, "maximize": True}),
    cfg("adagrad", "Adagrad", {"lr": 0.1}),
    cfg("adagrad_lr_decay_weight_decay", "Adagrad", {"lr": 0.1, "lr_decay": 0.05, "weight_decay": 0.01}),
    cfg("adagrad_initial_accumulator_eps", "Adagrad", {"lr": 0.2, "initial_accumulator_value": 0.5, "eps": 1e-4}),
    cfg("adagrad_maximize", "Adagrad", {"lr": 0.01, "maximize": True}),
    cfg("adadelta", "Adadelta", {"lr": 1.0}),
    cfg("adadelta_rho_eps_weight_decay", "Adadelta", {"lr": 0.5, "rho": 0.8, "eps": 1e-5, "weight_decay": 0.05}),
    cfg("adadelta_maximize", "Adadelta", {"lr": 0.1, "maximize": True}),
    cfg("adamax", "Adamax", {"lr": 0.01}),
    cfg("adamax_betas_eps_weight_decay", "Adamax", {"lr": 0.02, "betas": [0.8, 0.99], "eps": 1e-6,
                                                    "weight_decay": 0.05}),
    cfg("adamax_maximize", "Adamax", {"lr": 0.002, "maximize": True}),
    cfg("nadam", "NAdam", {"lr": 0.01}),
    cfg("nadam_options", "NAdam", {"lr": 0.01, "betas": [0.85, 0.99], "eps": 1e-6, "weight_decay": 0.05,
                                   "momentum_decay": 0.01}),
    cfg("radam", "RAdam", {"lr": 0.01}),
    cfg("radam_options", "RAdam", {"lr": 0.02, "betas": [0.85, 0.95], "eps": 1e-6, "weight_decay": 0.02}),
]


def torch_options(options):
    o = dict(options)
    if "betas" in o:
        o["betas"] = tuple(o["betas"])
    return o


def trajectory(config, X, y, init, dtype, grad_noise=0.0):
    """Loss and parameters after each of the 50 steps. grad_noise: add that much Gaussian
    noise, relative to each gradient's largest element, to every gradient (for conditioning)."""
    noise = torch.Generator().manual_seed(0)
    params = [p.to(dtype).clone().requires_grad_(True) for p in init]
    X, y = X.to(dtype), y.to(dtype)
    cls = getattr(torch.optim, config["optimizer"])
    if len(config["groups"]) == 1:
        # Options as constructor arguments: torch 1.13's Adagrad reads initial_accumulator_value
        # from its constructor argument only, never from a parameter group.
        opt = cls(params, **torch_options(config["groups"][0]["options"]))
    else:
        opt = cls([{"params": [params[i] for i in g["params"]], **torch_options(g["options"])}
                   for g in config["groups"]])
    rows = []
    for _ in range(STEPS):
        opt.zero_grad()
        loss = loss_fn(params, X, y)
        loss.backward()
        if grad_noise:
            for p in params:
                p.grad.add_(grad_noise * p.grad.abs().max() * torch.randn(p.shape, generator=noise, dtype=dtype))
        opt.step()
        row = [loss.item()]
        for p in params:
            row.extend(p.detach().reshape(-1).tolist())
        assert all(math.isfinite(v) for v in row), config["name"]
        rows.append(row)
    return rows


def deviation(a, b, sizes):
    """Largest deviation between two trajectories, as tests/optim/parity_test.cpp measures it:
    the loss relative to itself, each parameter tensor relative to its largest magnitude."""
    worst = 0.0
    for ra, rb in zip(a, b):
        worst = max(worst, abs(ra[0] - rb[0]) / abs(rb[0]))
        k = 1
        for n in sizes:
            scale = max(abs(v) for v in rb[k:k + n])
            worst = max(worst, max(abs(va - vb) for va, vb in zip(ra[k:k + n], rb[k:k + n])) / scale)
            k += n
    return worst


def conditioning(config, X, y, init):
    """How much gradient noise grows over the 50 steps (float64): the deviation caused by
    noise of 1e-7 of each gradient's scale, divided by 1e-7. Our float32 forward and backward
    round differently from torch's (another summation order, FMA), which is such noise;
    an optimizer that divides by a running RMS (RMSprop, Adam) turns the noise on a nearly
    vanishing gradient into a full-size step. A configuration that amplifies it is refused,
    so the goldens test the optimizer and not the chaos of one trajectory."""
    base = trajectory(config, X, y, init, torch.float64)
    noisy = trajectory(config, X, y, init, torch.float64, grad_noise=1e-7)
    return deviation(noisy, base, [p.numel() for p in init]) / 1e-7


def write_trajectories():
    X, y, init = model_and_data()
    values_per_step = 1 + sum(p.numel() for p in init)
    blobs = {"float32": bytearray(), "float64": bytearray()}
    for config in CONFIGS:
        amplification = conditioning(config, X, y, init)
        assert amplification < 5, "%s amplifies gradient noise %.1fx" % (config["name"], amplification)
        config["amplification"] = round(amplification, 1)
        for dtype, key, fmt in ((torch.float32, "float32", "<f"), (torch.float64, "float64", "<d")):
            for row in trajectory(config, X, y, init, dtype):
                assert len(row) == values_per_step
                blobs[key] += struct.pack("<%d%s" % (len(row), fmt[1]), *row)
    for key, blob in blobs.items():
        with open(os.path.join(OUT_DIR, "trajectories_%s.bin" % key), "wb") as f:
            f.write(blob)
    doc = {
        "torch_version": torch.__version__,
        "model": "Linear(2,4) -> Tanh -> Linear(4,1), loss = mean((out - y)^2)",
        "steps": STEPS,
        "param_shapes": [list(p.shape) for p in init],
        "values_per_step": values_per_step,
        "X": X.reshape(-1).tolist(), "X_shape": list(X.shape),
        "y": y.reshape(-1).tolist(), "y_shape": list(y.shape),
        "init": [p.reshape(-1).tolist() for p in init],
        "configs": CONFIGS,
    }
    with open(os.path.join(OUT_DIR, "trajectories.json"), "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


# ---- schedulers ---------------------------------------------------------------------------
S = torch.optim.lr_scheduler


def plateau_metrics(kind):
    """A metric that improves, stalls and wobbles, so ReduceLROnPlateau acts several times."""
    out = []
    for t in range(SCHEDULER_EPOCHS):
        if kind == "min":
            out.append(1.0 / (1.0 + t) if t < 15 else 0.06 + 0.004 * math.sin(0.7 * t) + (0.01 if t % 17 == 0 else 0))
        else:
            out.append(min(0.9, 0.5 + 0.03 * t) + 0.02 * math.cos(1.3 * t))
    return out


def make_scheduler(kind, args, opt):
    if kind == "SequentialLR":
        subs = [make_scheduler(s["scheduler"], s["args"], opt) for s in args["schedulers"]]
        return S.SequentialLR(opt, subs, milestones=args["milestones"])
    if kind == "ReduceLROnPlateau":
        a = {k: v for k, v in args.items() if k != "metrics"}
        return S.ReduceLROnPlateau(opt, **a)
    return getattr(S, kind)(opt, **args)


SCHEDULERS = [
    ("step", "SGD", "StepLR", {"step_size": 7, "gamma": 0.5}),
    ("multistep", "SGD", "MultiStepLR", {"milestones": [10, 30, 30, 60], "gamma": 0.3}),
    ("exponential", "SGD", "ExponentialLR", {"gamma": 0.95}),
    ("cosine_restarts_branch", "SGD", "CosineAnnealingLR", {"T_max": 30, "eta_min": 0.001}),
    ("cosine", "SGD", "CosineAnnealingLR", {"T_max": 100}),
    ("warm_restarts_mult", "SGD", "CosineAnnealingWarmRestarts", {"T_0": 10, "T_mult": 2, "eta_min": 1e-4}),
    ("warm_restarts", "SGD", "CosineAnnealingWarmRestarts", {"T_0": 15}),
    ("linear_warmup", "SGD", "LinearLR", {"start_factor": 0.25, "end_factor": 1.0, "total_iters": 20}),
    ("linear_decay", "SGD", "LinearLR", {"start_factor": 1.0, "end_factor": 0.1, "total_iters": 50}),
    ("one_cycle", "SGD", "OneCycleLR", {"max_lr": [0.5, 0.3], "total_steps": 100}),
    ("one_cycle_three_phase_linear", "SGD", "OneCycleLR", {
        "max_lr": 0.4, "epochs": 10, "steps_per_epoch": 10, "pct_start": 0.25, "anneal_strategy": "linear",
        "three_phase": True, "div_factor": 10.0, "final_div_factor": 100.0, "base_momentum": 0.8,
        "max_momentum": 0.9}),
    ("one_cycle_adam", "Adam", "OneCycleLR", {"max_lr": 0.01, "total_steps": 120, "pct_start": 0.4}),
    ("one_cycle_no_momentum", "SGD", "OneCycleLR", {"max_lr": 0.2, "total_steps": 100, "cycle_momentum": False}),
    ("warmup_cosine", "SGD", "SequentialLR", {
        "schedulers": [{"scheduler": "LinearLR", "args": {"start_factor": 0.1, "total_iters": 5}},
                       {"scheduler": "CosineAnnealingLR", "args": {"T_max": 95}}],
        "milestones": [5]}),
    ("sequential_three", "SGD", "SequentialLR", {
        "schedulers": [{"scheduler": "ExponentialLR", "args": {"gamma": 0.9}},
                       {"scheduler": "StepLR", "args": {"step_size": 10, "gamma": 0.5}},
                       {"scheduler": "CosineAnnealingWarmRestarts", "args": {"T_0": 10}}],
        "milestones": [20, 50]}),
    ("plateau_min", "SGD", "ReduceLROnPlateau", {
        "mode": "min", "factor": 0.5, "patience": 3, "threshold": 0.01, "cooldown": 2, "min_lr": 0.005,
        "metrics": plateau_metrics("min")}),
    ("plateau_max_abs", "SGD", "ReduceLROnPlateau", {
        "mode": "max", "factor": 0.7, "patience": 2, "threshold": 0.05, "threshold_mode": "abs",
        "min_lr": [0.01, 0.001], "eps": 1e-3, "metrics": plateau_metrics("max")}),
]


def write_schedulers():
    cases = []
    for name, opt_kind, kind, args in SCHEDULERS:
        p1, p2 = torch.zeros(2, requires_grad=True), torch.zeros(3, requires_grad=True)
        if opt_kind == "SGD":
            opt = torch.optim.SGD([{"params": [p1], "lr": 0.1}, {"params": [p2], "lr": 0.05}], lr=0.1, momentum=0.9)
        else:
            opt = torch.optim.Adam([{"params": [p1], "lr": 0.1}, {"params": [p2], "lr": 0.05}])
        sched = make_scheduler(kind, args, opt)
        lrs, momenta = [], []
        for epoch in range(SCHEDULER_EPOCHS):
            lrs.append([g["lr"] for g in opt.param_groups])
            momenta.append([g["betas"][0] if "betas" in g else g["momentum"] for g in opt.param_groups])
            opt.step()  # no gradients: only keeps torch's order check quiet
            if kind == "ReduceLROnPlateau":
                sched.step(args["metrics"][epoch])
            else:
                sched.step()
        case = {"name": name, "optimizer": opt_kind, "scheduler": kind, "args": args, "lrs": lrs}
        if kind == "OneCycleLR":
            case["momenta"] = momenta  # the only scheduler that moves the momentum
        cases.append(case)
    doc = {"torch_version": torch.__version__, "epochs": SCHEDULER_EPOCHS,
           "optimizer_groups": "two groups, lr 0.1 and 0.05 (SGD with momentum 0.9, or Adam)", "cases": cases}
    with open(os.path.join(OUT_DIR, "schedulers.json"), "w") as f:
        json.dump(doc, f)
        f.write("\n")


# ---- clip_grad_norm_ ----------------------------------------------------------------------
def write_clip_grad():
    cases = []
    g = torch.Generator().manual_seed(11)
    shapes = [(4, 2), (4,), (3, 3)]
    for i, (norm_type, max_norm, scale, dtype) in enumerate([
            (2.0, 1.0, 1.0, torch.float32), (2.0, 100.0, 1.0, torch.float32), (1.0, 2.0, 1.0, torch.float32),
            (math.inf, 0.5, 1.0, torch.float32), (3.0, 0.7, 2.0, torch.float32), (0.5, 5.0, 0.3, torch.float32),
            (2.0, 0.25, 10.0, torch.float64), (math.inf, 1.0, 3.0, torch.float64)]):
        params = [torch.zeros(s, dtype=dtype, requires_grad=True) for s in shapes]
        for p in params:
            p.grad = (torch.randn(p.shape, generator=g, dtype=torch.float64) * scale).to(dtype)
        grads = [p.grad.reshape(-1).tolist() for p in params]
        total = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
        cases.append({"norm_type": "inf" if math.isinf(norm_type) else norm_type, "max_norm": max_norm,
                      "dtype": "float32" if dtype == torch.float32 else "float64",
                      "shapes": [list(s) for s in shapes], "grads": grads, "total_norm": total.item(),
                      "clipped": [p.grad.reshape(-1).tolist() for p in params]})
    with open(os.path.join(OUT_DIR, "clip_grad.json"), "w") as f:
        json.dump({"torch_version": torch.__version__, "cases": cases}, f)
        f.write("\n")


if __name__ == "__main__":
    os.makedirs(OUT_DIR, exist_ok=True)
    write_trajectories()
    write_schedulers()
    write_clip_grad()
    for name in sorted(os.listdir(OUT_DIR)):
        print("%-28s %8d bytes" % (name, os.path.getsize(os.path.join(OUT_DIR, name))))
