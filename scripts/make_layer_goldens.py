#!/usr/bin/python3
"""PyTorch goldens for the convolution, pooling and normalization layers.

Run with Debian's python3-torch (1.13):  /usr/bin/python3 scripts/make_layer_goldens.py
Writes tests/fixtures/layers/*.json: per case the inputs, parameters, a fixed
upstream gradient, and PyTorch's outputs and input/parameter gradients (all in
float64, so the float64 tests can be tight and the float32 tests measure our
float32 error), plus the modules' printouts and state_dict keys.
"""
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "layers")
torch.manual_seed(0)
torch.set_default_dtype(torch.float64)


def t(x):
    x = x.detach().to(torch.float64) if x.is_floating_point() else x.detach()
    return {"shape": list(x.shape), "data": x.reshape(-1).tolist()}


def grad_case(fn, x, params, extra):
    """Runs fn(x, *params) with a random upstream gradient; records everything."""
    x = x.clone().requires_grad_(True)
    params = [p.clone().requires_grad_(True) if p is not None else None for p in params]
    y = fn(x, *params)
    gy = torch.randn_like(y)
    y.backward(gy)
    case = dict(extra)
    case.update({"input": t(x), "output": t(y), "grad_output": t(gy), "grad_input": t(x.grad)})
    return case, params


# ---- conv2d ------------------------------------------------------------------------------------
def conv_cases():
    specs = [
        # name, input shape, out channels, kernel, stride, padding, dilation, groups, bias
        ("basic", [2, 3, 7, 7], 4, (3, 3), (1, 1), (0, 0), (1, 1), 1, True),
        ("padding1", [2, 3, 6, 5], 5, (3, 3), (1, 1), (1, 1), (1, 1), 1, True),
        ("stride2", [2, 2, 9, 8], 3, (3, 3), (2, 2), (1, 1), (1, 1), 1, True),
        ("dilation2", [1, 2, 9, 9], 3, (3, 3), (1, 1), (2, 2), (2, 2), 1, True),
        ("groups2", [2, 4, 6, 6], 6, (3, 3), (1, 1), (1, 1), (1, 1), 2, True),
        ("no_bias", [2, 3, 5, 5], 4, (2, 2), (1, 1), (0, 0), (1, 1), 1, False),
        ("asymmetric", [2, 2, 7, 9], 3, (2, 3), (2, 1), (1, 0), (1, 2), 1, True),
        ("pointwise", [2, 4, 5, 5], 6, (1, 1), (1, 1), (0, 0), (1, 1), 1, True),
        ("pointwise_stride2", [2, 4, 5, 5], 3, (1, 1), (2, 2), (0, 0), (1, 1), 1, False),
        ("depthwise", [2, 3, 6, 6], 6, (3, 3), (1, 1), (1, 1), (1, 1), 3, True),
        ("odd_sizes", [3, 1, 11, 13], 4, (5, 3), (3, 2), (2, 1), (1, 1), 1, True),
        ("groups_stride_dilation", [1, 4, 10, 10], 4, (3, 3), (2, 2), (2, 2), (2, 2), 2, True),
        ("unbatched", [3, 5, 5], 2, (3, 3), (1, 1), (1, 1), (1, 1), 1, True),
        ("kernel_equals_padded_input", [1, 2, 3, 3], 2, (5, 5), (1, 1), (1, 1), (1, 1), 1, True),
    ]
    cases = []
    for name, shape, out_c, k, s, p, d, g, bias in specs:
        in_c = shape[-3]
        w = torch.randn(out_c, in_c // g, *k) * 0.5
        b = torch.randn(out_c) if bias else None
        x = torch.randn(*shape)
        fn = lambda x, w, b: F.conv2d(x, w, b, stride=s, padding=p, dilation=d, groups=g)
        case, (wg, bg) = grad_case(fn, x, [w, b], {
            "name": name, "stride": list(s), "padding": list(p), "dilation": list(d), "groups": g,
            "out_channels": out_c, "kernel": list(k)})
        case["weight"] = t(wg)
        case["grad_weight"] = t(wg.grad)
        if bias:
            case["bias"] = t(bg)
            case["grad_bias"] = t(bg.grad)
        cases.append(case)
    return cases


# ---- pooling -----------------------------------------------------------------------------------
def max_pool_cases():
    specs = [
        # name, shape, kernel, stride (None = kernel), padding, dilation, ceil_mode, integer-valued (ties)
        ("kernel2", [2, 3, 8, 8], (2, 2), None, (0, 0), (1, 1), False, False),
        ("k3_s2_p1", [2, 2, 9, 7], (3, 3), (2, 2), (1, 1), (1, 1), False, False),
        ("ceil_mode", [1, 2, 8, 8], (3, 3), (2, 2), (0, 0), (1, 1), True, False),
        ("ceil_mode_padding", [1, 2, 10, 10], (3, 3), (2, 2), (1, 1), (1, 1), True, False),
        ("dilation2_asymmetric", [2, 2, 9, 10], (2, 3), (1, 2), (0, 1), (2, 2), False, False),
        ("odd_sizes", [2, 3, 7, 7], (2, 2), None, (0, 0), (1, 1), False, False),
        ("odd_sizes_ceil", [2, 3, 7, 7], (2, 2), None, (0, 0), (1, 1), True, False),
        ("overlapping_ties", [2, 2, 6, 6], (3, 3), (1, 1), (1, 1), (1, 1), False, True),
        ("unbatched", [3, 6, 6], (2, 2), None, (0, 0), (1, 1), False, False),
    ]
    cases = []
    for name, shape, k, s, p, d, ceil, ties in specs:
        x = torch.randint(0, 3, shape).to(torch.float64) if ties else torch.randn(*shape)
        _, idx = F.max_pool2d(x, k, s, p, d, ceil_mode=ceil, return_indices=True)
        fn = lambda x: F.max_pool2d(x, k, s, p, d, ceil_mode=ceil)
        case, _ = grad_case(fn, x, [], {
            "name": name, "kernel": list(k), "stride": list(s) if s else [0, 0], "padding": list(p),
            "dilation": list(d), "ceil_mode": ceil})
        case["indices"] = t(idx)
        cases.append(case)
    return cases


def avg_pool_cases():
    specs = [
        # name, shape, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override
        ("kernel2", [2, 3, 8, 8], (2, 2), None, (0, 0), False, True, None),
        ("k3_s2_p1_include_pad", [2, 2, 9, 7], (3, 3), (2, 2), (1, 1), False, True, None),
        ("k3_s2_p1_exclude_pad", [2, 2, 9, 7], (3, 3), (2, 2), (1, 1), False, False, None),
        ("ceil_mode_include_pad", [1, 2, 8, 8], (3, 3), (2, 2), (1, 1), True, True, None),
        ("ceil_mode_exclude_pad", [1, 2, 8, 8], (3, 3), (2, 2), (1, 1), True, False, None),
        ("ceil_mode_partial_window", [2, 2, 7, 7], (2, 2), (2, 2), (0, 0), True, True, None),
        ("divisor_override", [1, 2, 6, 6], (2, 2), None, (1, 1), False, True, 3),
        ("asymmetric", [2, 2, 7, 8], (2, 3), (2, 1), (1, 1), False, True, None),
        ("unbatched", [3, 5, 5], (3, 3), (1, 1), (1, 1), False, False, None),
    ]
    cases = []
    for name, shape, k, s, p, ceil, cip, div in specs:
        x = torch.randn(*shape)
        fn = lambda x: F.avg_pool2d(x, k, s, p, ceil_mode=ceil, count_include_pad=cip, divisor_override=div)
        case, _ = grad_case(fn, x, [], {
            "name": name, "kernel": list(k), "stride": list(s) if s else [0, 0], "padding": list(p),
            "ceil_mode": ceil, "count_include_pad": cip, "divisor_override": div})
        cases.append(case)
    return cases


def adaptive_avg_pool_cases():
    specs = [
        ("global", [2, 3, 5, 5], (1, 1)),
        ("overlapping", [2, 2, 7, 7], (3, 3)),
        ("asymmetric", [1, 3, 5, 9], (2, 4)),
        ("identity", [1, 2, 4, 4], (4, 4)),
        ("larger_than_input", [1, 2, 3, 4], (5, 7)),
        ("unbatched", [2, 6, 5], (4, 3)),
    ]
    cases = []
    for name, shape, out in specs:
        x = torch.randn(*shape)
        fn = lambda x: F.adaptive_avg_pool2d(x, out)
        case, _ = grad_case(fn, x, [], {"name": name, "output_size": list(out)})
        cases.append(case)
    return cases


# ---- normalization -----------------------------------------------------------------------------
def batch_norm_cases():
    specs = [
        # name, class, features, input shape, kwargs, modes of the steps
        ("bn2d_train_train_eval", "BatchNorm2d", 3, [4, 3, 5, 5], {}, ["train", "train", "eval"]),
        ("bn1d_2d_input", "BatchNorm1d", 4, [8, 4], {}, ["train", "eval"]),
        ("bn1d_3d_input", "BatchNorm1d", 3, [4, 3, 6], {}, ["train", "train", "eval"]),
        ("bn2d_cumulative_average", "BatchNorm2d", 2, [3, 2, 4, 4], {"momentum": None},
         ["train", "train", "train", "eval"]),
        ("bn2d_no_affine", "BatchNorm2d", 3, [2, 3, 4, 5], {"affine": False}, ["train", "eval"]),
        ("bn2d_no_running_stats", "BatchNorm2d", 3, [2, 3, 4, 4], {"track_running_stats": False},
         ["train", "eval"]),
        ("bn2d_momentum_eps", "BatchNorm2d", 2, [2, 2, 3, 3], {"momentum": 0.3, "eps": 1e-3},
         ["train", "eval"]),
        ("bn2d_two_values_per_channel", "BatchNorm2d", 2, [2, 2, 1, 1], {}, ["train", "eval"]),
    ]
    cases = []
    for name, cls, feats, shape, kwargs, modes in specs:
        m = getattr(nn, cls)(feats, **kwargs).double()
        with torch.no_grad():
            if m.affine:
                m.weight.copy_(torch.rand(feats) + 0.5)
                m.bias.copy_(torch.randn(feats))
        case = {"name": name, "module": cls, "num_features": feats, "eps": m.eps, "momentum": m.momentum,
                "affine": m.affine, "track_running_stats": m.track_running_stats, "steps": []}
        if m.affine:
            case["weight"] = t(m.weight)
            case["bias"] = t(m.bias)
        for mode in modes:
            m.train(mode == "train")
            m.zero_grad()
            x = (torch.randn(*shape) * 2 + 1).requires_grad_(True)
            y = m(x)
            gy = torch.randn_like(y)
            y.backward(gy)
            step = {"mode": mode, "input": t(x), "output": t(y), "grad_output": t(gy), "grad_input": t(x.grad)}
            if m.affine:
                step["grad_weight"] = t(m.weight.grad)
                step["grad_bias"] = t(m.bias.grad)
            if m.track_running_stats:
                step["running_mean"] = t(m.running_mean)
                step["running_var"] = t(m.running_var)
                step["num_batches_tracked"] = int(m.num_batches_tracked)
            case["steps"].append(step)
        cases.append(case)
    return cases


def layer_norm_cases():
    specs = [
        ("last_dim", [3, 5], [5], {}),
        ("last_two_dims", [2, 3, 4, 5], [4, 5], {}),
        ("no_affine", [4, 6], [6], {"elementwise_affine": False}),
        ("eps", [2, 7], [7], {"eps": 1e-3}),
        ("whole_tensor", [3, 4], [3, 4], {}),
    ]
    cases = []
    for name, shape, norm_shape, kwargs in specs:
        m = nn.LayerNorm(norm_shape, **kwargs).double()
        with torch.no_grad():
            if m.elementwise_affine:
                m.weight.copy_(torch.rand(*norm_shape) + 0.5)
                m.bias.copy_(torch.randn(*norm_shape))
        x = (torch.randn(*shape) * 3 - 1).requires_grad_(True)
        y = m(x)
        gy = torch.randn_like(y)
        y.backward(gy)
        case = {"name": name, "normalized_shape": norm_shape, "eps": m.eps, "elementwise_affine": m.elementwise_affine,
                "input": t(x), "output": t(y), "grad_output": t(gy), "grad_input": t(x.grad)}
        if m.elementwise_affine:
            case.update({"weight": t(m.weight), "bias": t(m.bias), "grad_weight": t(m.weight.grad),
                         "grad_bias": t(m.bias.grad)})
        cases.append(case)
    return cases


# ---- printouts and state_dict keys -----------------------------------------------------------------
def module_reprs():
    modules = {
        "conv_w3": nn.Conv2d(1, 32, 3, padding=1),
        "conv_all_options": nn.Conv2d(4, 8, (2, 3), stride=2, dilation=2, groups=2, bias=False),
        "conv_stride_pair": nn.Conv2d(3, 6, 5, stride=(2, 1), padding=(0, 2)),
        "maxpool_2": nn.MaxPool2d(2),
        "maxpool_options": nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True),
        "avgpool_2": nn.AvgPool2d(2),
        "avgpool_options": nn.AvgPool2d(3, stride=2, padding=1),
        "adaptive_pair": nn.AdaptiveAvgPool2d((5, 7)),
        "adaptive_1": nn.AdaptiveAvgPool2d(1),
        "bn2d": nn.BatchNorm2d(32),
        "bn1d_cumulative_no_affine": nn.BatchNorm1d(10, momentum=None, affine=False),
        "bn1d_options": nn.BatchNorm1d(4, eps=1e-3, momentum=0.3, track_running_stats=False),
        "ln_10": nn.LayerNorm(10),
        "ln_options": nn.LayerNorm([4, 5], eps=1e-4, elementwise_affine=False),
        "dropout2d": nn.Dropout2d(),
        "dropout2d_quarter": nn.Dropout2d(0.25),
        "w3": nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.MaxPool2d(2)),
    }
    return {k: {"repr": repr(m), "state_dict_keys": list(m.state_dict().keys())} for k, m in modules.items()}


def main():
    os.makedirs(OUT, exist_ok=True)
    files = {
        "conv2d.json": conv_cases(),
        "max_pool2d.json": max_pool_cases(),
        "avg_pool2d.json": avg_pool_cases(),
        "adaptive_avg_pool2d.json": adaptive_avg_pool_cases(),
        "batch_norm.json": batch_norm_cases(),
        "layer_norm.json": layer_norm_cases(),
        "modules.json": module_reprs(),
    }
    for fname, content in files.items():
        path = os.path.join(OUT, fname)
        with open(path, "w") as f:
            json.dump({"torch_version": torch.__version__, "cases": content}, f)
            f.write("\n")
        print(f"{path}: {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
