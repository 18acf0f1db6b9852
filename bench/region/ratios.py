#!/usr/bin/env python3
"""Target ratios of issue 4 from an osport_bench_region JSON file.

Usage: ratios.py out.json   (written with --benchmark_out=out.json
--benchmark_repetitions=5 --benchmark_report_aggregates_only=true)
Prints a Markdown table: each target's ratio of medians, wall clock and CPU.
"""
import json
import sys


def medians(path):
    """{family name ("BM_Osport_Grow", "BM_Raw_MapPopulate/256"): (real, cpu)} in ns."""
    with open(path) as f:
        data = json.load(f)
    scale = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}
    out = {}
    for b in data["benchmarks"]:
        if b.get("aggregate_name") != "median" or b.get("error_occurred"):
            continue
        # "BM_X/256/real_time" -> "BM_X/256"
        name = "/".join(p for p in b["run_name"].split("/") if p != "real_time"
                        and not p.startswith(("iterations:", "min_time:")))
        k = scale[b.get("time_unit", "ns")]
        out[name] = (b["real_time"] * k, b["cpu_time"] * k)
    return out, data.get("context", {})


def main():
    m, ctx = medians(sys.argv[1])

    def get(name):
        if name not in m:
            sys.exit(f"{name}: no median in {sys.argv[1]}")
        return m[name]

    def better(a, b):  # the faster raw method, by wall clock
        return a if get(a)[0] <= get(b)[0] else b

    raw_pf = better("BM_Raw_FallocateTouch/256", "BM_Raw_MapPopulate/256")
    rows = [
        # (what, numerator, denominator, target text, ok(ratio))
        ("attach+detach / raw open+map", "BM_Osport_AttachDetach", "BM_Raw_OpenMapUnmapClose",
         "<= 1.5", lambda r: r <= 1.5),
        ("attach+detach / Boost open_only", "BM_Osport_AttachDetach", "BM_Boost_ManagedShm_OpenOnly",
         "< 1", lambda r: r < 1.0),
        (f"create+prefault / {raw_pf.split('/')[0][3:]}", "BM_Osport_CreatePrefault/256", raw_pf,
         "<= 1.25", lambda r: r <= 1.25),
        ("4 KiB writes / osport mapinit", "BM_Seed_Write4KiB/256", "BM_Osport_CreateMapinit/256",
         ">= 3", lambda r: r >= 3.0),
        ("grow / raw grow", "BM_Osport_Grow", "BM_Raw_GrowRemap", "<= 2", lambda r: r <= 2.0),
    ]
    if "BM_Raw_OpenMapTouchUnmapClose" in m:
        rows.insert(1, ("attach+detach / raw open+map+touch", "BM_Osport_AttachDetach",
                        "BM_Raw_OpenMapTouchUnmapClose", "(floor)", lambda r: True))

    def fmt(ns):
        return f"{ns / 1e6:.1f} ms" if ns >= 1e6 else f"{ns / 1e3:.2f} us"

    print(f"scratch: {ctx.get('scratch_dir', '?')} ({ctx.get('scratch_fs', '?')}), "
          f"mapinit build: {ctx.get('osport_mapinit', '?')}, load {ctx.get('load_avg', '?')}\n")
    print("| ratio | numerator | denominator | wall ratio | CPU ratio | target | met (wall/CPU) |")
    print("|---|---|---|---|---|---|---|")
    for what, num, den, target, ok in rows:
        (nr, nc), (dr, dc) = get(num), get(den)
        rw, rc = nr / dr, nc / dc
        mark = lambda r: "yes" if ok(r) else "NO"
        print(f"| {what} | {num} {fmt(nr)} | {den} {fmt(dr)} | {rw:.2f} | {rc:.2f} | {target} "
              f"| {mark(rw)}/{mark(rc)} |")


if __name__ == "__main__":
    main()
