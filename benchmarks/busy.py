"""The MLP rows on an idle and on a busy machine, lamina beside its peers (issue 15, section 1).

    LAMINA_DATASETS=../shared/datasets python benchmarks/busy.py [--hogs N] [--rounds R] [ROW ...]

Each round runs every framework on the rows twice: once as the machine is, once with N
background processes (default: one per core) spinning in a busy loop. The hogs are started
and stopped here, and each also stops itself after `--hog-seconds` (a bound, should this
script die). Peers (Keras 3 with JAX, PyTorch) run as subprocesses in the interpreter of
`LAMINA_PEERS_PYTHON` or `../peers-venv/bin/python` (a venv beside the checkout), when it
exists; lamina never imports them. The table shows medians over rounds and each row's slowdown (busy / idle).
"""
import argparse
import json
import multiprocessing
import os
import pathlib
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))

from mlp_workloads import ROWS  # noqa: E402
import machine  # noqa: E402

PEERS = (("keras", "Keras-JAX"), ("torch", "PyTorch"))


def peers_python():
    beside = pathlib.Path(__file__).resolve().parents[2] / "peers-venv" / "bin" / "python"
    path = os.environ.get("LAMINA_PEERS_PYTHON") or str(beside)
    return path if os.path.exists(path) else None


def write_arrays(path):
    import lamina as keras  # noqa: PLC0415

    (bx, by), (bxt, byt) = keras.datasets.boston_housing.load_data()
    m, s = bx.mean(0), bx.std(0)
    (mx, my), _ = keras.datasets.mnist.load_data()
    (ix, iy), _ = keras.datasets.imdb.load_data(num_words=10000)
    np.savez(path, boston_x=((bx - m) / s).astype("float32"), boston_y=by.astype("float32"),
             boston_xt=((bxt - m) / s).astype("float32"), boston_yt=byt.astype("float32"),
             mnist_x=mx.reshape(-1, 784).astype("float32") / 255, mnist_y=my,
             imdb_y=iy.astype("float32"), **_csr("imdb_x", keras.utils.multi_hot(ix, 10000, sparse=True)))


def _csr(name, m):
    """A multi-hot matrix as its CSR rows (the workers make it dense: 1 GB as float32)."""
    return {name + "_indptr": m.indptr, name + "_indices": m.indices, name + "_shape": np.array(m.shape)}


def _spin(deadline):
    x = 0
    while time.time() < deadline:
        x += 1


class Hogs:
    """`with Hogs(n, seconds):` n processes busy-looping, stopped on exit (or after `seconds`)."""

    def __init__(self, n, seconds):
        self.n, self.seconds, self.procs = n, seconds, []

    def __enter__(self):
        deadline = time.time() + self.seconds
        ctx = multiprocessing.get_context("spawn")
        self.procs = [ctx.Process(target=_spin, args=(deadline,), daemon=True) for _ in range(self.n)]
        for p in self.procs:
            p.start()
        time.sleep(0.5)  # let them reach the loop
        return self

    def __exit__(self, *exc):
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            p.join(5)
        return False


def run_framework(python, framework, arrays, rows, timeout, lamina_dir=None):
    lamina_dir = lamina_dir or os.path.join(HERE, "..")
    env = dict(os.environ, PYTHONPATH=lamina_dir + os.pathsep + os.environ.get("PYTHONPATH", ""))
    if framework != "lamina":
        env.pop("PYTHONPATH")  # the peers' interpreter must not see lamina's path
    cmd = [python, os.path.join(HERE, "mlp_workloads.py"), framework, arrays, *rows]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
        stdout = done.stdout
        if done.returncode != 0:
            print(f"{framework} failed: {done.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
    except subprocess.TimeoutExpired as e:  # keep the rows finished in time
        print(f"{framework}: stopped after {timeout:.0f} s", file=sys.stderr)
        stdout = e.stdout.decode() if isinstance(e.stdout, bytes) else e.stdout or ""
    out = {}
    for line in stdout.splitlines():
        if line.startswith("{"):
            out.update(json.loads(line))
    return out


def fmt(t):
    if t is None:
        return "-"
    return f"{t * 1e3:.3f} ms" if t < 0.01 else f"{t:.2f} s"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", nargs="*", metavar="ROW", help=f"some of {', '.join(ROWS)} (default: all)")
    parser.add_argument("--hogs", type=int, default=os.cpu_count() or 1, help="busy processes (default: one per core)")
    parser.add_argument("--rounds", type=int, default=1, help="idle/busy rounds (medians over rounds)")
    parser.add_argument("--hog-seconds", type=float, default=900, help="each hog stops itself after this")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per framework and phase")
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument("--baseline", metavar="DIR", help="also time the lamina checkout in DIR (before/after)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the hogs are stopped on a kill
    rows = args.rows or list(ROWS)
    unknown = sorted(set(rows) - set(ROWS))
    if unknown:
        parser.error(f"unknown rows {unknown}: choose among {', '.join(ROWS)}")
    peers = None if args.no_peers else peers_python()
    frameworks = [("lamina", "lamina", sys.executable)] + [(f, label, peers) for f, label in PEERS if peers]
    if args.baseline:
        frameworks.insert(0, ("lamina", "before", sys.executable))
    times = {(label, phase): {} for _, label, _ in frameworks for phase in ("idle", "busy")}
    with tempfile.TemporaryDirectory() as tmp:
        arrays = os.path.join(tmp, "arrays.npz")
        write_arrays(arrays)
        for r in range(args.rounds):
            for phase in ("idle", "busy"):
                for f, label, python in frameworks:
                    where = args.baseline if label == "before" else None
                    print(f"round {r + 1}, {phase}: {label}", file=sys.stderr, flush=True)
                    if phase == "busy":
                        with Hogs(args.hogs, args.hog_seconds):
                            got = run_framework(python, f, arrays, rows, args.timeout, where)
                    else:
                        got = run_framework(python, f, arrays, rows, args.timeout, where)
                    for k, v in got.items():
                        times[(label, phase)].setdefault(k, []).append(v)
    med = {key: {k: statistics.median(v) for k, v in d.items()} for key, d in times.items()}
    head = ["row"]
    for f, label, _ in frameworks:
        head += [f"{label} idle", f"{label} busy", "slowdown"]
    table = [head]
    for row in rows:
        line = [row]
        for _, label, _ in frameworks:
            idle, busy = med[(label, "idle")].get(row), med[(label, "busy")].get(row)
            line += [fmt(idle), fmt(busy), f"{busy / idle:.2f}x" if idle and busy else "-"]
        table.append(line)
    widths = [max(len(r[i]) for r in table) for i in range(len(head))]
    print(f"\n{machine.cpu_model()}, {os.cpu_count()} CPUs; busy = {args.hogs} spinning processes; "
          f"medians of {args.rounds} round(s); load average at the end: {os.getloadavg()[0]:.1f}")
    for i, r in enumerate(table):
        print(" | ".join(c.ljust(w) for c, w in zip(r, widths)))
        if i == 0:
            print("-+-".join("-" * w for w in widths))


if __name__ == "__main__":
    main()
