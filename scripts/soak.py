#!/usr/bin/env python3
"""Soak test: 50,000 queries with random faults through the simulator; nothing lost, memory flat.

Generates a fleet of --accounts accounts x --regions regions (default 10,000 x 5 =
50,000 queries; three in four accounts reached by AssumeRole) where --fault-fraction
of the accounts answer their first 1-3 calls per (region, action) with a random
transient fault (InternalError, HTTP 502, truncated JSON or a TCP reset), starts
the simulator as a separate process and runs the real binary against it, sampling
the client's VmRSS every --interval seconds. Then checks:

- the regions CSV has exactly one row per configured (account, region): no row
  lost, no duplicate row; the accounts CSV exactly one row per account;
- every row is `ok` (every fault is transient and fewer than max_attempts) and
  the run exited 0 with a complete report;
- faults were really injected (the simulator's counters) and the attempts the
  report records add up to the DescribeImageAuthorizedInfo requests the
  simulator answered;
- memory is flat: the query phase is cut into four quarters by time; the RSS
  peak of the last quarter may exceed the first quarter's by at most
  --max-growth-mb (default 48 MB, i.e. about 1 kB per query for the 50,000
  results the report needs, which the run must keep), and the second half may
  grow at most as fast per query as the first half plus a margin (a leak per
  request would make it grow throughout).

Exits 0 when every check passes, 1 otherwise. Takes a couple of minutes on two
cores (CPU-bound: the simulator and the client share the machine).

    python3 scripts/soak.py [--accounts 10000] [--regions 5] [--latency-ms 5]
        [--fault-fraction 0.2] [--concurrency 64] [--bin target/release/tcss-report]
"""

import argparse
import csv
import glob
import json
import os
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (shared helpers: build, generate, Simulator, proc_* and wait4)

import subprocess  # noqa: E402

FAULT_CODES = ("InternalError", "Http502", "MalformedJson", "Reset")


def run_sampled(binary, config, outdir, concurrency, interval, workdir):
    """Runs the client, sampling VmRSS. Returns (exit code, rusage, samples, marks)."""
    env = dict(os.environ)
    env["RUST_LOG"] = "info"
    argv = [binary, "--log-format", "json", "run", "--config", config, "--out", outdir,
            "--concurrency", str(concurrency), "--no-progress"]
    stderr_path = os.path.join(workdir, "run.stderr")
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    samples = []
    marks = {}
    progress = []
    done = threading.Event()

    def read_logs():
        with open(stderr_path, "w") as log:
            for line in proc.stderr:
                log.write(line)
                if not line.startswith("{"):
                    continue
                try:
                    fields = json.loads(line).get("fields", {})
                except ValueError:
                    continue
                msg = fields.get("message")
                now = time.monotonic() - t0
                if msg in ("starting run", "run finished"):
                    marks[msg] = (now, fields)
                elif msg == "progress":
                    progress.append((now, fields.get("done")))

    def sample():
        while not done.is_set():
            rss = bench.proc_status_kb(proc.pid, "VmRSS")
            if rss is not None:
                samples.append((time.monotonic() - t0, rss / 1024.0))
            done.wait(interval)

    reader = threading.Thread(target=read_logs, daemon=True)
    sampler = threading.Thread(target=sample, daemon=True)
    reader.start()
    sampler.start()
    code, usage = bench.wait4(proc)
    wall = time.monotonic() - t0
    done.set()
    sampler.join(5)
    reader.join(10)
    return code, usage, wall, samples, marks, progress


def check_rows(outdir, config):
    problems = []
    want = bench.expected_rows(config)
    names = [a["name"] for a in config["accounts"]]

    def read(pattern):
        files = glob.glob(os.path.join(outdir, pattern))
        if len(files) != 1:
            problems.append(f"expected one {pattern}, found {files}")
            return []
        with open(files[0], newline="", encoding="utf-8-sig") as f:
            return list(csv.DictReader(f))

    regions = read("*.regions.csv")
    pairs = [(r["account"], r["region"]) for r in regions]
    seen = set()
    dups = set()
    for p in pairs:
        if p in seen:
            dups.add(p)
        seen.add(p)
    lost = want - seen
    extra = seen - want
    not_ok = [r for r in regions if r["status"] != "ok"]
    print(f"  regions CSV: {len(regions)} rows, {len(seen)} distinct (account, region); expected {len(want)}; "
          f"lost {len(lost)}, duplicated {len(dups)}, unexpected {len(extra)}, not ok {len(not_ok)}")
    if lost:
        problems.append(f"{len(lost)} rows lost, e.g. {sorted(lost)[:3]}")
    if dups:
        problems.append(f"{len(dups)} duplicated rows, e.g. {sorted(dups)[:3]}")
    if extra:
        problems.append(f"{len(extra)} unexpected rows, e.g. {sorted(extra)[:3]}")
    if not_ok:
        codes = {}
        for r in not_ok:
            codes[r["error_code"]] = codes.get(r["error_code"], 0) + 1
        problems.append(f"{len(not_ok)} rows not ok: {codes}")

    accounts = read("*.accounts.csv")
    got = [r["account"] for r in accounts]
    print(f"  accounts CSV: {len(got)} rows, {len(set(got))} distinct; expected {len(names)}")
    if sorted(got) != sorted(names):
        problems.append(f"accounts CSV: {len(got)} rows ({len(set(got))} distinct), expected {len(names)}")

    snapshots = glob.glob(os.path.join(outdir, "*.json"))
    if len(snapshots) == 1:
        with open(snapshots[0]) as f:
            if json.load(f).get("complete") is not True:
                problems.append("JSON report says complete: false")
    else:
        problems.append(f"expected one JSON report, found {snapshots}")
    attempts = sum(int(r["attempts"] or 0) for r in regions)
    retried = sum(1 for r in regions if int(r["attempts"] or 0) > 1)
    return problems, attempts, retried


def quarters(samples, start, end):
    """Peak RSS in each quarter of [start, end]."""
    span = (end - start) / 4.0
    peaks = []
    for i in range(4):
        lo, hi = start + i * span, start + (i + 1) * span
        inside = [rss for t, rss in samples if lo <= t <= hi]
        peaks.append(max(inside) if inside else None)
    return peaks


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--accounts", type=int, default=10000)
    ap.add_argument("--regions", type=int, default=5)
    ap.add_argument("--latency-ms", type=int, default=5)
    ap.add_argument("--fault-fraction", type=float, default=0.2)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--interval", type=float, default=0.5, help="RSS sampling interval, seconds")
    ap.add_argument("--max-growth-mb", type=float, default=48.0,
                    help="allowed RSS growth from the first to the last quarter of the query phase")
    ap.add_argument("--bin", help="tcss-report binary (default: cargo build --release)")
    args = ap.parse_args()
    if args.regions > len(bench.REGIONS):
        ap.error(f"at most {len(bench.REGIONS)} regions")

    binary = bench.build(args.bin)
    regions = bench.REGIONS[:args.regions]
    queries = args.accounts * args.regions
    load = os.getloadavg()
    print(f"soak: {args.accounts} accounts x {args.regions} regions = {queries} queries, latency "
          f"{args.latency_ms} ms, {args.fault_fraction:.0%} of accounts with faults, concurrency "
          f"{args.concurrency}; load average {load[0]:.2f}", flush=True)
    problems = []
    with tempfile.TemporaryDirectory(prefix="tcss-soak-") as workdir:
        port = bench.free_port()
        fleet, config_path = bench.generate(binary, workdir, args.accounts, regions, args.latency_ms,
                                            port, args.seed, fault_fraction=args.fault_fraction)
        config = bench.load_config(config_path)
        outdir = os.path.join(workdir, "out")
        sim = bench.start_simulator(binary, fleet, port, workdir)
        try:
            code, usage, wall, samples, marks, progress = run_sampled(
                binary, config_path, outdir, args.concurrency, args.interval, workdir)
        finally:
            snap, _ = sim.stop()
        print(f"  run: exit {code}, wall {wall:.1f} s, CPU {usage.ru_utime + usage.ru_stime:.1f} s, "
              f"peak RSS {usage.ru_maxrss / 1024.0:.1f} MB")
        if code != 0:
            problems.append(f"tcss-report exited {code} (0 expected: every fault is transient)")

        row_problems, attempts, retried = check_rows(outdir, config)
        problems += row_problems

        faults = {c: 0 for c in FAULT_CODES}
        tcss_requests = 0
        for row in snap["by_key"]:
            if row["code"] in faults:
                faults[row["code"]] += row["count"]
            if row["action"] == bench.TCSS_ACTION:
                tcss_requests += row["count"]
        print(f"  simulator: {snap['total']} requests, faults injected {faults}, throttled {snap['throttled']}, "
              f"signature failures {snap['signature_failures']}")
        print(f"  attempts in the report: {attempts} ({retried} queries retried); DescribeImageAuthorizedInfo "
              f"requests the simulator answered: {tcss_requests}")
        if sum(faults.values()) == 0 and args.fault_fraction > 0:
            problems.append("no fault was injected: the soak proved nothing")
        if attempts != tcss_requests:
            problems.append(f"attempts recorded ({attempts}) != requests served ({tcss_requests})")
        if snap["signature_failures"]:
            problems.append(f"{snap['signature_failures']} signature failures")

        # Memory: the query phase runs from "starting run" to "run finished" minus report writing.
        if "starting run" in marks and "run finished" in marks:
            start = marks["starting run"][0]
            fin_t, fin = marks["run finished"]
            end = fin_t - float(fin.get("report_ms", 0)) / 1000.0
            peaks = quarters(samples, start, end)
            shown = ", ".join("-" if p is None else f"{p:.1f}" for p in peaks)
            print(f"  RSS peak per quarter of the query phase ({end - start:.1f} s, {len(samples)} samples "
                  f"every {args.interval} s): {shown} MB; whole run peak {max(s for _, s in samples):.1f} MB")
            if None in peaks:
                problems.append("too few RSS samples to judge memory (raise --accounts or lower --interval)")
            else:
                growth = peaks[3] - peaks[0]
                first_half = peaks[1] - peaks[0]
                second_half = peaks[3] - peaks[1]
                print(f"  growth first -> last quarter {growth:+.1f} MB (allowed {args.max_growth_mb:.0f}); "
                      f"Q1->Q2 {first_half:+.1f} MB, Q2->Q4 {second_half:+.1f} MB "
                      f"({growth * 1024 / max(queries * 0.75, 1):.2f} kB per query)")
                if growth > args.max_growth_mb:
                    problems.append(f"memory grew {growth:.1f} MB during the query phase")
                # A per-request leak grows all along; retained results grow too but
                # by about the same per query in both halves.
                if second_half > 2 * max(first_half, 0) + 8:
                    problems.append(f"memory grows faster late in the run ({second_half:.1f} MB over "
                                    f"two quarters vs {first_half:.1f} MB over one)")
        else:
            problems.append("no 'starting run'/'run finished' log lines")
    if problems:
        print("SOAK FAILED:")
        for p in problems:
            print(f"  - {p}")
        sys.exit(1)
    print("soak passed: no row lost, no duplicate row, memory flat")


if __name__ == "__main__":
    try:
        main()
    except (bench.CheckFailed, subprocess.CalledProcessError) as e:
        print(f"SOAK FAILED: {e}")
        sys.exit(1)
