"""Runs the yardstick workloads (../shared/BENCHMARKS.md) for descent and PyTorch side by side
(for W1 also LibTorch, PyTorch's C++ API: bench_w1_libtorch) and prints one table of ratios
(ours / theirs). Called by bench/run.sh after the build; run with Debian's /usr/bin/python3
(it has torch). Each figure is the median of --reps runs after one warm-up run; the spread
(max - min) / median is printed beside it so a noisy machine shows.
Whole-process wall time and peak memory come from os.wait4 (the child's own rusage)."""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/usr/bin/python3"
RESULT = re.compile(r"^RESULT (\S+) (\S+)(?: threads=(\d+))? (\S+) (\S+)")


def run(cmd, threads):
    """Runs cmd with k threads for both sides' settings; returns (results, wall s, peak MiB)."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS="1")
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True)
    out = p.stdout.read()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    if status != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{out[-2000:]}")
    res = {}
    for line in out.splitlines():
        m = RESULT.match(line)
        if m:
            key = (m.group(1), m.group(2), int(m.group(3)) if m.group(3) else threads)
            res[key] = (float(m.group(4)), m.group(5))
    return res, wall, ru.ru_maxrss / 1024.0


def median_runs(cmd, threads, reps):
    """Median of each RESULT value, of wall time and of peak memory over reps runs after a warm-up."""
    runs = [run(cmd, threads) for _ in range(reps + 1)][1:]
    keys = runs[0][0].keys()
    med = {}
    for k in keys:
        vals = [r[0][k][0] for r in runs]
        m = statistics.median(vals)
        med[k] = (m, runs[0][0][k][1], (max(vals) - min(vals)) / m if m else 0.0)
    walls = [r[1] for r in runs]
    mems = [r[2] for r in runs]
    w = statistics.median(walls)
    return med, (w, "s", (max(walls) - min(walls)) / w), (statistics.median(mems), "MiB", 0.0)


class Table:
    """Rows of descent vs PyTorch; the LibTorch columns appear only when some row has a LibTorch
    figure (W1), so tables without them keep their old shape."""

    def __init__(self):
        self.rows = []

    def add(self, workload, metric, threads, ours, theirs, target="", lt=None, lt_target=""):
        self.rows.append((workload, metric, threads, ours, theirs, target, lt, lt_target))

    def note(self, text):
        self.rows.append((text,))

    def show(self):
        def fmt(v):
            if v is None:
                return "n/a"
            val, unit, spread = v
            s = f"{val:.4g} {unit}"
            return s + (f" ±{100 * spread:.0f}%" if spread > 0.1 else "")

        def ratio(o, th):
            return f"{o[0] / th[0]:.3f}" if o and th and th[0] else "n/a"

        with_lt = any(len(r) > 1 and r[6] for r in self.rows)
        head = f"{'workload':<8} {'figure':<26} {'thr':>3}  {'descent':>18}  {'PyTorch':>18}  "
        if with_lt:
            head += f"{'ours/PyTorch':>12}  {'LibTorch':>18}  {'ours/LibTorch':>13}  target (PyTorch | LibTorch)"
        else:
            head += f"{'ours/theirs':>11}  target"
        print(head)
        print("-" * len(head))
        for r in self.rows:
            if len(r) == 1:
                print(r[0])
                continue
            w, m, t, o, th, target, lt, lt_target = r
            line = f"{w:<8} {m:<26} {t:>3}  {fmt(o):>18}  {fmt(th):>18}  "
            if with_lt:
                targets = " | ".join(x for x in (target, lt_target) if x)
                line += f"{ratio(o, th):>12}  {fmt(lt):>18}  {ratio(o, lt) if lt else '':>13}  {targets}"
            else:
                line += f"{ratio(o, th):>11}  {target}"
            print(line.rstrip())


def w4(build, table, thread_counts, reps):
    exe = os.path.join(build, "bench", "bench_gemm")
    if not os.path.exists(exe):
        table.note("W4: not yet available (bench_gemm was not built)")
        return
    ours, _, _ = run([exe, "--reps", str(reps)], 1)
    for t in thread_counts:
        peak = ours.get(("W4", "fma_peak", t))
        theirs, _, _ = run([PY, os.path.join(HERE, "torch_gemm.py"), "--threads", str(t), "--reps", str(reps)], t)
        if peak:
            table.add("W4", "FMA peak (probe)", t, (peak[0], "GFLOP/s", 0), None)
        for n in (256, 1024, 2048):
            o = ours.get(("W4", f"sgemm_n{n}", t))
            th = theirs.get(("W4", f"sgemm_n{n}", t))
            frac = f"{100 * o[0] / peak[0]:.0f}% of peak" if o and peak else ""
            target = (">= 85%" if t == 1 else ">= 80%") if n >= 1024 else ">= 70%"
            table.add("W4", f"sgemm n={n} GFLOP/s", t, (o[0], "GF/s", 0) if o else None,
                      (th[0], "GF/s", 0) if th else None, f"{frac} (target {target} of peak)")


def w1(build, table, thread_counts, reps, quick, w1_full_only):
    exe = os.path.join(build, "bench", "bench_w1")
    if not os.path.exists(exe):
        table.note("W1: not yet available (bench_w1 was not built)")
        return
    libtorch = os.path.join(build, "bench", "bench_w1_libtorch")
    have_lt = os.path.exists(libtorch)
    configs = [(1000, 1000, "full batch"), (32, 10 if quick else 100, "batch 32"), (1, 10 if quick else 100, "batch 1")]
    if w1_full_only:
        configs = configs[:1]
    for t in thread_counts:
        for batch, epochs, label in configs:
            args = ["--batch", str(batch), "--epochs", str(epochs)]
            o, o_wall, o_mem = median_runs([exe] + args, t, reps)
            th, th_wall, th_mem = median_runs([PY, os.path.join(HERE, "torch_w1.py"), "--threads", str(t)] + args, t, reps)
            # The LibTorch peer gets the same environment (run() sets OMP/OPENBLAS) and --threads.
            lt, lt_wall, lt_mem = median_runs([libtorch, "--threads", str(t)] + args, t, reps) if have_lt else ({}, None, None)
            key = ("W1", f"batch{batch}_step", t)
            target = "<= 0.05 (20x)" if batch == 1000 else ("<= 0.033 (30x)" if batch == 1 else "")
            lt_target = "<= 0.1 (10x)" if batch == 1000 else ("<= 0.0667 (15x)" if batch == 1 else "")
            table.add("W1", f"{label}: per step", t, o.get(key), th.get(key), target, lt.get(key), lt_target)
            if batch == 1000:
                table.add("W1", "full batch: process wall", t, o_wall, th_wall, "ours < 50 ms", lt_wall)
                table.add("W1", "full batch: peak memory", t, o_mem, th_mem, "ours < 20 MiB", lt_mem)
                acc = ("W1", "batch1000_accuracy", t)
                table.add("W1", "full batch: accuracy", t, o.get(acc), th.get(acc), ">= 0.97 each", lt.get(acc))
        if not have_lt:
            table.note(f"W1 LibTorch peer ({t} thr): not yet available (bench_w1_libtorch not built)")


def w23(build, table, thread_counts, reps, limit_train):
    """W2 (fmnist-mlp) and W3 (fmnist-cnn): seconds per training epoch, peak memory and the test
    accuracy after that epoch, each side running its own loop (bench_fmnist, torch_fmnist.py)."""
    exe = os.path.join(build, "bench", "bench_fmnist")
    if not os.path.exists(exe):
        table.note("W2/W3: not yet available (bench_fmnist was not built)")
        return
    limit = ["--limit-train", str(limit_train)] if limit_train else []
    if limit_train:
        table.note(f"W2/W3: epochs of the first {limit_train} training images only (--limit-train)")
    for w, model in (("W2", "mlp"), ("W3", "cnn")):
        if w not in table.only:
            continue
        for t in thread_counts:
            args = ["--model", model] + limit
            o, _, o_mem = median_runs([exe] + args, t, reps)
            th, _, th_mem = median_runs([PY, os.path.join(HERE, "torch_fmnist.py"), "--threads", str(t)] + args, t, reps)
            table.add(w, "seconds per epoch", t, o.get((w, "epoch_s", t)), th.get((w, "epoch_s", t)), "<= 0.5")
            table.add(w, "peak memory", t, o_mem, th_mem, "<= 0.5")
            acc = (w, "test_accuracy", t)
            table.add(w, "test accuracy, 1 epoch", t, o.get(acc), th.get(acc), "about 1")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--only", default="W1,W2,W3,W4")
    ap.add_argument("--quick", action="store_true", help="fewer epochs for the per-step W1 runs")
    ap.add_argument("--w1-full-only", action="store_true", help="W1: only the full-batch run")
    ap.add_argument("--threads", default="", help="comma-separated thread counts (default: 1 and all cores)")
    ap.add_argument("--limit-train", type=int, default=0, help="W2/W3: train on the first N images only")
    a = ap.parse_args()
    reps = max(5, a.reps)
    threads = [int(t) for t in a.threads.split(",")] if a.threads else sorted({1, os.cpu_count() or 1})
    only = set(a.only.split(","))
    table = Table()
    table.only = only
    if "W1" in only:
        w1(a.build, table, threads, reps, a.quick, a.w1_full_only)
    if "W2" in only or "W3" in only:
        w23(a.build, table, threads, reps, a.limit_train)
    if "W4" in only:
        w4(a.build, table, threads, reps)
    print()
    table.show()


if __name__ == "__main__":
    sys.exit(main())
