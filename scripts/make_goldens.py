#!/usr/bin/python3
"""Writes the PyTorch golden files that tests/golden/ compares descent against.

Run with Debian's python3-torch:  /usr/bin/python3 scripts/make_goldens.py
Each case holds the inputs (base values plus the view ops that make them
non-contiguous or broadcast), the config, PyTorch's outputs, the upstream
gradient used and the input (and parameter) gradients. Every case seeds its own
generator from its id, so adding a case leaves the others' values unchanged.
The output is deterministic; the tests read it with nlohmann_json and never need torch.
"""
import json
import math
import os
import sys
import zlib

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "golden")
F32, F64, I64, BOOL = torch.float32, torch.float64, torch.int64, torch.bool
DTYPE_NAME = {F32: "float32", F64: "float64", I64: "int64", BOOL: "bool"}
FLOATS = (F32, F64)

torch.set_num_threads(1)  # one summation order, whatever the machine


# ---- value encoding ------------------------------------------------------------------------
def short_float32(v):
    """The shortest decimal that, parsed as a double and cast to float (what the C++
    reader does), gives back exactly the float32 value v."""
    target = np.float32(v)
    for digits in range(6, 10):
        s = float("%.*g" % (digits, v))
        if np.float32(s) == target:
            return s
    return float(v)  # exact double of the float32: always round-trips


def encode(t):
    """A tensor as {dtype, shape, values} (row-major values of its logical shape)."""
    t = t.detach().contiguous()
    flat = t.reshape(-1).tolist()
    if t.dtype in FLOATS:
        assert all(math.isfinite(v) for v in flat), "non-finite value in a golden"
        if t.dtype == F32:
            flat = [short_float32(v) for v in flat]
    elif t.dtype == BOOL:
        flat = [1 if v else 0 for v in flat]
    return {"dtype": DTYPE_NAME[t.dtype], "shape": list(t.shape), "values": flat}


# ---- inputs --------------------------------------------------------------------------------
class In:
    """One input: a base tensor of `shape` drawn from `kind`, then `view` ops applied
    (so the op sees a non-contiguous or stride-0 tensor), then marked requires_grad."""

    def __init__(self, shape, dtype=None, kind="randn", view=(), grad=None, values=None, name=None, **kw):
        self.shape, self.dtype, self.kind, self.view = list(shape), dtype, kind, [list(v) for v in view]
        self.grad, self.values, self.name, self.kw = grad, values, name, kw


def draw(spec, dtype, gen):
    shape, kind, kw = spec.shape, spec.kind, spec.kw
    if spec.values is not None:
        base = torch.tensor(spec.values, dtype=torch.float64).reshape(shape)
    elif kind == "randn":
        base = torch.randn(shape, generator=gen, dtype=torch.float64) * kw.get("scale", 1.0) + kw.get("shift", 0.0)
    elif kind == "uniform":  # in [lo, hi)
        lo, hi = kw.get("lo", 0.0), kw.get("hi", 1.0)
        base = lo + (hi - lo) * torch.rand(shape, generator=gen, dtype=torch.float64)
    elif kind == "pos":  # away from zero: log, sqrt, denominators
        base = 0.5 + 1.5 * torch.rand(shape, generator=gen, dtype=torch.float64)
    elif kind == "nonzero":  # ±[0.5, 2): denominators of either sign
        mag = 0.5 + 1.5 * torch.rand(shape, generator=gen, dtype=torch.float64)
        base = torch.where(torch.rand(shape, generator=gen) < 0.5, -mag, mag)
    elif kind == "ints":  # small integers as floats: ties and exact zeros
        base = torch.randint(kw.get("lo", -2), kw.get("hi", 3), shape, generator=gen).to(torch.float64)
    elif kind == "simplex":  # rows of class probabilities along the last dim
        u = 0.05 + torch.rand(shape, generator=gen, dtype=torch.float64)
        base = u / u.sum(-1, keepdim=True)
    elif kind == "index":  # int64 in [0, hi)
        return torch.randint(0, kw["hi"], shape, generator=gen)
    elif kind == "bool":
        return torch.rand(shape, generator=gen) < 0.5
    else:
        raise ValueError(kind)
    return base.to(dtype)


def apply_view(x, view):
    for v in view:
        if v[0] == "transpose":
            x = x.transpose(v[1], v[2])
        elif v[0] == "permute":
            x = x.permute(*v[1])
        elif v[0] == "slice":  # dim, start, end, step
            idx = [slice(None)] * x.dim()
            idx[v[1]] = slice(v[2], v[3], v[4])
            x = x[tuple(idx)]
        elif v[0] == "expand":
            x = x.expand(*v[1])
        else:
            raise ValueError(v)
    return x


# ---- case runner ---------------------------------------------------------------------------
FILES = {}


def seed_for(cid):
    g = torch.Generator()
    g.manual_seed(zlib.crc32(cid.encode()))
    return g


def run(family, op, tag, dtype, inputs, fn, config=None, modules=None, structural=False):
    """Runs fn(inputs, config) under autograd and records a case. modules: a
    function (config, dtype) -> nn.Module whose parameters are recorded too.
    structural: the result is random (dropout), so only shapes and dtypes of the
    outputs and gradients are recorded; the test checks their structure."""
    config = dict(config or {})
    if family == "ops_cnn" and any(spec.name for spec in inputs):  # optional inputs, by name
        config["inputs"] = [spec.name for spec in inputs]
    if len(inputs) > 2 and family == "nn_losses":  # loss options given as tensors, by name
        config["extra"] = [spec.name for spec in inputs[2:]]
        assert all(config["extra"]), "name the extra inputs of a loss"
    cid = "%s/%s/%s" % (op, tag, DTYPE_NAME[dtype])
    gen = seed_for(cid)
    xs, enc_in = [], []
    for spec in inputs:
        d = spec.dtype or dtype
        base = draw(spec, d, gen)
        x = apply_view(base, spec.view)
        rg = spec.grad if spec.grad is not None else (d in FLOATS)
        if rg:
            x.requires_grad_(True)
        e = encode(base)
        if spec.view:
            e["view"] = spec.view
        e["requires_grad"] = rg
        if spec.name:
            e["name"] = spec.name
        xs.append(x)
        enc_in.append(e)
    case = {"id": cid, "op": op, "dtype": DTYPE_NAME[dtype], "config": config, "inputs": enc_in}
    module = None
    if modules is not None:
        torch.manual_seed(zlib.crc32(cid.encode()))  # the module's own init
        module = modules(config, dtype)
        case["params"] = {k: encode(p) for k, p in module.named_parameters()}
        case["train"] = module.training
        out = fn(module, xs, config)
    else:
        out = fn(xs, config)
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    case["outputs"] = [encode(o) for o in outs]
    gouts = [torch.randn(o.shape, generator=gen, dtype=torch.float64).to(o.dtype) if o.requires_grad else None
             for o in outs]
    case["grad_outputs"] = [encode(g) if g is not None else None for g in gouts]
    wrt = [x for x in xs if x.requires_grad]
    params = list(module.parameters()) if module is not None else []
    diff = [(o, g) for o, g in zip(outs, gouts) if g is not None]
    if diff and (wrt or params):
        grads = torch.autograd.grad([o for o, _ in diff], wrt + params, [g for _, g in diff], allow_unused=True)
    else:
        grads = [None] * (len(wrt) + len(params))
    it = iter(grads[:len(wrt)])
    case["grads"] = []
    for x in xs:
        g = next(it) if x.requires_grad else None
        case["grads"].append(encode(g) if g is not None else None)
    if module is not None:
        case["param_grads"] = {k: encode(g) if g is not None else None
                               for (k, _), g in zip(module.named_parameters(), grads[len(wrt):])}
    if structural:
        case["structural"] = True
        for key in ("outputs", "grads"):
            case[key] = [None if e is None else {"dtype": e["dtype"], "shape": e["shape"]} for e in case[key]]
        case["param_grads"] = {}
    FILES.setdefault(family, []).append(case)


def both(family, op, tag, inputs, fn, config=None, dtypes=FLOATS, **kw):
    for d in dtypes:
        run(family, op, tag, d, inputs, fn, config, **kw)


# ---- elementwise ---------------------------------------------------------------------------
def elementwise():
    fam = "ops_elementwise"
    binary = {
        "add": lambda x, c: torch.add(x[0], x[1], alpha=c["alpha"]) if "alpha" in c else torch.add(x[0], x[1]),
        "sub": lambda x, c: torch.sub(x[0], x[1]),
        "mul": lambda x, c: torch.mul(x[0], x[1]),
        "div": lambda x, c: torch.div(x[0], x[1]),
        "maximum": lambda x, c: torch.maximum(x[0], x[1]),
        "minimum": lambda x, c: torch.minimum(x[0], x[1]),
    }
    for op, fn in binary.items():
        den = "nonzero" if op == "div" else "randn"
        both(fam, op, "same", [In([3, 4]), In([3, 4], kind=den)], fn)
        both(fam, op, "bcast", [In([2, 3, 1]), In([4], kind=den)], fn)
        both(fam, op, "outer", [In([3, 1]), In([1, 4], kind=den)], fn)
        both(fam, op, "scalar0d", [In([]), In([2, 3], kind=den)], fn)
        both(fam, op, "noncontig", [In([4, 3], view=[["transpose", 0, 1]]),
                                    In([3, 8], kind=den, view=[["slice", 1, 1, 8, 2]])], fn)
        both(fam, op, "expanded", [In([1, 4], view=[["expand", [3, 4]]]), In([3, 4], kind=den)], fn)
    for op in ("maximum", "minimum"):  # ties split the gradient evenly
        both(fam, op, "ties", [In([4, 5], kind="ints"), In([4, 5], kind="ints")], binary[op])
    both(fam, "add", "alpha", [In([3, 4]), In([4])], binary["add"], {"alpha": 2.5})
    run(fam, "add", "promote_f32_f64", F32, [In([3, 4]), In([4], dtype=F64)], binary["add"])
    run(fam, "mul", "promote_i64_f32", F32, [In([3, 4], dtype=I64, kind="index", hi=5), In([3, 4])], binary["mul"])
    run(fam, "div", "int_true_div", F32, [In([3, 4], dtype=I64, kind="index", hi=9),
                                          In([3, 4], dtype=I64, values=[[1, 2, 3, 4]] * 3)], binary["div"])

    scalar = {
        "add_scalar": lambda x, c: x[0] + c["scalar"],
        "sub_scalar": lambda x, c: x[0] - c["scalar"],
        "rsub_scalar": lambda x, c: c["scalar"] - x[0],
        "mul_scalar": lambda x, c: x[0] * c["scalar"],
        "div_scalar": lambda x, c: x[0] / c["scalar"],
        "rdiv_scalar": lambda x, c: c["scalar"] / x[0],
    }
    for op, fn in scalar.items():
        kind = "nonzero" if op == "rdiv_scalar" else "randn"
        both(fam, op, "basic", [In([3, 4], kind=kind)], fn, {"scalar": 1.7})
        both(fam, op, "noncontig", [In([4, 3], kind=kind, view=[["transpose", 0, 1]])], fn, {"scalar": -0.3})
    run(fam, "add_scalar", "int_tensor", F32, [In([5], dtype=I64, kind="index", hi=9)], scalar["add_scalar"],
        {"scalar": 2})

    pw = {"pow": lambda x, c: torch.pow(x[0], x[1]),
          "pow_scalar": lambda x, c: torch.pow(x[0], c["exponent"])}
    both(fam, "pow", "same", [In([3, 4], kind="pos"), In([3, 4])], pw["pow"])
    both(fam, "pow", "bcast", [In([2, 3, 1], kind="pos"), In([4])], pw["pow"])
    both(fam, "pow", "int_exponent_neg_base", [In([3, 4]), In([3, 4], values=[[2.0, 3.0, 1.0, 0.0]] * 3, grad=False)], pw["pow"])
    for e, kind in ((2.0, "randn"), (3.0, "randn"), (0.5, "pos"), (-1.0, "nonzero"), (0.0, "randn"),
                    (1.5, "pos"), (-2.5, "pos")):
        both(fam, "pow_scalar", "e%g" % e, [In([3, 4], kind=kind)], pw["pow_scalar"], {"exponent": e})
    both(fam, "pow_scalar", "e2_zeros", [In([6], values=[0.0, 1.0, -1.0, 0.0, 2.0, -3.0])], pw["pow_scalar"],
         {"exponent": 2.0})

    unary = {
        "neg": lambda x, c: torch.neg(x[0]), "exp": lambda x, c: torch.exp(x[0]),
        "log": lambda x, c: torch.log(x[0]), "sqrt": lambda x, c: torch.sqrt(x[0]),
        "abs": lambda x, c: torch.abs(x[0]), "sign": lambda x, c: torch.sign(x[0]),
        "round": lambda x, c: torch.round(x[0]), "square": lambda x, c: torch.square(x[0]),
        "relu": lambda x, c: torch.relu(x[0]), "sigmoid": lambda x, c: torch.sigmoid(x[0]),
        "tanh": lambda x, c: torch.tanh(x[0]),
        "leaky_relu": lambda x, c: F.leaky_relu(x[0], c["negative_slope"]) if "negative_slope" in c
        else F.leaky_relu(x[0]),
        "gelu": lambda x, c: F.gelu(x[0], approximate=c.get("approximate", "none")),
        "clamp": lambda x, c: torch.clamp(x[0], min=c.get("min"), max=c.get("max")),
    }
    for op in unary:
        kind = "pos" if op in ("log", "sqrt") else "randn"
        scale = 3.0 if op in ("exp",) else 4.0 if op in ("sigmoid", "tanh", "gelu") else 1.0
        cfgs = {"clamp": [{"min": -0.5, "max": 0.5}],
                "gelu": [{}, {"approximate": "tanh"}],
                "leaky_relu": [{}, {"negative_slope": 0.2}]}.get(op, [{}])
        for i, cfg in enumerate(cfgs):
            sfx = "" if i == 0 else "_%d" % i
            both(fam, op, "basic" + sfx, [In([3, 5], kind=kind, scale=scale)], unary[op], cfg)
            both(fam, op, "noncontig" + sfx, [In([2, 5, 3], kind=kind, scale=scale, view=[["permute", [2, 0, 1]]])],
                 unary[op], cfg)
    edge = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.5, -2.5, 2.5, 3.0, -0.49, 0.51]
    for op in ("abs", "sign", "relu", "leaky_relu", "round", "square", "neg"):
        both(fam, op, "edges", [In([12], values=edge)], unary[op])
    both(fam, "clamp", "edges", [In([12], values=edge)], unary["clamp"], {"min": -0.5, "max": 1.0})
    both(fam, "clamp", "min_only", [In([3, 4])], unary["clamp"], {"min": 0.1})
    both(fam, "clamp", "max_only", [In([3, 4])], unary["clamp"], {"max": -0.2})
    big = [-80.0, -30.0, -10.0, 0.0, 10.0, 30.0, 80.0]
    for op in ("sigmoid", "tanh", "gelu", "exp"):
        both(fam, op, "large", [In([7], values=big if op != "exp" else [-80.0, -30.0, 0.0, 10.0, 30.0, 40.0, -10.0])],
             unary[op])
    both(fam, "gelu", "large_tanh", [In([7], values=big)], unary["gelu"], {"approximate": "tanh"})

    where = lambda x, c: torch.where(x[0], x[1], x[2])
    both(fam, "where", "same", [In([3, 4], dtype=BOOL, kind="bool"), In([3, 4]), In([3, 4])], where)
    both(fam, "where", "bcast", [In([3, 1], dtype=BOOL, kind="bool"), In([3, 4]), In([4])], where)
    both(fam, "where", "noncontig", [In([4, 3], dtype=BOOL, kind="bool", view=[["transpose", 0, 1]]),
                                     In([4, 3], view=[["transpose", 0, 1]]), In([])], where)

    for op in ("eq", "ne", "lt", "le", "gt", "ge"):
        tfn = getattr(torch, op)
        both(fam, op, "ties", [In([4, 5], kind="ints"), In([4, 5], kind="ints")], lambda x, c, f=tfn: f(x[0], x[1]))
        both(fam, op, "bcast", [In([3, 1], kind="ints"), In([4], kind="ints")], lambda x, c, f=tfn: f(x[0], x[1]))
        both(fam, op + "_scalar", "basic", [In([4, 5], kind="ints")], lambda x, c, f=tfn: f(x[0], c["scalar"]),
             {"scalar": 1.0})
    run(fam, "lt", "promote_i64_f32", F32, [In([3, 4], dtype=I64, kind="index", hi=3), In([3, 4], kind="ints")],
        lambda x, c: torch.lt(x[0], x[1]))
    run(fam, "logical_not", "basic", F32, [In([3, 4], dtype=BOOL, kind="bool")], lambda x, c: torch.logical_not(x[0]))


# ---- reductions and softmax ----------------------------------------------------------------
def reductions():
    fam = "ops_reduction"

    def dimmed(f):
        def g(x, c):
            if "dims" not in c:
                return f(x[0])
            return f(x[0], dim=c["dims"], keepdim=c.get("keepdim", False))
        return g

    for op, f in (("sum", torch.sum), ("mean", torch.mean)):
        fn = dimmed(f)
        both(fam, op, "all", [In([3, 4])], fn)
        both(fam, op, "dim1", [In([3, 4])], fn, {"dims": [1]})
        both(fam, op, "dims02_keep", [In([2, 3, 4])], fn, {"dims": [0, 2], "keepdim": True})
        both(fam, op, "neg_dim", [In([2, 3, 4])], fn, {"dims": [-1]})
        both(fam, op, "noncontig", [In([4, 3, 5], view=[["permute", [2, 0, 1]]])], fn, {"dims": [1, 2]})
        both(fam, op, "long_row", [In([2, 300])], fn, {"dims": [1]})
        both(fam, op, "scalar", [In([])], fn)
    run(fam, "sum", "int64", F32, [In([3, 4], dtype=I64, kind="index", hi=100)], dimmed(torch.sum), {"dims": [0]})

    for op, f in (("var", torch.var), ("std", torch.std)):
        def fn(x, c, f=f):
            if "dims" not in c:
                return f(x[0], dim=None, correction=c["correction"])
            return f(x[0], dim=c["dims"], correction=c["correction"], keepdim=c.get("keepdim", False))
        both(fam, op, "all", [In([3, 4])], fn, {"correction": 1})
        both(fam, op, "all_c0", [In([3, 4])], fn, {"correction": 0})
        both(fam, op, "dim1", [In([3, 5])], fn, {"dims": [1], "correction": 1})
        both(fam, op, "dims01_keep_c2", [In([3, 4, 2])], fn, {"dims": [0, 1], "correction": 2, "keepdim": True})
        both(fam, op, "noncontig", [In([5, 3], view=[["transpose", 0, 1]])], fn, {"dims": [0], "correction": 1})
        both(fam, op, "offset", [In([3, 6], shift=1000.0)], fn, {"dims": [1], "correction": 1})

    lse = lambda x, c: torch.logsumexp(x[0], dim=c["dims"], keepdim=c.get("keepdim", False))
    both(fam, "logsumexp", "dim1", [In([3, 4])], lse, {"dims": [1]})
    both(fam, "logsumexp", "dims01_keep", [In([2, 3, 4])], lse, {"dims": [0, 1], "keepdim": True})
    both(fam, "logsumexp", "large", [In([3, 4], scale=50.0, shift=900.0)], lse, {"dims": [-1]})
    both(fam, "logsumexp", "noncontig", [In([4, 3], view=[["transpose", 0, 1]])], lse, {"dims": [0]})

    for op in ("max", "min"):
        f = getattr(torch, op)
        both(fam, op, "all", [In([3, 4])], lambda x, c, f=f: f(x[0]))
        both(fam, op, "all_ties", [In([3, 4], kind="ints")], lambda x, c, f=f: f(x[0]))
        dimfn = lambda x, c, f=f: tuple(f(x[0], dim=c["dim"], keepdim=c.get("keepdim", False)))
        both(fam, op + "_dim", "dim1", [In([3, 4])], dimfn, {"dim": 1})
        both(fam, op + "_dim", "dim0_keep", [In([3, 4])], dimfn, {"dim": 0, "keepdim": True})
        both(fam, op + "_dim", "ties", [In([4, 6], kind="ints", lo=-1, hi=2)], dimfn, {"dim": -1})
        both(fam, op + "_dim", "noncontig", [In([2, 5, 3], view=[["permute", [2, 0, 1]]])], dimfn, {"dim": 2})
        af = getattr(torch, "arg" + op)
        argfn = lambda x, c, f=af: f(x[0]) if "dim" not in c else f(x[0], dim=c["dim"], keepdim=c.get("keepdim", False))
        both(fam, "arg" + op, "all", [In([3, 4])], argfn)
        both(fam, "arg" + op, "all_ties", [In([3, 4], kind="ints", lo=-1, hi=2)], argfn)
        both(fam, "arg" + op, "dim1", [In([3, 4], kind="ints", lo=-1, hi=2)], argfn, {"dim": 1})
        both(fam, "arg" + op, "dim0_keep", [In([3, 4])], argfn, {"dim": 0, "keepdim": True})

    for op, f in (("softmax", torch.softmax), ("log_softmax", torch.log_softmax)):
        fn = lambda x, c, f=f: f(x[0], dim=c["dim"])
        both(fam, op, "dim1", [In([3, 5])], fn, {"dim": 1})
        both(fam, op, "dim0", [In([3, 5])], fn, {"dim": 0})
        both(fam, op, "3d_mid", [In([2, 3, 4])], fn, {"dim": 1})
        both(fam, op, "3d_last", [In([2, 3, 4])], fn, {"dim": -1})
        both(fam, op, "large", [In([3, 5], scale=30.0, shift=1000.0)], fn, {"dim": 1})
        both(fam, op, "noncontig", [In([5, 3], view=[["transpose", 0, 1]])], fn, {"dim": 1})
        both(fam, op, "long_row", [In([2, 100])], fn, {"dim": 1})
        both(fam, op, "1d", [In([6])], fn, {"dim": 0})

    st = lambda x, c: x[0].sum_to_size(c["shape"])
    both(fam, "sum_to", "keep_rank", [In([2, 3, 4])], st, {"shape": [2, 1, 4]})
    both(fam, "sum_to", "fewer_dims", [In([2, 3, 4])], st, {"shape": [3, 1]})
    both(fam, "sum_to", "same", [In([2, 3])], st, {"shape": [2, 3]})
    both(fam, "sum_to", "to_scalar_like", [In([2, 3])], st, {"shape": [1]})


# ---- shape, joins, indexing ----------------------------------------------------------------
def shapes():
    fam = "ops_shape"
    T = [["transpose", 0, 1]]
    views = {
        "view": lambda x, c: x[0].view(c["shape"]),
        "reshape": lambda x, c: x[0].reshape(c["shape"]),
        "flatten": lambda x, c: torch.flatten(x[0], c.get("start_dim", 0), c.get("end_dim", -1)),
        "transpose": lambda x, c: x[0].transpose(c["dim0"], c["dim1"]),
        "permute": lambda x, c: x[0].permute(c["dims"]),
        "narrow": lambda x, c: x[0].narrow(c["dim"], c["start"], c["length"]),
        "select": lambda x, c: x[0].select(c["dim"], c["index"]),
        "squeeze": lambda x, c: x[0].squeeze(c["dim"]) if "dim" in c else x[0].squeeze(),
        "unsqueeze": lambda x, c: x[0].unsqueeze(c["dim"]),
        "expand": lambda x, c: x[0].expand(c["shape"]),
        "contiguous": lambda x, c: x[0].contiguous(),
        "clone": lambda x, c: x[0].clone(),
    }

    def slice_fn(x, c):
        idx = [slice(None)] * x[0].dim()
        idx[c["dim"]] = slice(c.get("start"), c.get("end"), c.get("step", 1))
        return x[0][tuple(idx)]
    views["slice"] = slice_fn

    cases = [
        ("view", "flat", [In([3, 4])], {"shape": [12]}),
        ("view", "infer", [In([3, 4])], {"shape": [2, -1, 3]}),
        ("reshape", "contig", [In([2, 6])], {"shape": [3, 4]}),
        ("reshape", "noncontig", [In([4, 3], view=T)], {"shape": [-1]}),
        ("flatten", "all", [In([2, 3, 2])], {}),
        ("flatten", "middle", [In([2, 3, 2, 2])], {"start_dim": 1, "end_dim": 2}),
        ("flatten", "noncontig", [In([3, 2, 2], view=T)], {"start_dim": 1}),
        ("transpose", "basic", [In([2, 3, 4])], {"dim0": 0, "dim1": 2}),
        ("transpose", "neg", [In([2, 3, 4])], {"dim0": -1, "dim1": -2}),
        ("permute", "basic", [In([2, 3, 4])], {"dims": [1, 2, 0]}),
        ("permute", "neg", [In([2, 3, 4])], {"dims": [-1, 0, 1]}),
        ("narrow", "dim1", [In([3, 5])], {"dim": 1, "start": 1, "length": 3}),
        ("narrow", "noncontig", [In([5, 3], view=T)], {"dim": 0, "start": 2, "length": 1}),
        ("slice", "step2", [In([3, 7])], {"dim": 1, "start": 1, "end": 6, "step": 2}),
        ("slice", "open_end", [In([5, 2])], {"dim": 0, "start": 2}),
        ("slice", "neg_start", [In([2, 6])], {"dim": -1, "start": -4, "end": -1}),
        ("slice", "past_end", [In([2, 6])], {"dim": 1, "start": 3, "end": 100, "step": 2}),
        ("select", "basic", [In([3, 4])], {"dim": 1, "index": 2}),
        ("select", "neg_index", [In([3, 4, 2])], {"dim": 0, "index": -1}),
        ("squeeze", "all", [In([1, 3, 1, 2])], {}),
        ("squeeze", "dim", [In([1, 3, 1, 2])], {"dim": 2}),
        ("squeeze", "dim_not_one", [In([1, 3, 1, 2])], {"dim": 1}),
        ("unsqueeze", "front", [In([3, 2])], {"dim": 0}),
        ("unsqueeze", "neg", [In([3, 2])], {"dim": -1}),
        ("expand", "new_dims", [In([3, 1])], {"shape": [2, 3, 4]}),
        ("expand", "keep", [In([1, 4])], {"shape": [3, -1]}),
        ("expand", "noncontig", [In([1, 3], view=T)], {"shape": [3, 5]}),
        ("contiguous", "transposed", [In([3, 4], view=T)], {}),
        ("contiguous", "sliced", [In([3, 6], view=[["slice", 1, 0, 6, 3]])], {}),
        ("clone", "noncontig", [In([3, 4], view=T)], {}),
    ]
    for op, tag, ins, cfg in cases:
        both(fam, op, tag, ins, views[op], cfg)
    to = lambda x, c: x[0].to({"float32": F32, "float64": F64}[c["dtype"]])
    run(fam, "to_dtype", "f32_to_f64", F32, [In([3, 4])], to, {"dtype": "float64"})
    run(fam, "to_dtype", "f64_to_f32", F64, [In([3, 4])], to, {"dtype": "float32"})
    run(fam, "to_dtype", "noncontig", F64, [In([3, 4], view=T)], to, {"dtype": "float32"})

    cat = lambda x, c: torch.cat(x, dim=c["dim"])
    both(fam, "cat", "dim0", [In([2, 3]), In([1, 3]), In([3, 3])], cat, {"dim": 0})
    both(fam, "cat", "dim1", [In([2, 3]), In([2, 1]), In([2, 2])], cat, {"dim": 1})
    both(fam, "cat", "neg_noncontig", [In([2, 3, 2]), In([3, 2, 2], view=T)], cat, {"dim": -1})
    both(fam, "cat", "single", [In([2, 3])], cat, {"dim": 0})
    stack = lambda x, c: torch.stack(x, dim=c["dim"])
    both(fam, "stack", "dim0", [In([2, 3]), In([2, 3]), In([2, 3])], stack, {"dim": 0})
    both(fam, "stack", "dim1", [In([2, 3]), In([3, 2], view=T)], stack, {"dim": 1})
    both(fam, "stack", "last", [In([2, 3]), In([2, 3])], stack, {"dim": -1})
    split = lambda x, c: torch.split(x[0], c["split_size"] if "split_size" in c else c["sizes"], dim=c["dim"])
    both(fam, "split", "even", [In([6, 2])], split, {"split_size": 2, "dim": 0})
    both(fam, "split", "uneven", [In([2, 7])], split, {"split_size": 3, "dim": 1})
    both(fam, "split", "sizes", [In([2, 6])], split, {"sizes": [1, 4, 1], "dim": -1})
    both(fam, "split", "noncontig", [In([5, 3], view=T)], split, {"split_size": 2, "dim": 1})
    chunk = lambda x, c: torch.chunk(x[0], c["chunks"], dim=c["dim"])
    both(fam, "chunk", "even", [In([6, 2])], chunk, {"chunks": 3, "dim": 0})
    both(fam, "chunk", "uneven", [In([2, 5])], chunk, {"chunks": 3, "dim": 1})

    isel = lambda x, c: torch.index_select(x[0], c["dim"], x[1])
    both(fam, "index_select", "dim0_dups", [In([4, 3]), In([5], dtype=I64, values=[3, 0, 3, 1, 3])], isel, {"dim": 0})
    both(fam, "index_select", "dim1", [In([2, 4, 3]), In([2], dtype=I64, values=[2, 0])], isel, {"dim": 1})
    both(fam, "index_select", "noncontig", [In([3, 4], view=T), In([3], dtype=I64, values=[1, 1, 2])], isel,
         {"dim": -1})
    gather = lambda x, c: torch.gather(x[0], c["dim"], x[1])
    both(fam, "gather", "dim1", [In([3, 4]), In([3, 5], dtype=I64, kind="index", hi=4)], gather, {"dim": 1})
    both(fam, "gather", "dim0", [In([3, 4]), In([2, 4], dtype=I64, kind="index", hi=3)], gather, {"dim": 0})
    both(fam, "gather", "3d_smaller_index", [In([2, 3, 4]), In([2, 2, 2], dtype=I64, kind="index", hi=3)], gather,
         {"dim": 1})
    both(fam, "gather", "noncontig", [In([4, 3], view=T), In([3, 2], dtype=I64, kind="index", hi=4)], gather,
         {"dim": -1})
    sadd = lambda x, c: torch.scatter_add(x[0], c["dim"], x[1], x[2])
    both(fam, "scatter_add", "dim0_dups", [In([3, 4]), In([5, 4], dtype=I64, kind="index", hi=3), In([5, 4])], sadd,
         {"dim": 0})
    both(fam, "scatter_add", "dim1", [In([3, 4]), In([3, 2], dtype=I64, kind="index", hi=4), In([3, 2])], sadd,
         {"dim": 1})
    # src larger than index: PyTorch 1.13's backward for src fails on this shape, so only x's gradient is recorded.
    both(fam, "scatter_add", "src_larger", [In([2, 3]), In([2, 2], dtype=I64, kind="index", hi=3),
                                            In([3, 4], grad=False)], sadd,
         {"dim": 1})
    both(fam, "scatter_add", "noncontig", [In([4, 3], view=T), In([3, 4], dtype=I64, kind="index", hi=4),
                                           In([4, 3], view=T)], sadd, {"dim": 1})
    oh = lambda x, c: F.one_hot(x[0], c["num_classes"])
    run(fam, "one_hot", "basic", F32, [In([5], dtype=I64, values=[0, 3, 1, 3, 2])], oh, {"num_classes": 4})
    run(fam, "one_hot", "2d", F32, [In([2, 3], dtype=I64, values=[[0, 1, 2], [2, 2, 0]])], oh, {"num_classes": 3})


# ---- matmul and linear ---------------------------------------------------------------------
def linalg():
    fam = "ops_linalg"
    mm = lambda x, c: torch.matmul(x[0], x[1])
    cases = [
        ("dot", [4], [4]), ("vec_mat", [3], [3, 4]), ("mat_vec", [3, 4], [4]), ("mat_mat", [3, 4], [4, 5]),
        ("batched", [2, 3, 4], [2, 4, 5]), ("bcast_b2d", [2, 3, 4], [4, 5]), ("bcast_a2d", [3, 4], [2, 4, 5]),
        ("bcast_4d", [2, 1, 3, 4], [3, 4, 2]), ("vec_batched", [4], [2, 4, 3]), ("batched_vec", [2, 3, 4], [4]),
        ("outer_k1", [3, 1], [1, 4]),
    ]
    for tag, a, b in cases:
        both(fam, "matmul", tag, [In(a), In(b)], mm)
    both(fam, "matmul", "noncontig", [In([4, 3], view=[["transpose", 0, 1]]), In([5, 4], view=[["transpose", 0, 1]])],
         mm)
    both(fam, "matmul", "batched_noncontig", [In([2, 4, 3], view=[["transpose", 1, 2]]),
                                              In([4, 2, 5], view=[["transpose", 0, 1]])], mm)
    both(fam, "matmul", "expanded", [In([1, 3, 4], view=[["expand", [2, 3, 4]]]), In([2, 4, 2])], mm)
    both(fam, "matmul", "larger", [In([17, 33]), In([33, 9])], mm)
    both(fam, "mm", "basic", [In([3, 4]), In([4, 2])], lambda x, c: torch.mm(x[0], x[1]))
    both(fam, "mm", "noncontig", [In([4, 3], view=[["transpose", 0, 1]]), In([4, 2])], lambda x, c: torch.mm(x[0], x[1]))
    lin = lambda x, c: F.linear(x[0], x[1], x[2] if len(x) > 2 else None)
    both(fam, "linear", "bias", [In([5, 3]), In([4, 3]), In([4])], lin)
    both(fam, "linear", "no_bias", [In([5, 3]), In([4, 3])], lin)
    both(fam, "linear", "3d", [In([2, 5, 3]), In([4, 3]), In([4])], lin)
    both(fam, "linear", "1d", [In([3]), In([4, 3]), In([4])], lin)
    both(fam, "linear", "noncontig", [In([3, 5], view=[["transpose", 0, 1]]), In([3, 4], view=[["transpose", 0, 1]]),
                                      In([4])], lin)


# ---- factories -----------------------------------------------------------------------------
def factories():
    """Deterministic factories: lengths, dtypes and rounding of arange and linspace, eye, full.
    Config values are what the C++ side passes; "dtype" null means the default dtype."""
    fam = "core_factories"
    DT = {None: None, "float32": F32, "float64": F64, "int64": I64}

    def arange(x, c):
        return torch.arange(c["start"], c["end"], c["step"], dtype=DT[c.get("dtype")])

    def linspace(x, c):
        return torch.linspace(c["start"], c["end"], c["steps"], dtype=DT[c.get("dtype")])

    cases = [  # (tag, label dtype, config); ints stay ints so torch infers int64 as descent does for integral values
        ("int", I64, {"start": 0, "end": 7, "step": 1}),
        ("int_step3", I64, {"start": -4, "end": 9, "step": 3}),
        ("int_negative_step", I64, {"start": 5, "end": -3, "step": -2}),
        ("frac_step", F32, {"start": 0, "end": 1, "step": 0.1}),
        ("frac_start", F32, {"start": -1.5, "end": 2.25, "step": 0.25}),
        ("frac_negative", F32, {"start": 1, "end": -1, "step": -0.3}),
        ("frac_f64", F64, {"start": 0, "end": 1, "step": 0.1, "dtype": "float64"}),
        ("int_as_f32", F32, {"start": 0, "end": 5, "step": 1, "dtype": "float32"}),
        # Not recorded: arange(0.5, 4.5, 1.5, dtype=int64). PyTorch first truncates start, end and
        # step to int64 (giving [0, 1, 2, 3]); descent counts ceil((4.5 - 0.5) / 1.5) = 3 elements.
        ("empty", I64, {"start": 3, "end": 3, "step": 1}),
    ]
    for tag, d, cfg in cases:
        run(fam, "arange", tag, d, [], arange, cfg)
    cases = [
        ("f32", F32, {"start": 0, "end": 1, "steps": 11}),
        ("f32_long", F32, {"start": -3.3, "end": 7.1, "steps": 100}),
        ("f64_long", F64, {"start": -3.3, "end": 7.1, "steps": 100, "dtype": "float64"}),
        ("reverse", F32, {"start": 2, "end": -2, "steps": 7}),
        ("one", F32, {"start": 4.5, "end": 9, "steps": 1}),
        ("two", F32, {"start": 4.5, "end": 9, "steps": 2}),
        ("zero", F32, {"start": 0, "end": 1, "steps": 0}),
        ("int64", I64, {"start": 0, "end": 10, "steps": 4, "dtype": "int64"}),
    ]
    for tag, d, cfg in cases:
        run(fam, "linspace", tag, d, [], linspace, cfg)
    for n, d in ((3, None), (4, "float64"), (0, None), (3, "int64")):
        run(fam, "eye", "n%d_%s" % (n, d), DT[d] or F32, [], lambda x, c: torch.eye(c["n"], dtype=DT[c.get("dtype")]),
            {"n": n, "dtype": d})
    run(fam, "full", "f32", F32, [], lambda x, c: torch.full(c["shape"], c["value"]), {"shape": [2, 3], "value": 0.1})
    run(fam, "full", "f64", F64, [], lambda x, c: torch.full(c["shape"], c["value"], dtype=F64),
        {"shape": [2], "value": -2.7, "dtype": "float64"})


# ---- convolution, pooling, normalization ---------------------------------------------------
def cnn():
    """The op table's convolution, pooling and normalization rows (beyond issue 2's list,
    so that every op the gradcheck test runs also has a golden)."""
    fam = "ops_cnn"

    def conv(x, c):
        return F.conv2d(x[0], x[1], x[2] if len(x) > 2 else None, stride=c.get("stride", 1),
                        padding=c.get("padding", 0), dilation=c.get("dilation", 1), groups=c.get("groups", 1))
    both(fam, "conv2d", "basic", [In([2, 3, 5, 5]), In([4, 3, 3, 3]), In([4])], conv)
    both(fam, "conv2d", "stride_pad_dil_groups", [In([1, 4, 6, 7]), In([2, 2, 3, 2]), In([2])], conv,
         {"stride": [2, 1], "padding": [1, 1], "dilation": [1, 2], "groups": 2})
    both(fam, "conv2d", "no_bias_pad2", [In([2, 2, 4, 4]), In([3, 2, 2, 2])], conv,
         {"stride": [2, 2], "padding": [2, 2], "dilation": [2, 2]})
    both(fam, "conv2d", "unbatched", [In([3, 4, 4]), In([2, 3, 2, 2]), In([2])], conv)
    both(fam, "conv2d", "noncontig", [In([2, 3, 5, 5], view=[["transpose", 2, 3]]), In([2, 3, 3, 3]), In([2])], conv,
         {"padding": [1, 1]})

    def mp(x, c, indices=False):
        return F.max_pool2d(x[0], c["kernel"], stride=c.get("stride"), padding=c.get("padding", 0),
                            dilation=c.get("dilation", 1), ceil_mode=c.get("ceil_mode", False),
                            return_indices=indices)
    both(fam, "max_pool2d", "k2", [In([2, 3, 4, 4])], mp, {"kernel": [2, 2]})
    both(fam, "max_pool2d", "ceil_pad", [In([1, 2, 5, 5])], mp,
         {"kernel": [3, 3], "stride": [2, 2], "padding": [1, 1], "ceil_mode": True})
    both(fam, "max_pool2d", "dilation", [In([1, 2, 6, 7])], mp,
         {"kernel": [2, 3], "stride": [1, 1], "padding": [1, 1], "dilation": [2, 2]})
    both(fam, "max_pool2d", "ties", [In([1, 1, 4, 4], kind="ints", lo=0, hi=2)], mp, {"kernel": [2, 2]})
    both(fam, "max_pool2d_with_indices", "k3s2", [In([2, 2, 5, 5])], lambda x, c: mp(x, c, True),
         {"kernel": [3, 3], "stride": [2, 2], "padding": [1, 1]})

    # descent's fused conv2d_max_pool2d against PyTorch's two ops in turn: ties in the pooled
    # windows (integer inputs and weights) check that the first maximum is chosen.
    def conv_mp(x, c):
        pooled = mp([conv(x, c)], c["pool"])
        return F.relu(pooled) if c.get("relu") else pooled
    both(fam, "conv2d_max_pool2d", "same_k2", [In([3, 2, 5, 7]), In([4, 2, 3, 3]), In([4])], conv_mp,
         {"padding": [1, 1], "pool": {"kernel": [2, 2]}})
    both(fam, "conv2d_max_pool2d", "groups_stride_no_bias", [In([2, 4, 6, 6]), In([6, 2, 3, 2])], conv_mp,
         {"stride": [1, 2], "groups": 2, "pool": {"kernel": [2, 1]}})
    both(fam, "conv2d_max_pool2d", "ties", [In([2, 1, 4, 4], kind="ints", lo=0, hi=2),
                                            In([2, 1, 1, 1], kind="ints", lo=1, hi=2)], conv_mp,
         {"pool": {"kernel": [2, 2]}})
    both(fam, "conv2d_max_pool2d", "relu_wide", [In([2, 2, 4, 18]), In([3, 2, 3, 3]), In([3])], conv_mp,
         {"padding": [1, 1], "relu": True, "pool": {"kernel": [2, 2]}})
    both(fam, "conv2d_max_pool2d", "overlapping", [In([1, 2, 6, 6]), In([3, 2, 3, 3]), In([3])], conv_mp,
         {"padding": [1, 1], "pool": {"kernel": [3, 3], "stride": [2, 2], "padding": [1, 1]}})

    def ap(x, c):
        return F.avg_pool2d(x[0], c["kernel"], stride=c.get("stride"), padding=c.get("padding", 0),
                            ceil_mode=c.get("ceil_mode", False), count_include_pad=c.get("count_include_pad", True),
                            divisor_override=c.get("divisor_override"))
    both(fam, "avg_pool2d", "k2", [In([2, 3, 4, 4])], ap, {"kernel": [2, 2]})
    both(fam, "avg_pool2d", "ceil_pad_exclude", [In([1, 2, 5, 5])], ap,
         {"kernel": [3, 3], "stride": [2, 2], "padding": [1, 1], "ceil_mode": True, "count_include_pad": False})
    both(fam, "avg_pool2d", "pad_include", [In([1, 2, 5, 6])], ap, {"kernel": [3, 3], "stride": [2, 2], "padding": [1, 1]})
    both(fam, "avg_pool2d", "divisor", [In([1, 2, 5, 6])], ap,
         {"kernel": [2, 3], "stride": [1, 2], "padding": [1, 1], "divisor_override": 4})
    aap = lambda x, c: F.adaptive_avg_pool2d(x[0], c["output_size"])
    both(fam, "adaptive_avg_pool2d", "uneven", [In([2, 2, 5, 7])], aap, {"output_size": [3, 4]})
    both(fam, "adaptive_avg_pool2d", "global", [In([2, 3, 4, 4])], aap, {"output_size": [1, 1]})

    def bn(x, c):
        named = dict(zip(c["inputs"], x))
        rm, rv = named.get("running_mean"), named.get("running_var")
        y = F.batch_norm(named["input"], rm, rv, named.get("weight"), named.get("bias"), training=c["training"],
                         momentum=c.get("momentum", 0.1), eps=c.get("eps", 1e-5))
        # The running statistics are updated in place: their new values are outputs too.
        return [y] + [t.clone() for t in (rm, rv) if t is not None]
    stats = [In([3], name="running_mean", grad=False), In([3], kind="pos", name="running_var", grad=False)]
    affine = [In([3], kind="pos", name="weight"), In([3], name="bias")]
    both(fam, "batch_norm", "train_running_affine", [In([4, 3, 2, 2], name="input")] + stats + affine, bn,
         {"training": True})
    both(fam, "batch_norm", "train_plain_2d", [In([5, 3], name="input")], bn, {"training": True, "eps": 1e-3})
    both(fam, "batch_norm", "train_momentum", [In([3, 3, 4], name="input", shift=2.0)] + stats, bn,
         {"training": True, "momentum": 0.3})
    both(fam, "batch_norm", "eval", [In([2, 3, 2, 2], name="input")] + stats + affine, bn, {"training": False})

    def ln(x, c):
        named = dict(zip(c["inputs"], x))
        return F.layer_norm(named["input"], c["normalized_shape"], named.get("weight"), named.get("bias"),
                            eps=c.get("eps", 1e-5))
    both(fam, "layer_norm", "last", [In([3, 4], name="input"), In([4], kind="pos", name="weight"),
                                     In([4], name="bias")], ln, {"normalized_shape": [4]})
    both(fam, "layer_norm", "two_dims", [In([2, 3, 4], name="input", shift=3.0)], ln,
         {"normalized_shape": [3, 4], "eps": 1e-3})
    both(fam, "layer_norm", "noncontig", [In([4, 3], name="input", view=[["transpose", 0, 1]]),
                                          In([4], kind="pos", name="weight"), In([4], name="bias")], ln,
         {"normalized_shape": [4]})
    # The mask is random: only the deterministic settings have goldens (the op table's gradcheck
    # and the nn tests cover the random mask).
    d2 = lambda x, c: F.dropout2d(x[0], c["p"], training=c["training"])
    both(fam, "dropout2d", "eval", [In([2, 3, 2, 2])], d2, {"p": 0.5, "training": False})
    both(fam, "dropout2d", "train_p0", [In([2, 3, 2, 2])], d2, {"p": 0.0, "training": True})
    both(fam, "dropout2d", "train_p1", [In([2, 3, 2, 2])], d2, {"p": 1.0, "training": True})


# ---- modules -------------------------------------------------------------------------------
def modules():
    fam = "nn_modules"
    fwd = lambda m, x, c: m(x[0])

    def mod(factory, train=True):
        def make(c, dtype):
            m = factory(c).to(dtype)
            m.train(train)
            return m
        return make

    lin = mod(lambda c: nn.Linear(c["in_features"], c["out_features"], bias=c.get("bias", True)))
    both(fam, "Linear", "2d", [In([5, 3])], fwd, {"in_features": 3, "out_features": 4}, modules=lin)
    both(fam, "Linear", "no_bias", [In([5, 3])], fwd, {"in_features": 3, "out_features": 2, "bias": False},
         modules=lin)
    both(fam, "Linear", "3d", [In([2, 4, 3])], fwd, {"in_features": 3, "out_features": 2}, modules=lin)
    both(fam, "Linear", "1d", [In([3])], fwd, {"in_features": 3, "out_features": 2}, modules=lin)
    both(fam, "Identity", "basic", [In([3, 4])], fwd, modules=mod(lambda c: nn.Identity()))
    flat = mod(lambda c: nn.Flatten(c.get("start_dim", 1), c.get("end_dim", -1)))
    both(fam, "Flatten", "default", [In([2, 3, 2, 2])], fwd, modules=flat)
    both(fam, "Flatten", "range", [In([2, 3, 2, 2])], fwd, {"start_dim": 0, "end_dim": 2}, modules=flat)
    both(fam, "Flatten", "noncontig", [In([3, 2, 2], view=[["transpose", 0, 1]])], fwd, modules=flat)
    drop_eval = mod(lambda c: nn.Dropout(c["p"]), train=False)
    drop_train = mod(lambda c: nn.Dropout(c["p"]), train=True)
    both(fam, "Dropout", "eval", [In([3, 4])], fwd, {"p": 0.5}, modules=drop_eval)
    both(fam, "Dropout", "train_p0", [In([3, 4])], fwd, {"p": 0.0}, modules=drop_train)
    both(fam, "Dropout", "train_p1", [In([3, 4])], fwd, {"p": 1.0}, modules=drop_train)
    # p = 0.5 or 0.2 in training: the mask's RNG differs from PyTorch's, so the test checks
    # the structure (each output 0 or x / (1 - p), the gradient following the same mask)
    # and the kept fraction.
    for p in (0.5, 0.2):
        both(fam, "Dropout", "train_p%g" % p, [In([20, 25])], fwd, {"p": p}, modules=drop_train, structural=True)

    acts = {
        "ReLU": lambda c: nn.ReLU(), "Sigmoid": lambda c: nn.Sigmoid(), "Tanh": lambda c: nn.Tanh(),
        "LeakyReLU": lambda c: nn.LeakyReLU(c.get("negative_slope", 0.01)),
        "GELU": lambda c: nn.GELU(approximate=c.get("approximate", "none")),
        "Softmax": lambda c: nn.Softmax(dim=c["dim"]), "LogSoftmax": lambda c: nn.LogSoftmax(dim=c["dim"]),
    }
    cfgs = {"LeakyReLU": [{}, {"negative_slope": 0.2}], "GELU": [{}, {"approximate": "tanh"}],
            "Softmax": [{"dim": 1}, {"dim": -1}, {"dim": 0}], "LogSoftmax": [{"dim": 1}, {"dim": 0}]}
    for name, factory in acts.items():
        for i, cfg in enumerate(cfgs.get(name, [{}])):
            both(fam, name, "cfg%d" % i, [In([3, 4], scale=2.0)], fwd, cfg, modules=mod(factory))
        both(fam, name, "3d_noncontig", [In([4, 3, 2], view=[["transpose", 0, 1]], scale=2.0)], fwd,
             cfgs.get(name, [{}])[0], modules=mod(factory))
    seq = mod(lambda c: nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2), nn.Sigmoid()))
    both(fam, "Sequential", "mlp", [In([5, 3])], fwd, modules=seq)


# ---- losses --------------------------------------------------------------------------------
def losses():
    fam = "nn_losses"
    R = ("none", "mean", "sum")

    def L(factory):
        return lambda x, c: factory(c, x)(x[0], x[1])

    reg = {
        "MSELoss": lambda c, x: nn.MSELoss(reduction=c["reduction"]),
        "L1Loss": lambda c, x: nn.L1Loss(reduction=c["reduction"]),
        "HuberLoss": lambda c, x: nn.HuberLoss(reduction=c["reduction"], delta=c.get("delta", 1.0)),
        "SmoothL1Loss": lambda c, x: nn.SmoothL1Loss(reduction=c["reduction"], beta=c.get("beta", 1.0)),
    }
    for name, factory in reg.items():
        for r in R:
            both(fam, name, r, [In([3, 4], scale=2.0), In([3, 4], grad=False)], L(factory), {"reduction": r})
        both(fam, name, "target_grad", [In([2, 3], scale=2.0), In([2, 3])], L(factory), {"reduction": "mean"})
        both(fam, name, "bcast_noncontig", [In([4, 3], view=[["transpose", 0, 1]], scale=2.0),
                                            In([3, 4], grad=False)], L(factory), {"reduction": "sum"})
    for d in (0.5, 2.0):
        both(fam, "HuberLoss", "delta%g" % d, [In([3, 4], scale=2.0), In([3, 4], grad=False)], L(reg["HuberLoss"]),
             {"reduction": "mean", "delta": d})
    for b in (0.5, 2.0, 0.0):
        both(fam, "SmoothL1Loss", "beta%g" % b, [In([3, 4], scale=2.0), In([3, 4], grad=False)],
             L(reg["SmoothL1Loss"]), {"reduction": "mean", "beta": b})
    edge = [0.0, 1.0, 0.5, 1.0, 2.0, 3.0]
    both(fam, "HuberLoss", "at_delta", [In([6], values=edge), In([6], values=[0.0] * 6, grad=False)],
         L(reg["HuberLoss"]), {"reduction": "none", "delta": 1.0})
    both(fam, "SmoothL1Loss", "at_beta", [In([6], values=edge), In([6], values=[0.0] * 6, grad=False)],
         L(reg["SmoothL1Loss"]), {"reduction": "none", "beta": 1.0})
    both(fam, "L1Loss", "at_zero", [In([4], values=[0.0, 1.0, -1.0, 0.5]),
                                    In([4], values=[0.0, 1.0, 0.0, 0.5], grad=False)],
         L(reg["L1Loss"]), {"reduction": "none"})

    def bce(c, x):
        w = x[2] if len(x) > 2 else None
        return nn.BCELoss(weight=w, reduction=c["reduction"])
    prob = dict(kind="uniform", lo=0.05, hi=0.95)
    for r in R:
        both(fam, "BCELoss", r, [In([3, 4], **prob), In([3, 4], grad=False, **prob)], L(bce), {"reduction": r})
    both(fam, "BCELoss", "hard_targets", [In([3, 4], **prob), In([3, 4], grad=False, kind="ints", lo=0, hi=2)],
         L(bce), {"reduction": "mean"})
    # log clamped at -100: inputs exactly 0 and 1 give finite losses and gradients
    both(fam, "BCELoss", "log_clamp", [In([6], values=[0.0, 1.0, 0.0, 1.0, 1e-30, 0.5]),
                                       In([6], values=[1.0, 0.0, 0.0, 1.0, 1.0, 0.5], grad=False)],
         L(bce), {"reduction": "none"})
    both(fam, "BCELoss", "weight", [In([3, 4], **prob), In([3, 4], grad=False, **prob),
                                    In([4], kind="pos", grad=False, name="weight")], L(bce), {"reduction": "mean"})
    both(fam, "BCELoss", "target_grad", [In([2, 3], **prob), In([2, 3], **prob)], L(bce), {"reduction": "sum"})

    def bcel(c, x):
        w = pw = None
        for spec_x, nm in zip(x[2:], c.get("extra", [])):
            if nm == "weight":
                w = spec_x
            else:
                pw = spec_x
        return nn.BCEWithLogitsLoss(weight=w, pos_weight=pw, reduction=c["reduction"])
    for r in R:
        both(fam, "BCEWithLogitsLoss", r, [In([3, 4], scale=3.0), In([3, 4], grad=False, **prob)], L(bcel),
             {"reduction": r})
    both(fam, "BCEWithLogitsLoss", "large_logits",
         [In([8], values=[-100.0, -50.0, -20.0, 0.0, 20.0, 50.0, 100.0, 3.0]),
          In([8], values=[1.0, 0.0, 1.0, 0.5, 0.0, 1.0, 0.0, 0.25], grad=False)], L(bcel), {"reduction": "none"})
    both(fam, "BCEWithLogitsLoss", "pos_weight",
         [In([3, 4], scale=3.0), In([3, 4], grad=False, **prob), In([4], kind="pos", grad=False, name="pos_weight")],
         L(bcel), {"reduction": "mean", "extra": ["pos_weight"]})
    both(fam, "BCEWithLogitsLoss", "pos_weight_large",
         [In([6], values=[-60.0, -30.0, 0.0, 30.0, 60.0, 2.0]), In([6], grad=False, **prob),
          In([6], kind="pos", grad=False, name="pos_weight")], L(bcel), {"reduction": "none", "extra": ["pos_weight"]})
    both(fam, "BCEWithLogitsLoss", "weight_pos_weight",
         [In([3, 4], scale=3.0), In([3, 4], grad=False, **prob), In([3, 1], kind="pos", grad=False, name="weight"),
          In([4], kind="pos", grad=False, name="pos_weight")],
         L(bcel), {"reduction": "sum", "extra": ["weight", "pos_weight"]})
    both(fam, "BCEWithLogitsLoss", "target_grad", [In([2, 3], scale=3.0), In([2, 3], **prob)], L(bcel),
         {"reduction": "mean"})

    def ce(c, x):
        w = x[2] if len(x) > 2 else None
        return nn.CrossEntropyLoss(weight=w, ignore_index=c.get("ignore_index", -100), reduction=c["reduction"],
                                   label_smoothing=c.get("label_smoothing", 0.0))

    def nll(c, x):
        w = x[2] if len(x) > 2 else None
        return nn.NLLLoss(weight=w, ignore_index=c.get("ignore_index", -100), reduction=c["reduction"])

    idx = lambda n, C, **kw: In([n], dtype=I64, values=kw.get("values"), kind="index", hi=C, grad=False)
    wt = lambda C: In([C], kind="pos", grad=False, name="weight")
    for r in R:
        both(fam, "CrossEntropyLoss", r, [In([4, 5], scale=2.0), idx(4, 5)], L(ce), {"reduction": r})
        both(fam, "CrossEntropyLoss", "weight_" + r, [In([4, 5], scale=2.0), idx(4, 5), wt(5)], L(ce),
             {"reduction": r})
        both(fam, "CrossEntropyLoss", "ignore_" + r, [In([5, 3], scale=2.0), idx(5, 3, values=[0, -100, 2, 1, -100])],
             L(ce), {"reduction": r})
        both(fam, "CrossEntropyLoss", "smooth_" + r, [In([4, 5], scale=2.0), idx(4, 5)], L(ce),
             {"reduction": r, "label_smoothing": 0.1})
        both(fam, "CrossEntropyLoss", "probs_" + r, [In([4, 5], scale=2.0), In([4, 5], kind="simplex", grad=False)],
             L(ce), {"reduction": r})
    both(fam, "CrossEntropyLoss", "weight_ignore_smooth",
         [In([5, 4], scale=2.0), idx(5, 4, values=[1, 3, 1, 0, 2]), wt(4)], L(ce),
         {"reduction": "mean", "ignore_index": 1, "label_smoothing": 0.2})
    both(fam, "CrossEntropyLoss", "weight_ignore_smooth_sum",
         [In([5, 4], scale=2.0), idx(5, 4, values=[1, 3, 1, 0, 2]), wt(4)], L(ce),
         {"reduction": "sum", "ignore_index": 1, "label_smoothing": 0.2})
    both(fam, "CrossEntropyLoss", "probs_weight_smooth",
         [In([3, 4], scale=2.0), In([3, 4], kind="simplex", grad=False), wt(4)], L(ce),
         {"reduction": "mean", "label_smoothing": 0.15, "extra": ["weight"]})
    both(fam, "CrossEntropyLoss", "large_logits", [In([3, 4], scale=30.0, shift=500.0), idx(3, 4)], L(ce),
         {"reduction": "mean"})
    both(fam, "CrossEntropyLoss", "noncontig", [In([5, 3], view=[["transpose", 0, 1]], scale=2.0), idx(3, 5)],
         L(ce), {"reduction": "mean"})
    both(fam, "CrossEntropyLoss", "unbatched", [In([5], scale=2.0), In([], dtype=I64, values=3, grad=False)], L(ce),
         {"reduction": "mean"})
    both(fam, "CrossEntropyLoss", "kdim", [In([2, 3, 4], scale=2.0), In([2, 4], dtype=I64, kind="index", hi=3,
                                                                        grad=False)], L(ce), {"reduction": "mean"})
    for r in R:
        both(fam, "NLLLoss", r, [In([4, 5]), idx(4, 5)], L(nll), {"reduction": r})
        both(fam, "NLLLoss", "weight_ignore_" + r, [In([5, 4]), idx(5, 4, values=[3, 2, 3, 0, 1]), wt(4)], L(nll),
             {"reduction": r, "ignore_index": 3})
    both(fam, "NLLLoss", "log_softmax_input", [In([4, 5], scale=2.0), idx(4, 5)],
         lambda x, c: nll(c, x)(torch.log_softmax(x[0], 1), x[1]), {"reduction": "mean", "input_log_softmax": True})


# ---- nn::init ------------------------------------------------------------------------------
def inits():
    """Records the bound (uniform) or std (normal) that torch.nn.init computes, by
    catching the uniform_/normal_ call it makes: the RNG streams differ, so the test
    checks the distribution's parameters on a large tensor, not the values."""
    fam = "nn_init"
    init = nn.init
    cases = [
        ("uniform_", [64, 32], {"a": -0.3, "b": 0.7}),
        ("normal_", [64, 32], {"mean": 0.5, "std": 2.0}),
        ("constant_", [4, 3], {"val": 0.25}),
        ("xavier_uniform_", [64, 32], {}),
        ("xavier_uniform_", [64, 32], {"gain": 2.0}),
        ("xavier_normal_", [64, 32], {}),
        ("xavier_normal_", [16, 8, 3, 3], {"gain": 0.5}),
        ("kaiming_uniform_", [64, 32], {}),
        ("kaiming_uniform_", [64, 32], {"a": math.sqrt(5)}),
        ("kaiming_uniform_", [64, 32], {"mode": "fan_out"}),
        ("kaiming_uniform_", [16, 8, 3, 3], {"nonlinearity": "relu"}),
        ("kaiming_uniform_", [64, 32], {"a": 0.2, "nonlinearity": "leaky_relu", "mode": "fan_out"}),
        ("kaiming_normal_", [64, 32], {}),
        ("kaiming_normal_", [64, 32], {"mode": "fan_out", "nonlinearity": "relu"}),
        ("kaiming_normal_", [16, 8, 3, 3], {"nonlinearity": "linear"}),
        ("kaiming_normal_", [64, 32], {"nonlinearity": "tanh"}),
        ("kaiming_normal_", [64, 32], {"nonlinearity": "sigmoid"}),
    ]
    out = []
    for name, shape, kw in cases:
        rec = {}
        orig_u, orig_n, orig_f = torch.Tensor.uniform_, torch.Tensor.normal_, torch.Tensor.fill_

        def u(self, a=0.0, b=1.0, generator=None):
            rec.update(dist="uniform", low=float(a), high=float(b))
            return orig_u(self, a, b)

        def n(self, mean=0.0, std=1.0, generator=None):
            rec.update(dist="normal", mean=float(mean), std=float(std))
            return orig_n(self, mean, std)

        def f(self, v):
            rec.update(dist="constant", value=float(v))
            return orig_f(self, v)
        torch.Tensor.uniform_, torch.Tensor.normal_, torch.Tensor.fill_ = u, n, f
        try:
            getattr(init, name)(torch.empty(shape), **kw)
        finally:
            torch.Tensor.uniform_, torch.Tensor.normal_, torch.Tensor.fill_ = orig_u, orig_n, orig_f
        assert rec, name
        cid = "%s/%s/%s" % (name, "x".join(map(str, shape)), ",".join("%s=%s" % kv for kv in sorted(kw.items())))
        out.append({"id": cid, "op": name, "shape": shape, "config": kw, "expect": rec})
    # nn.Linear's default init: kaiming_uniform_(a=sqrt(5)) on the weight, U(±1/sqrt(fan_in)) on the bias
    for fin, fout in ((3, 4), (784, 128)):
        m = nn.Linear(fin, fout)
        b = 1.0 / math.sqrt(fin)
        out.append({"id": "Linear/%dx%d" % (fin, fout), "op": "Linear", "shape": [fout, fin],
                    "config": {"in_features": fin, "out_features": fout},
                    "expect": {"dist": "uniform", "low": -b, "high": b},
                    "torch_max_abs": {"weight": float(m.weight.abs().max()), "bias": float(m.bias.abs().max())}})
    gains = {}
    for nl, p in (("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None), ("relu", None),
                  ("leaky_relu", None), ("leaky_relu", 0.2), ("selu", None)):
        gains["%s%s" % (nl, "" if p is None else "(%g)" % p)] = {"nonlinearity": nl, "param": p,
                                                                 "gain": init.calculate_gain(nl, p)}
    FILES[fam] = {"cases": out, "gains": gains}


def main():
    elementwise()
    reductions()
    shapes()
    linalg()
    cnn()
    factories()
    modules()
    losses()
    inits()
    os.makedirs(OUT_DIR, exist_ok=True)
    total = 0
    for fam, cases in FILES.items():
        path = os.path.join(OUT_DIR, fam + ".json")
        body = cases if isinstance(cases, dict) else {"cases": cases}
        doc = {"family": fam, "generator": "scripts/make_goldens.py", "torch": torch.__version__}
        doc.update(body)
        with open(path, "w") as f:
            # One case per line: small diffs when a case changes.
            head = json.dumps({k: v for k, v in doc.items() if k != "cases"}, separators=(",", ":"))
            f.write(head[:-1] + ',"cases":[\n')
            f.write(",\n".join(json.dumps(c, separators=(",", ":")) for c in doc["cases"]))
            f.write("\n]}\n")
        size = os.path.getsize(path)
        total += size
        print("%-18s %4d cases %8d bytes" % (fam, len(doc["cases"]), size))
    print("total %d bytes" % total)


if __name__ == "__main__":
    sys.exit(main())
