#!/usr/bin/env python3
"""Benchmark tcss-report against the simulator and the latency/concurrency/rate-limit bound.

For every (accounts, regions, organization) case this script:

1. generates a fleet and a matching accounts config with `tcss-report sim --generate`
   (three in four accounts are members reached by STS AssumeRole; every account
   answers after --latency-ms). Organization `one`: one management account assumes
   the role in every member, and the accounts with keys have no `uin` in the config
   (so a run calls GetCallerIdentity for each), the usual real setup. Organization
   `several`: the members are spread over every account with keys, UINs given.
   Organization `discovered` (--discovery-members, run once with one region): the
   config lists only the management account and an `[[organizations]]` table, and the
   run discovers every member (DescribeOrganizationMembers, 50 a page at 20 pages per
   second) while it queries them;
2. starts the simulator as a separate process (`tcss-report sim --fleet ... --listen ...`);
3. runs the real binary (`tcss-report run --concurrency C`) against it, measuring the
   client alone with os.wait4 (wall, user+sys CPU, peak RSS) and reading `report_ms`
   from its final "run finished" log line; --repeat times (default 3), each against a
   fresh simulator: the run with the median CPU stands for the case, and the spread of
   all runs is printed with it (steps 4 and 5 apply to every run);
4. stops the simulator with SIGTERM and reads its counters snapshot (calls by action,
   throttled answers, per-account calls);
5. checks the run: exit code 0, the JSON report lists every account, every
   (account, region) and every (account, account-wide action) exactly once, all
   `ok`, `complete: true`;
6. optionally (--peer, default for 2,000-account cases) runs scripts/peer_sdk.py, the
   image-license part of the job (DescribeImageAuthorizedInfo per region) written
   with the official Tencent Cloud Python SDK and a thread pool of the same size,
   against a fresh simulator on the same fleet.

The bound is the least wall time any client can achieve under the documented limits:

    bound = max((TCSS + STS + organization calls) * latency / concurrency,
                most STS calls of one calling account / sts_rate_limit,
                most TCSS calls of one (account, action) / rate_limit,
                most member-list pages of one caller / org_rate_limit)

(every call the simulator served is counted: the three TCSS actions,
DescribeImageAuthorizedInfo per region and DescribePurchaseStateInfo and
DescribeImageAutoAuthorizedRule once per account, each action paced on its own
limiter per account); for the `discovered` case plus one round trip (the first
page must arrive before any member can be queried). A query is one TCSS call:
an account of R regions is R + 2 queries.

Usage:
    python3 scripts/bench.py [--accounts 2000,10000] [--regions 1,3] [--orgs one,several]
        [--discovery-members 10000] [--latency-ms 50]
        [--concurrency 64] [--peer | --no-peer] [--peer-accounts 2000]
        [--bin target/release/tcss-report] [--json results.json] [--keep] [--repeat 3]

Exit code: 0 every target met, 1 a target missed, 2 a run failed its checks (or
could not run). See docs/benchmarks.md.
"""

import argparse
import csv
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

try:
    import tomllib
except ImportError:  # Python < 3.11
    tomllib = None

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REGIONS = ["ap-guangzhou", "ap-shanghai", "ap-beijing", "ap-chengdu", "ap-nanjing",
           "ap-hongkong", "ap-singapore", "ap-seoul", "ap-tokyo", "eu-frankfurt"]
TCSS_ACTION = "DescribeImageAuthorizedInfo"
# The account-wide actions every run asks once per account (issue 21), each
# paced on its own 20/s limiter per account.
ACCOUNT_WIDE_ACTIONS = ("DescribePurchaseStateInfo", "DescribeImageAutoAuthorizedRule")
TCSS_ACTIONS = (TCSS_ACTION,) + ACCOUNT_WIDE_ACTIONS
STS_ACTIONS = ("AssumeRole", "GetCallerIdentity")
ORG_ACTION = "DescribeOrganizationMembers"
ORG_RATE_LIMIT = 20

# The documented limits (CONTRACT.md) that the generated configs use.
RATE_LIMIT = 20
STS_RATE_LIMIT = 600

# Targets (issue 10), in every case.
WALL_RATIO_TARGET = 1.10
CPU_PER_1000_TARGET = 0.30    # client CPU seconds per 1,000 queries
RSS_TARGET_MB = 100.0         # at 10,000 accounts x 3 regions
REPORT_MS_TARGET = 2000.0     # writing all formats for 10,000 accounts
CLK_TCK = os.sysconf("SC_CLK_TCK")


class CheckFailed(Exception):
    """A run did not do its job (lost rows, errors, bad exit code)."""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_cpu(pid):
    """user+sys CPU seconds of a live process (None once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        # fields[0] is field 3 (state): utime is field 14, stime field 15.
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except (OSError, IndexError, ValueError):
        return None


def proc_status_kb(pid, key):
    """A kB field of /proc/<pid>/status (VmRSS, VmHWM), or None."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def wait4(popen):
    """Waits for a Popen child with os.wait4: (exit code, rusage)."""
    _, status, usage = os.wait4(popen.pid, 0)
    popen.returncode = os.waitstatus_to_exitcode(status)
    return popen.returncode, usage


def build(binary):
    if binary:
        return os.path.abspath(binary)
    print("== cargo build --release", flush=True)
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    return os.path.join(ROOT, "target", "release", "tcss-report")


def generate(binary, workdir, accounts, regions, latency_ms, port, seed, fault_fraction=None,
             org="several"):
    fleet = os.path.join(workdir, "fleet.toml")
    config = os.path.join(workdir, "accounts.toml")
    argv = [binary, "sim", "--generate", str(accounts), "--seed", str(seed),
            "--regions", ",".join(regions), "--latency-ms", str(latency_ms),
            "--write-fleet", fleet, "--write-config", config,
            "--endpoint", f"http://127.0.0.1:{port}"]
    if fault_fraction is not None:
        argv += ["--fault-fraction", str(fault_fraction)]
    if org == "one":
        argv += ["--management-accounts", "1", "--omit-key-uins"]
    elif org == "discovered":
        argv += ["--organization", "corp", "--omit-key-uins"]
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    return fleet, config


class Simulator:
    """`tcss-report sim` as a separate process."""

    def __init__(self, binary, fleet, port, workdir):
        self.stderr = open(os.path.join(workdir, f"sim-{port}.stderr"), "w")
        self.proc = subprocess.Popen(
            [binary, "sim", "--fleet", fleet, "--listen", f"127.0.0.1:{port}"],
            stdout=subprocess.PIPE, stderr=self.stderr, text=True)
        first = []
        reader = threading.Thread(target=lambda: first.append(self.proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(120)
        if not first or "listening on" not in first[0]:
            self.proc.kill()
            self.proc.wait()
            raise CheckFailed(f"simulator did not start on port {port}: {first!r} "
                              f"(see {self.stderr.name})")
        # Let the server install its signal handler before anyone may stop it.
        time.sleep(0.2)
        self.pid = self.proc.pid

    def cpu(self):
        return proc_cpu(self.pid)

    def stop(self):
        """SIGTERM, then the counters snapshot and the process's own rusage."""
        self.proc.send_signal(signal.SIGTERM)
        out = self.proc.stdout.read()
        code, usage = wait4(self.proc)
        self.stderr.close()
        snapshot = None
        for line in reversed(out.splitlines()):
            line = line.strip()
            if line.startswith("{"):
                snapshot = json.loads(line)
                break
        if snapshot is None:
            raise CheckFailed(f"simulator printed no counters snapshot (exit {code})")
        return snapshot, usage


def start_simulator(binary, fleet, port, workdir):
    for attempt in range(3):
        try:
            return Simulator(binary, fleet, port, workdir)
        except CheckFailed:
            if attempt == 2:
                raise
            time.sleep(1)
    raise AssertionError("unreachable")


def summarize_counters(snap):
    tcss = 0
    sts = 0
    per_account_action = {}
    sts_per_caller = {}
    org_per_caller = {}
    for row in snap["by_key"]:
        if row["action"] == ORG_ACTION:
            org_per_caller[row["uin"]] = org_per_caller.get(row["uin"], 0) + row["count"]
        elif row["action"] in TCSS_ACTIONS:
            tcss += row["count"]
            # Each action has its own limiter per account.
            key = (row["uin"], row["action"])
            per_account_action[key] = per_account_action.get(key, 0) + row["count"]
        elif row["action"] in STS_ACTIONS:
            sts += row["count"]
            # STS calls are counted under the account that signed them: the caller.
            sts_per_caller[row["uin"]] = sts_per_caller.get(row["uin"], 0) + row["count"]
    max_tcss_rate = max((r["max_per_second"] for r in snap["max_rate"] if r["action"] in TCSS_ACTIONS),
                        default=0)
    max_sts_rate = max((r["max_per_second"] for r in snap["max_rate"] if r["action"] in STS_ACTIONS),
                       default=0)
    return {
        "tcss_calls": tcss,
        "sts_calls": sts,
        "org_calls": sum(org_per_caller.values()),
        "max_org_one_caller": max(org_per_caller.values(), default=0),
        # The most calls of one (account, action): what its limiter paces.
        "max_tcss_one_account": max(per_account_action.values(), default=0),
        "max_sts_one_caller": max(sts_per_caller.values(), default=0),
        "throttled": snap["throttled"],
        "signature_failures": snap["signature_failures"],
        "max_in_flight": snap["max_in_flight"],
        # Every request's time from arrival to answer, over the server's
        # span (first arrival to last answer): the mean number in flight.
        "mean_answer_ms": snap.get("busy_micros", 0) / 1000.0 / max(snap["total"], 1),
        "mean_in_flight": snap.get("busy_micros", 0) / max(snap.get("span_micros", 0), 1),
        "server_span_s": snap.get("span_micros", 0) / 1e6,
        "max_tcss_per_second_one_account": max_tcss_rate,
        "max_sts_per_second_one_account": max_sts_rate,
    }


def bound_seconds(calls, latency_ms, concurrency, discovered=False):
    lat = latency_ms / 1000.0
    parts = {
        "latency": (calls["tcss_calls"] + calls["sts_calls"] + calls.get("org_calls", 0))
        * lat / concurrency,
        "sts_rate": calls["max_sts_one_caller"] / STS_RATE_LIMIT,
        "tcss_rate": calls["max_tcss_one_account"] / RATE_LIMIT,
        "org_rate": calls.get("max_org_one_caller", 0) / ORG_RATE_LIMIT,
    }
    # Discovery: nothing can start before the first page has arrived.
    return max(parts.values()) + (lat if discovered else 0.0), parts


def load_config(path):
    if tomllib is None:
        raise CheckFailed("Python 3.11+ (tomllib) is needed to check the report against the config")
    with open(path, "rb") as f:
        return tomllib.load(f)


def expected_rows(config):
    default_regions = config.get("defaults", {}).get("regions", ["ap-guangzhou"])
    rows = set()
    for a in config["accounts"]:
        for r in a.get("regions", default_regions):
            rows.add((a["name"], r))
    return rows


def verify_discovered(outdir, fleet_members, nregions, exit_code):
    """Every member of the organization once (by UIN), every query once, all ok,
    the organization listed completely."""
    if exit_code != 0:
        raise CheckFailed(f"tcss-report exited {exit_code} (0 expected: every query should succeed)")
    snapshots = glob.glob(os.path.join(outdir, "*.json"))
    if len(snapshots) != 1:
        raise CheckFailed(f"expected one JSON report in {outdir}, found {snapshots}")
    with open(snapshots[0]) as f:
        report = json.load(f)
    if report.get("complete") is not True:
        raise CheckFailed("report says complete: false")
    orgs = report["run"].get("organizations", [])
    if len(orgs) != 1 or orgs[0].get("status") != "ok" or orgs[0].get("members_listed") != fleet_members:
        raise CheckFailed(f"organization not listed completely: {orgs}")
    uins = [a["uin"] for a in report["accounts"]]
    if len(uins) != fleet_members or len(set(uins)) != fleet_members:
        raise CheckFailed(f"accounts in report: {len(uins)} ({len(set(uins))} UINs), members: {fleet_members}")
    bad = [a["account"] for a in report["accounts"] if a["status"] != "ok"]
    if bad:
        raise CheckFailed(f"{len(bad)} accounts not ok, e.g. {bad[:3]}")
    pairs = [(r["uin"], r["region"]) for r in report["regions"]]
    if len(pairs) != len(set(pairs)) or len(pairs) != fleet_members * nregions:
        raise CheckFailed(f"regions rows: {len(pairs)}, expected {fleet_members * nregions}")
    if any(r["status"] != "ok" for r in report["regions"]):
        raise CheckFailed("region rows not ok")
    return len(pairs) + verify_account_queries(report, fleet_members)


def verify_report(outdir, config, exit_code):
    """Every account and (account, region) exactly once, all ok, complete."""
    if exit_code != 0:
        raise CheckFailed(f"tcss-report exited {exit_code} (0 expected: every query should succeed)")
    snapshots = glob.glob(os.path.join(outdir, "*.json"))
    if len(snapshots) != 1:
        raise CheckFailed(f"expected one JSON report in {outdir}, found {snapshots}")
    for ext in (".accounts.csv", ".regions.csv", ".xlsx", ".md"):
        if not glob.glob(os.path.join(outdir, "*" + ext)):
            raise CheckFailed(f"no *{ext} report written")
    with open(snapshots[0]) as f:
        report = json.load(f)
    if report.get("complete") is not True:
        raise CheckFailed("report says complete: false")
    names = [a["name"] for a in config["accounts"]]
    got = [a["account"] for a in report["accounts"]]
    if sorted(got) != sorted(names):
        raise CheckFailed(f"accounts in report: {len(got)} (distinct {len(set(got))}), config: {len(names)}")
    bad = [a["account"] for a in report["accounts"] if a["status"] != "ok"]
    if bad:
        raise CheckFailed(f"{len(bad)} accounts not ok, e.g. {bad[:3]}")
    want = expected_rows(config)
    pairs = [(r["account"], r["region"]) for r in report["regions"]]
    if len(pairs) != len(set(pairs)) or set(pairs) != want:
        raise CheckFailed(f"regions rows: {len(pairs)} ({len(set(pairs))} distinct), expected {len(want)}")
    bad = [p for p, r in zip(pairs, report["regions"]) if r["status"] != "ok"]
    if bad:
        raise CheckFailed(f"{len(bad)} region rows not ok, e.g. {bad[:3]}")
    return len(pairs) + verify_account_queries(report, len(names))


def verify_account_queries(report, accounts):
    """Each account-wide action once per account (by name), all ok."""
    wide = report.get("account_queries", [])
    keys = [(q["account"], q["action"]) for q in wide]
    if len(keys) != len(set(keys)) or len(keys) != accounts * len(ACCOUNT_WIDE_ACTIONS):
        raise CheckFailed(f"account_queries: {len(keys)} ({len(set(keys))} distinct), "
                          f"expected {accounts * len(ACCOUNT_WIDE_ACTIONS)}")
    bad = [k for k, q in zip(keys, wide) if q["status"] != "ok"]
    if bad:
        raise CheckFailed(f"{len(bad)} account-wide queries not ok, e.g. {bad[:3]}")
    return len(keys)


def run_client(binary, config, outdir, concurrency, workdir, sim):
    """Runs `tcss-report run` and measures it alone. Returns a dict of figures."""
    env = dict(os.environ)
    env["RUST_LOG"] = "info"
    stderr_path = os.path.join(workdir, "run.stderr")
    argv = [binary, "--log-format", "json", "run", "--config", config, "--out", outdir,
            "--concurrency", str(concurrency), "--no-progress"]
    sim_cpu0 = sim.cpu()
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    marks = {}

    def read_logs():
        with open(stderr_path, "w") as log:
            for line in proc.stderr:
                log.write(line)
                if '"starting run"' in line or '"run finished"' in line:
                    try:
                        fields = json.loads(line).get("fields", {})
                    except ValueError:
                        continue
                    marks[fields.get("message")] = {
                        "t": time.monotonic() - t0, "cpu": proc_cpu(proc.pid), "fields": fields}

    reader = threading.Thread(target=read_logs, daemon=True)
    reader.start()
    code, usage = wait4(proc)
    wall = time.monotonic() - t0
    sim_cpu1 = sim.cpu()
    reader.join(10)
    finished = marks.get("run finished")
    if finished is None:
        raise CheckFailed(f"no 'run finished' log line (exit {code}); see {stderr_path}")
    started = marks.get("starting run", {})
    cpu = usage.ru_utime + usage.ru_stime
    return {
        "exit_code": code,
        "wall_s": wall,
        "cpu_s": cpu,
        "user_s": usage.ru_utime,
        "sys_s": usage.ru_stime,
        # The client's own high-water mark, from its last log line: wait4's
        # ru_maxrss also counts this Python process's memory at fork time.
        "peak_rss_mb": (float(finished["fields"]["peak_rss_kib"]) / 1024.0
                        if float(finished["fields"].get("peak_rss_kib", 0)) > 0
                        else usage.ru_maxrss / 1024.0),
        "report_ms": float(finished["fields"].get("report_ms", "nan")),
        # Recording the run in <out>/history.sqlite (issue 12: at most 1 s at 10,000 x 3).
        "history_ms": float(finished["fields"].get("history_ms", "nan")),
        "startup_s": started.get("t"),
        "startup_cpu_s": started.get("cpu"),
        "queries_done_s": None if started.get("t") is None else
        finished["t"] - started["t"] - float(finished["fields"].get("report_ms", 0)) / 1000.0,
        "sim_cpu_s": (sim_cpu1 - sim_cpu0) if sim_cpu0 is not None and sim_cpu1 is not None else None,
    }


def run_peer(python, config, concurrency, workdir, sim, expected):
    out_csv = os.path.join(workdir, "peer.csv")
    argv = [python, os.path.join(ROOT, "scripts", "peer_sdk.py"), "--config", config,
            "--concurrency", str(concurrency), "--out", out_csv]
    out_path = os.path.join(workdir, "peer.stdout")
    err_path = os.path.join(workdir, "peer.stderr")
    with open(out_path, "w") as out, open(err_path, "w") as err:
        sim_cpu0 = sim.cpu()
        t0 = time.monotonic()
        proc = subprocess.Popen(argv, stdout=out, stderr=err)
        code, usage = wait4(proc)
        wall = time.monotonic() - t0
        sim_cpu1 = sim.cpu()
    with open(out_path) as f:
        stdout = f.read()
    with open(err_path) as f:
        stderr = f.read()
    if code != 0:
        raise CheckFailed(f"peer exited {code}: {stderr.strip()[-2000:]}")
    with open(out_csv, newline="") as f:
        rows = list(csv.DictReader(f))
    pairs = [(r["account"], r["region"]) for r in rows]
    ok = sum(1 for r in rows if r["status"] == "ok")
    if len(pairs) != len(set(pairs)) or set(pairs) != expected:
        raise CheckFailed(f"peer CSV rows: {len(pairs)} ({len(set(pairs))} distinct), expected {len(expected)}")
    return {
        "exit_code": code,
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_rss_mb": peer_peak_rss_mb(stdout, usage),
        "rows": len(rows),
        "ok_rows": ok,
        "summary": stdout.strip().splitlines()[-1] if stdout.strip() else "",
        "sim_cpu_s": (sim_cpu1 - sim_cpu0) if sim_cpu0 is not None and sim_cpu1 is not None else None,
    }


def peer_peak_rss_mb(stdout, usage):
    """The peer's own VmHWM from its summary line (ru_maxrss counts our memory too)."""
    try:
        kib = json.loads(stdout.strip().splitlines()[-1]).get("peak_rss_kib", 0)
    except (ValueError, IndexError):
        kib = 0
    return kib / 1024.0 if kib else usage.ru_maxrss / 1024.0


def verdict(ok):
    return "PASS" if ok else "MISS"


def bench_case(args, binary, accounts, nregions, org, python):
    regions = REGIONS[:nregions]
    # Every TCSS query: the regions' and the two account-wide ones.
    queries = accounts * (nregions + len(ACCOUNT_WIDE_ACTIONS))
    discovered = org == "discovered"
    with tempfile.TemporaryDirectory(prefix=f"tcss-bench-{accounts}x{nregions}-{org}-") as workdir:
        port = free_port()
        fleet, config_path = generate(binary, workdir, accounts, regions, args.latency_ms, port, args.seed,
                                      org=org)
        config = load_config(config_path)
        outdir = os.path.join(workdir, "out")
        runs = []
        for _ in range(max(1, args.repeat)):
            # A fresh simulator (and counters) and output folder per run.
            shutil.rmtree(outdir, ignore_errors=True)
            sim = start_simulator(binary, fleet, port, workdir)
            try:
                ours = run_client(binary, config_path, outdir, args.concurrency, workdir, sim)
            finally:
                snap, sim_usage = sim.stop()
            calls = summarize_counters(snap)
            ours.update(calls)
            bound, parts = bound_seconds(calls, args.latency_ms, args.concurrency, discovered)
            ours["bound_s"] = bound
            ours["bound_parts"] = parts
            ours["wall_ratio"] = ours["wall_s"] / bound if bound > 0 else float("inf")
            ours["cpu_per_1000"] = ours["cpu_s"] / (queries / 1000.0)
            ours["rows_checked"] = (verify_discovered(outdir, accounts, nregions, ours["exit_code"])
                                    if discovered else
                                    verify_report(outdir, config, ours["exit_code"]))
            ours["sim_total_cpu_s"] = sim_usage.ru_utime + sim_usage.ru_stime
            ours["sim_peak_rss_mb"] = sim_usage.ru_maxrss / 1024.0
            runs.append(ours)
        # The run with the median CPU stands for the case; the spread of
        # every run is printed next to it (this machine varies by +-15%).
        runs.sort(key=lambda o: o["cpu_per_1000"])
        ours = dict(runs[len(runs) // 2])
        ours["runs"] = len(runs)
        for key in ("cpu_per_1000", "wall_ratio", "peak_rss_mb", "report_ms"):
            values = [o[key] for o in runs]
            ours[key + "_range"] = (min(values), max(values))

        peer = None
        if args.peer and accounts in args.peer_accounts and not discovered:
            if python is None:
                raise CheckFailed("--peer needs the official SDK: python3 -m venv .venv && .venv/bin/pip "
                                  "install tencentcloud-sdk-python-common tencentcloud-sdk-python-tcss "
                                  "tencentcloud-sdk-python-sts (or pass --python)")
            sim = start_simulator(binary, fleet, port, workdir)
            try:
                peer = run_peer(python, config_path, args.concurrency, workdir, sim, expected_rows(config))
            finally:
                psnap, _ = sim.stop()
            peer.update(summarize_counters(psnap))
            # The peer asks DescribeImageAuthorizedInfo only: its own queries.
            peer["cpu_per_1000"] = peer["cpu_s"] / (accounts * nregions / 1000.0)
            pbound, _ = bound_seconds(peer, args.latency_ms, args.concurrency)
            peer["bound_s"] = pbound
            peer["wall_ratio"] = peer["wall_s"] / pbound if pbound > 0 else float("inf")
        if args.keep:
            keep = os.path.join(ROOT, "target", "bench", f"{accounts}x{nregions}-{org}")
            os.makedirs(keep, exist_ok=True)
            for name in ("run.stderr", "peer.csv"):
                src = os.path.join(workdir, name)
                if os.path.exists(src):
                    os.replace(src, os.path.join(keep, name))
    return {"accounts": accounts, "regions": nregions, "org": org, "queries": queries,
            "load_after": os.getloadavg()[0],
            "latency_ms": args.latency_ms, "concurrency": args.concurrency,
            "ours": ours, "peer": peer}


def fmt(v, spec=".2f"):
    if v is None:
        return "-"
    return format(v, spec)


def print_case(r):
    o = r["ours"]
    a, n, q = r["accounts"], r["regions"], r["queries"]
    checks = []
    org = {"one": "one management account, key accounts without uin",
           "several": "several management accounts",
           "discovered": "one organization discovered: config lists only its management account"}[r["org"]]
    print(f"\n=== {a} accounts x {n} region(s) = {q} queries, {org}; latency {r['latency_ms']} ms, "
          f"concurrency {r['concurrency']}; load average {r['load_after']:.2f} when it ended")
    p = o["bound_parts"]
    print(f"  calls: TCSS {o['tcss_calls']}, STS {o['sts_calls']} (AssumeRole + GetCallerIdentity), "
          f"most TCSS calls of one (account, action) {o['max_tcss_one_account']}, most STS calls of one caller "
          f"{o['max_sts_one_caller']}, member-list pages {o['org_calls']}; sim max in flight {o['max_in_flight']}")
    print(f"  at the simulator: mean answer {o['mean_answer_ms']:.2f} ms (latency {r['latency_ms']} ms), "
          f"mean in flight {o['mean_in_flight']:.1f} of {r['concurrency']} over {o['server_span_s']:.3f} s "
          f"from the first arrival to the last answer")
    rtt = f" + {r['latency_ms'] / 1000:.3f} s one round trip" if r["org"] == "discovered" else ""
    print(f"  bound = max({p['latency']:.3f} s latency x calls / concurrency, {p['sts_rate']:.3f} s STS calls of one caller / "
          f"{STS_RATE_LIMIT}/s, {p['tcss_rate']:.3f} s TCSS calls of one (account, action) / {RATE_LIMIT}/s, "
          f"{p['org_rate']:.3f} s member-list pages / {ORG_RATE_LIMIT}/s){rtt} = {o['bound_s']:.3f} s")
    rows = []

    def row(name, value, target, ratio, ok):
        rows.append((name, value, target, ratio, "" if ok is None else verdict(ok)))
        if ok is not None:
            checks.append(ok)

    row("wall time", f"{o['wall_s']:.3f} s", f"<= {WALL_RATIO_TARGET} x bound",
        f"{o['wall_ratio']:.3f} x bound", o["wall_ratio"] <= WALL_RATIO_TARGET)
    row("  of which before the first query", f"{fmt(o['startup_s'], '.3f')} s", "", "", None)
    row("  of which querying", f"{fmt(o['queries_done_s'], '.3f')} s", "",
        f"{o['queries_done_s'] / o['bound_s']:.3f} x bound" if o["queries_done_s"] else "", None)
    row("client CPU", f"{o['cpu_s']:.2f} s (user {o['user_s']:.2f}, sys {o['sys_s']:.2f}; "
        f"{fmt(o['startup_cpu_s'])} s before the first query)", "", "", None)
    row("client CPU per 1,000 queries", f"{o['cpu_per_1000']:.3f} s", f"<= {CPU_PER_1000_TARGET} s",
        f"{o['cpu_per_1000'] / CPU_PER_1000_TARGET:.2f} x target", o["cpu_per_1000"] <= CPU_PER_1000_TARGET)
    if o["runs"] > 1:
        lo, hi = o["cpu_per_1000_range"]
        wlo, whi = o["wall_ratio_range"]
        rlo, rhi = o["peak_rss_mb_range"]
        row(f"  over {o['runs']} runs (median shown)", f"CPU {lo:.3f}-{hi:.3f} s; wall {wlo:.3f}-{whi:.3f} x bound; "
            f"RSS {rlo:.1f}-{rhi:.1f} MB", "", f"{lo / CPU_PER_1000_TARGET:.2f}-{hi / CPU_PER_1000_TARGET:.2f} x target", None)
    rss_applies = a >= 10000 and n >= 3
    row("client peak RSS", f"{o['peak_rss_mb']:.1f} MB", f"<= {RSS_TARGET_MB:.0f} MB" + ("" if rss_applies else " (target at 10,000 x 3)"),
        f"{o['peak_rss_mb'] / RSS_TARGET_MB:.2f} x target", o["peak_rss_mb"] <= RSS_TARGET_MB if rss_applies else None)
    report_applies = a >= 10000
    row("report writing (all formats)", f"{o['report_ms']:.0f} ms", f"< {REPORT_MS_TARGET:.0f} ms" + ("" if report_applies else " (target at 10,000)"),
        f"{o['report_ms'] / REPORT_MS_TARGET:.2f} x target", o["report_ms"] < REPORT_MS_TARGET if report_applies else None)
    history_applies = a >= 10000 and n >= 3
    row("history recording (SQLite)", f"{o['history_ms']:.0f} ms", "<= 1000 ms" + ("" if history_applies else " (target at 10,000 x 3)"),
        f"{o['history_ms'] / 1000.0:.2f} x target", o["history_ms"] <= 1000.0 if history_applies else None)
    row("throttling answers seen", f"{o['throttled']}", "0", "", o["throttled"] == 0)
    row("highest rate of one account", f"TCSS {o['max_tcss_per_second_one_account']}/s per action, STS {o['max_sts_per_second_one_account']}/s",
        f"<= {RATE_LIMIT}/s, <= {STS_RATE_LIMIT}/s", "", None)
    sim_util = o["sim_cpu_s"] / o["wall_s"] if o["sim_cpu_s"] is not None else None
    row("simulator CPU during the run", f"{fmt(o['sim_cpu_s'])} s ({fmt(sim_util)} cores)",
        "well under 1 core (not the bottleneck)", "", None)
    row("report checked", f"{o['rows_checked']} queries (regions and account-wide), every account ok, exit 0",
        "", "", None)
    peer = r["peer"]
    if peer:
        row("peer (Python SDK) wall", f"{peer['wall_s']:.3f} s", "", f"{peer['wall_s'] / o['wall_s']:.2f} x ours; "
            f"{peer['wall_ratio']:.2f} x bound", None)
        row("peer CPU", f"{peer['cpu_s']:.2f} s ({peer['cpu_per_1000']:.3f} s / 1,000 queries)", "",
            f"{peer['cpu_s'] / o['cpu_s']:.2f} x ours", None)
        row("peer peak RSS", f"{peer['peak_rss_mb']:.1f} MB", "", f"{peer['peak_rss_mb'] / o['peak_rss_mb']:.2f} x ours", None)
        row("peer throttled / ok rows", f"{peer['throttled']} / {peer['ok_rows']} of {peer['rows']}", "", "", None)
        row("peer simulator CPU", f"{fmt(peer['sim_cpu_s'])} s", "", "", None)
    w = [max(len(str(x[i])) for x in rows) for i in range(5)]
    for x in rows:
        print("  " + "  ".join(str(x[i]).ljust(w[i]) for i in range(5)).rstrip())
    return checks


def find_python(explicit):
    if explicit:
        return explicit
    venv = os.path.join(ROOT, ".venv", "bin", "python")
    return venv if os.path.exists(venv) else None


def int_list(text):
    return [int(x) for x in text.split(",") if x.strip()]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--accounts", type=int_list, default=[2000, 10000])
    ap.add_argument("--regions", type=int_list, default=[1, 3])
    ap.add_argument("--orgs", type=lambda t: [x.strip() for x in t.split(",") if x.strip()],
                    default=["one", "several"],
                    help="organizations: one (one management account), several (default both)")
    ap.add_argument("--discovery-members", type=int, default=10000,
                    help="members of the organization-discovery case, run once with one region (0: skip)")
    ap.add_argument("--latency-ms", type=int, default=50)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--peer", action=argparse.BooleanOptionalAction, default=True,
                    help="also run the Python SDK peer (on --peer-accounts cases)")
    ap.add_argument("--peer-accounts", type=int_list, default=[2000],
                    help="account counts the peer runs on (it is slow)")
    ap.add_argument("--python", help="Python with the Tencent Cloud SDK (default .venv/bin/python)")
    ap.add_argument("--bin", help="tcss-report binary (default: cargo build --release)")
    ap.add_argument("--json", help="also write all figures to this JSON file")
    ap.add_argument("--keep", action="store_true", help="keep run logs under target/bench/")
    ap.add_argument("--repeat", type=int, default=3,
                    help="runs of our client per case; the median-CPU run is shown with the spread (default 3)")
    args = ap.parse_args()
    if max(args.regions) > len(REGIONS):
        ap.error(f"at most {len(REGIONS)} regions")
    if any(o not in ("one", "several") for o in args.orgs):
        ap.error("--orgs takes one, several")

    binary = build(args.bin)
    python = find_python(args.python)
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    results = []
    all_checks = []
    failed = False
    for accounts in args.accounts:
        for nregions in args.regions:
            for org in args.orgs:
                try:
                    r = bench_case(args, binary, accounts, nregions, org, python)
                except (CheckFailed, subprocess.CalledProcessError) as e:
                    print(f"\n=== {accounts} accounts x {nregions} region(s), {org}: FAILED: {e}", flush=True)
                    failed = True
                    continue
                results.append(r)
                all_checks += print_case(r)
                sys.stdout.flush()
    if args.discovery_members > 0:
        # The organization lists the management account among its members.
        members = args.discovery_members + 1
        try:
            r = bench_case(args, binary, members, 1, "discovered", python)
            results.append(r)
            all_checks += print_case(r)
        except (CheckFailed, subprocess.CalledProcessError) as e:
            print(f"\n=== organization of {members} members: FAILED: {e}", flush=True)
            failed = True
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"load_average": load, "results": results}, f, indent=2)
    missed = sum(1 for c in all_checks if not c)
    print(f"\n{len(all_checks) - missed} of {len(all_checks)} targets met"
          + (", a run FAILED its checks" if failed else ""))
    sys.exit(2 if failed else 1 if missed else 0)


if __name__ == "__main__":
    main()
