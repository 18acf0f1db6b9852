#!/usr/bin/env python3
"""Prints the target ratios of issues 3 and 15 (as a Markdown table) from the
JSON that osport_bench_mutex writes with --benchmark_out=FILE
--benchmark_out_format=json and --benchmark_repetitions=N: every ratio is of
medians. Several files (one invocation per group of benchmarks, as in
bench/README.md) are merged; split as there, the two sides of every ratio come
from one invocation except "procs:8 / spin procs:2", which compares two."""
import json
import sys


def medians(path):
    with open(path) as f:
        data = json.load(f)
    out = {}
    for b in data["benchmarks"]:
        if b.get("aggregate_name") != "median":
            continue
        # Contended runs carry benchmark's suffixes (/iterations:10/manual_time).
        name = b["run_name"].split("/iterations:")[0]
        out[name] = (b["real_time"], b["cpu_time"])
    return out, data.get("context", {})


def main():
    m, ctx = {}, {}
    for path in sys.argv[1:]:
        more, more_ctx = medians(path)
        m.update(more)
        ctx = ctx or more_ctx
    rows = [
        ("Spin uncontended / floor", "BM_Osport_Spin_Uncontended", "BM_Floor_AtomicXchgStore", 1.5, True),
        ("Spin uncontended / CAS+XCHG floor", "BM_Osport_Spin_Uncontended", "BM_Floor_CasXchg", 1.2, True),
        ("Spin uncontended / pthread robust", "BM_Osport_Spin_Uncontended", "BM_Pthread_Robust_Uncontended", 0.5, True),
        # Not a target: how much of the CAS+XCHG ratio the owner record's one
        # required store (the acquisition's tag) already takes.
        ("CAS+XCHG+tag floor / CAS+XCHG floor", "BM_Floor_CasXchgTag", "BM_Floor_CasXchg", "info", True),
        ("Spin uncontended / CAS+XCHG+tag floor", "BM_Osport_Spin_Uncontended", "BM_Floor_CasXchgTag", "info", True),
        ("Spin contended procs:2 / pthread pshared procs:2", "BM_Osport_Spin_Contended/procs:2",
         "BM_Pthread_Pshared_Contended/procs:2", 1.0, False),
        ("Spin contended procs:2 / pthread robust procs:2", "BM_Osport_Spin_Contended/procs:2",
         "BM_Pthread_Robust_Contended/procs:2", 1.0, False),
        ("Spin contended procs:8 / pthread robust procs:8", "BM_Osport_Spin_Contended/procs:8",
         "BM_Pthread_Robust_Contended/procs:8", 1.0, False),
        ("Spin contended procs:8 / pthread pshared procs:8", "BM_Osport_Spin_Contended/procs:8",
         "BM_Pthread_Pshared_Contended/procs:8", None, False),
        ("Spin contended procs:8 / spin procs:2", "BM_Osport_Spin_Contended/procs:8",
         "BM_Osport_Spin_Contended/procs:2", 2.0, False),
        ("Spin contended, ~55 ns section, procs:2 / pthread robust", "BM_Osport_Spin_ContendedCs/procs:2/cs_loops:100",
         "BM_Pthread_Robust_ContendedCs/procs:2/cs_loops:100", 1.0, False),
        ("Spin contended, ~55 ns section, procs:8 / pthread robust", "BM_Osport_Spin_ContendedCs/procs:8/cs_loops:100",
         "BM_Pthread_Robust_ContendedCs/procs:8/cs_loops:100", 1.0, False),
        ("Spin contended, ~55 ns section, procs:2 / pthread pshared", "BM_Osport_Spin_ContendedCs/procs:2/cs_loops:100",
         "BM_Pthread_Pshared_ContendedCs/procs:2/cs_loops:100", None, False),
        ("Spin contended, ~55 ns section, procs:8 / pthread pshared", "BM_Osport_Spin_ContendedCs/procs:8/cs_loops:100",
         "BM_Pthread_Pshared_ContendedCs/procs:8/cs_loops:100", None, False),
        ("FileLock uncontended / raw fcntl pair", "BM_Osport_FileLock_Uncontended",
         "BM_Raw_FcntlPair_Uncontended", 1.2, True),
    ]
    print("load average at start: %s" % ctx.get("load_avg"))
    print()
    print("| ratio (medians) | wall | target | met | CPU-time ratio |")
    print("|---|---|---|---|---|")
    for label, a, b, target, has_cpu in rows:
        if a not in m or b not in m:
            print("| %s | missing | | | |" % label)
            continue
        cpu = "%.2f" % (m[a][1] / m[b][1]) if has_cpu else "n/a (other processes)"
        wall = m[a][0] / m[b][0]
        if target == "info":
            goal, met = "(not a target)", "-"
        else:
            goal = "as close as possible" if target is None else "<= %.1f" % target
            met = "-" if target is None else ("yes" if wall <= target else "**no**")
        print("| %s | %.2f (%.3g / %.3g ns) | %s | %s | %s |" % (label, wall, m[a][0], m[b][0], goal, met, cpu))
    print()
    print("| benchmark (median) | wall ns | CPU ns |")
    print("|---|---|---|")
    for name, (wall, cpu) in m.items():
        print("| %s | %.3g | %s |" % (name, wall, "%.3g" % cpu if "Contended" not in name else "-"))


if __name__ == "__main__":
    main()
