#!/usr/bin/python3
"""Runs Parley's benchmark suite against its peers and writes the results.

    bench/run_bench.py [--build build] [--quick] [--servers parley,redis,...]
                       [--scenarios fanout,fanout_large,rooms,idle,storm,slow,ceiling,micro]

Each server runs pinned to CPU 0 (taskset), the load generator to CPU 1; Parley also runs
unpinned with --threads 2 ("parley-2t"), and as an MQTT broker ("parley-mqtt": one thread, the
load generator speaking MQTT 3.1.1 to its TCP listener, as to Mosquitto). Every figure of a scenario is the median of three runs
after a warm-up. Writes bench/results/<date>.json, <date>.md (the table, with the ratio
Parley/peer for every figure) and <date>-*.png (gnuplot), and refreshes the results section of
BENCHMARKS.md. See bench/README.md for the scenarios and their sizes.
"""

import argparse
import datetime
import json
import os
import platform
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, "bench", "results")
SERVER_CPU = "0"
LOADGEN_CPU = "1"

PEERS = ["mosquitto", "redis", "nats", "node-ws"]
PARLEYS = ["parley", "parley-2t", "parley-mqtt"]
ALL_SERVERS = PARLEYS + PEERS
PROTO = {"parley": "phoenix", "parley-2t": "phoenix", "parley-mqtt": "mqtt", "mosquitto": "mqtt",
         "redis": "redis", "nats": "nats", "node-ws": "ws"}
LABEL = {"parley": "Parley (1 core)", "parley-2t": "Parley (2 threads, unpinned)",
         "parley-mqtt": "Parley MQTT (1 core)", "mosquitto": "Mosquitto", "redis": "Redis",
         "nats": "NATS", "node-ws": "Node ws"}


def log(*args):
    print("[bench]", *args, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server not listening on {port} after {timeout}s")


class Server:
    """One server process, started for one scenario and stopped after it."""

    def __init__(self, name, build, workdir):
        self.name = name
        self.build = build
        self.workdir = workdir
        self.port = free_port()
        self.proc = None
        self.logfile = None

    def command(self):
        port = str(self.port)
        if self.name in PARLEYS:
            data = tempfile.mkdtemp(prefix="data-", dir=self.workdir)
            threads = "2" if self.name == "parley-2t" else "1"
            # The publisher of a fan-out sends far more than a chat user: no inbound rate limit.
            conf = os.path.join(self.workdir, "parley-bench.toml")
            with open(conf, "w") as f:
                f.write("[limits]\nmax_messages_per_second = 0\n")
            # The load generator's port is the MQTT listener's for parley-mqtt (HTTP then on a
            # port of its own), else the HTTP one. MQTT's default 1883 is never used: it may be
            # Mosquitto's, or another Parley's.
            http, mqtt = port, ""
            if self.name == "parley-mqtt":
                http, mqtt = str(free_port()), f"127.0.0.1:{port}"
            return [os.path.join(self.build, "parley"), "--http", f"127.0.0.1:{http}",
                    "--mqtt", mqtt, "--data-dir", data, "--threads", threads,
                    "--log-level", "warn", "--config", conf]
        if self.name == "mosquitto":
            conf = os.path.join(self.workdir, f"mosquitto-{port}.conf")
            with open(os.path.join(ROOT, "bench", "peers", "mosquitto.conf")) as f:
                base = f.read()
            with open(conf, "w") as f:
                f.write(base + f"\nlistener {port} 127.0.0.1\n")
            return ["mosquitto", "-c", conf]
        if self.name == "redis":
            return ["redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "",
                    "--appendonly", "no", "--protected-mode", "no", "--maxclients", "20000",
                    "--loglevel", "warning"]
        if self.name == "nats":
            return ["nats-server", "-a", "127.0.0.1", "-p", port]
        if self.name == "node-ws":
            return ["node", os.path.join(ROOT, "bench", "peers", "ws_broadcast_server.mjs"), port]
        raise ValueError(self.name)

    def start(self):
        cmd = self.command()
        if self.name != "parley-2t":
            cmd = ["taskset", "-c", SERVER_CPU] + cmd
        self.logfile = open(os.path.join(self.workdir, f"{self.name}-{self.port}.log"), "w")
        self.proc = subprocess.Popen(cmd, stdout=self.logfile, stderr=subprocess.STDOUT,
                                     cwd=self.workdir)
        wait_port(self.port, self.proc)
        return self

    @property
    def pid(self):
        return self.proc.pid  # taskset execs the server: same pid

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.logfile:
            self.logfile.close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def loadgen(build, server, args, timeout=900):
    cmd = ["taskset", "-c", LOADGEN_CPU, os.path.join(build, "bench", "loadgen"),
           "--proto", PROTO[server.name], "--port", str(server.port),
           "--server-pid", str(server.pid)] + args
    log(server.name, " ".join(args))
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         timeout=timeout)
    for line in out.stderr.splitlines()[-12:]:
        log("  ", line)
    if out.returncode != 0 or not out.stdout.strip():
        return {"error": f"loadgen exited {out.returncode}", "stderr": out.stderr[-2000:]}
    return json.loads(out.stdout)


# ----- scenarios -----

def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarize_runs(runs):
    """Median of each figure over runs; lost/duplicated/reordered summed."""
    if not runs:
        return None
    keys = ["deliveries_per_s", "p50_us", "p99_us", "p999_us", "max_us", "server_cpu_s",
            "server_rss_max_kib", "server_peak_rss_kib", "loadgen_cpu", "rate"]
    s = {k: median([r.get(k) for r in runs]) for k in keys}
    # CPU the server spent per delivery: the figure least disturbed by a shared machine.
    s["cpu_ns_per_delivery"] = median([r["server_cpu_s"] * 1e9 / r["delivered"]
                                       for r in runs if r.get("delivered")])
    for k in ["lost", "duplicated", "reordered", "sent", "expected", "delivered",
              "disconnected"]:
        s[k] = sum(r.get(k, 0) for r in runs)
    s["runs"] = len(runs)
    s["pass"] = all(r.get("pass") for r in runs)
    # The CDF of the run whose p99 is the median.
    with_cdf = sorted((r for r in runs if "cdf" in r), key=lambda r: r["p99_us"])
    if with_cdf:
        s["cdf"] = with_cdf[len(with_cdf) // 2]["cdf"]
    return s


def scenario_fanout(cfg, build, server, subs, full):
    args = ["fanout", "--subs", str(subs), "--search",
            "--start-rate", str(cfg["start_rate"][subs]),
            "--step-s", str(cfg["step_s"]), "--refine", str(cfg["refine"] if full else 2),
            "--warmup-s", str(cfg["warmup_s"]), "--run-s", str(cfg["run_s"]),
            "--repeats", str(cfg["repeats"] if full else 1)]
    if full:
        args += ["--fractions", "0.1,0.5,0.9"]
    r = loadgen(build, server, args)
    out = {"subs": subs, "setup": r.get("setup"), "max_rate": r.get("max_rate"),
           "search": r.get("search"), "error": r.get("error")}
    out["at_max"] = summarize_runs(r.get("at_max", []))
    peak = r.get("peak_lossfree")
    if peak and peak.get("server_cpu_s"):
        # Deliveries per second of server CPU: what one core would carry if the server had it
        # to itself (a shared machine takes part of it away).
        peak["deliveries_per_cpu_s"] = peak["delivered"] / peak["server_cpu_s"]
    out["peak_lossfree"] = peak
    out["fractions"] = {str(f["fraction"]): summarize_runs(f["runs"])
                        for f in r.get("fractions", [])}
    return out


def scenario_rooms(cfg, build, server):
    r = loadgen(build, server, ["rooms", "--conns", str(cfg["rooms_conns"]), "--room-size", "10",
                                "--rate-each", str(cfg["rooms_rate_each"]),
                                "--warmup-s", str(cfg["warmup_s"]),
                                "--run-s", str(cfg["rooms_run_s"]),
                                "--repeats", str(cfg["repeats"])])
    return {"setup": r.get("setup"), "error": r.get("error"),
            "summary": summarize_runs(r.get("runs", []))}


def scenario_idle(cfg, build, server):
    r = loadgen(build, server, ["--window", "500", "idle", "--conns", str(cfg["idle_conns"]),
                                "--room-size", "10", "--hold-s", "2"])
    return r


def scenario_storm(cfg, build, server):
    return loadgen(build, server, ["storm", "--conns", str(cfg["storm_conns"]),
                                   "--room-size", "10"])


def scenario_slow(cfg, build, server, rate):
    """The same fan-out twice on a fresh server each: without and with one subscriber that never
    reads; the fast subscribers' latency and the server's memory are compared."""
    out = {"rate": rate, "subs": cfg["slow_subs"]}
    for key, extra in (("baseline", []), ("with_slow", ["--slow"])):
        with Server(server.name, build, server.workdir) as srv:
            r = loadgen(build, srv, ["fanout", "--subs", str(cfg["slow_subs"]), *extra,
                                     "--warmup-s", "0.5", "--rates", str(rate),
                                     "--run-s", str(cfg["slow_run_s"]), "--repeats", "1"])
        out[key] = {"setup": r.get("setup"), "error": r.get("error"),
                    "summary": summarize_runs(r.get("runs", [])), "slow": r.get("slow")}
    out["summary"] = out["with_slow"]["summary"]  # the figures of the run with the slow one
    out["slow"] = out["with_slow"]["slow"]
    return out


def slow_rate(cfg, fanout):
    """50 % of the server's own loss-free peak deliveries/s, spread over the scenario's
    subscribers, capped; 100 msg/s when no peak is known."""
    peak = get_peak(fanout)
    if not peak:
        return 100
    return max(1, min(cfg["slow_max_rate"], round(0.5 * peak / cfg["slow_subs"])))


def get_peak(fanout):
    return ((fanout or {}).get("peak_lossfree") or {}).get("deliveries_per_s")


def run_ceiling(cfg, build, conns):
    out = {}
    for batch in (1, 16, 64):
        cmd = [os.path.join(build, "bench", "ceiling"), "--conns", str(conns), "--batch",
               str(batch), "--seconds", str(cfg["ceiling_s"]), "--writer-cpu", SERVER_CPU,
               "--reader-cpu", LOADGEN_CPU]
        runs = []
        for _ in range(cfg["repeats"]):
            p = subprocess.run(cmd, stdout=subprocess.PIPE, text=True, timeout=120)
            runs.append(json.loads(p.stdout))
        out[f"batch{batch}"] = {"frames_per_s": median([r["frames_per_s"] for r in runs]),
                                "frame_bytes": runs[0]["frame_bytes"], "runs": runs}
        log("ceiling", conns, "conns, batch", batch, ":",
            round(out[f"batch{batch}"]["frames_per_s"]), "frames/s")
    out["best_frames_per_s"] = max(v["frames_per_s"] for v in out.values())
    return out


def run_micro(build):
    exe = os.path.join(build, "bench", "micro")
    if not os.path.exists(exe):
        return None
    p = subprocess.run(["taskset", "-c", SERVER_CPU, exe, "--benchmark_format=json",
                        "--benchmark_min_time=0.2"], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, text=True, timeout=300)
    data = json.loads(p.stdout)
    return [{"name": b["name"], "cpu_ns": round(b["cpu_time"], 1),
             "items_per_s": round(b.get("items_per_second", 0))} for b in data["benchmarks"]]


# ----- machine -----

def machine_info():
    model = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem = f.readline().split()[1]
    return {"nproc": os.cpu_count(), "cpu_model": model, "kernel": platform.release(),
            "mem_kib": int(mem), "file_limit": resource.getrlimit(resource.RLIMIT_NOFILE)[0]}


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def versions():
    def first_line(cmd):
        try:
            p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               timeout=10)
            return p.stdout.strip().splitlines()[0] if p.stdout.strip() else ""
        except (OSError, subprocess.SubprocessError):
            return ""
    ws = ""
    try:
        with open(os.path.join(ROOT, "node_modules", "ws", "package.json")) as f:
            ws = json.load(f)["version"]
    except OSError:
        pass
    return {"mosquitto": first_line(["sh", "-c", "mosquitto -h | head -1"]),
            "redis": first_line(["redis-server", "--version"]),
            "nats": first_line(["nats-server", "--version"]),
            "node": first_line(["node", "--version"]), "ws": ws}


# ----- main -----

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--quick", action="store_true", help="tiny sizes, to check the pipeline")
    ap.add_argument("--servers", default=",".join(ALL_SERVERS))
    ap.add_argument("--scenarios",
                    default="ceiling,fanout,fanout_large,rooms,idle,storm,slow,micro")
    ap.add_argument("--no-report", action="store_true", help="do not touch BENCHMARKS.md")
    ap.add_argument("--merge", metavar="JSON",
                    help="re-run the given scenarios only and replace them in this results file")
    opts = ap.parse_args()
    build = os.path.abspath(opts.build)
    servers = opts.servers.split(",")
    scenarios = opts.scenarios.split(",")

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # ulimit -n, for every child

    cfg = {
        "subs": 1000, "subs_large": 3000, "start_rate": {1000: 100, 3000: 50, 100: 1000, 20: 200},
        "step_s": 2, "refine": 3, "warmup_s": 1, "run_s": 2, "repeats": 3,
        "rooms_conns": 10000, "rooms_rate_each": 0.5, "rooms_run_s": 3,
        "idle_conns": min(20000, hard - 500), "storm_conns": 5000,
        "slow_subs": 100, "slow_run_s": 10, "slow_max_rate": 5000, "ceiling_s": 2,
    }
    if opts.quick:
        cfg.update({"subs": 100, "subs_large": 20, "step_s": 0.5, "refine": 1, "warmup_s": 0.3,
                    "run_s": 0.5, "repeats": 1, "rooms_conns": 200, "rooms_run_s": 0.5,
                    "idle_conns": 200, "storm_conns": 200, "slow_subs": 20, "slow_run_s": 1,
                    "ceiling_s": 0.5})

    date = datetime.datetime.now().strftime("%Y-%m-%d-%H%M")
    previous = None
    if opts.merge:
        with open(opts.merge) as f:
            previous = json.load(f)
        for k, v in cfg.items():  # keys added since that run take today's values
            previous["config"].setdefault(k, v)
        cfg = previous["config"]
        cfg["start_rate"] = {int(k): v for k, v in cfg["start_rate"].items()}
        if "slow" in scenarios:
            cfg.update({k: v for k, v in (("slow_subs", 100), ("slow_run_s", 10),
                                          ("slow_max_rate", 5000))})
        date = previous["date"]
    os.makedirs(RESULTS, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix="parley-bench-")
    started = time.time()
    result = {"date": date, "machine": machine_info(), "load_before": loadavg(),
              "versions": versions(), "config": cfg, "quick": opts.quick,
              "pinning": {"server_cpu": SERVER_CPU, "loadgen_cpu": LOADGEN_CPU},
              "servers": {s: {} for s in servers}}
    log("machine", result["machine"], "load", result["load_before"])
    try:
        if "ceiling" in scenarios:
            result["ceiling"] = {str(n): run_ceiling(cfg, build, n)
                                 for n in (cfg["subs"], cfg["subs_large"])}
        for name in servers:
            res = result["servers"][name]
            large = name != "parley-2t"
            if "fanout" in scenarios:
                with Server(name, build, workdir) as srv:
                    res["fanout"] = scenario_fanout(cfg, build, srv, cfg["subs"], True)
            if "fanout_large" in scenarios and large:
                with Server(name, build, workdir) as srv:
                    res["fanout_large"] = scenario_fanout(cfg, build, srv, cfg["subs_large"],
                                                          False)
            if "rooms" in scenarios:
                with Server(name, build, workdir) as srv:
                    res["rooms"] = scenario_rooms(cfg, build, srv)
            if "idle" in scenarios and large:
                with Server(name, build, workdir) as srv:
                    res["idle"] = scenario_idle(cfg, build, srv)
            if "storm" in scenarios and large:
                with Server(name, build, workdir) as srv:
                    res["storm"] = scenario_storm(cfg, build, srv)
            if "slow" in scenarios and large:
                fanout = res.get("fanout") or (previous or {}).get("servers", {}).get(
                    name, {}).get("fanout")
                res["slow"] = scenario_slow(cfg, build, Server(name, build, workdir),
                                            slow_rate(cfg, fanout))
        if "micro" in scenarios:
            result["micro"] = run_micro(build)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    result["load_after"] = loadavg()
    result["elapsed_s"] = round(time.time() - started)
    if previous is not None:
        # Keep the earlier run; record what was re-run, when, and under which load.
        rerun = {"scenarios": scenarios, "servers": servers, "at": datetime.datetime.now()
                 .strftime("%Y-%m-%d-%H%M"), "load_before": result["load_before"],
                 "load_after": result["load_after"], "elapsed_s": result["elapsed_s"]}
        for key in ("ceiling", "micro"):
            if key in result:
                previous[key] = result[key]
        for name, res in result["servers"].items():
            previous["servers"].setdefault(name, {}).update(res)
        previous.setdefault("reruns", []).append(rerun)
        result = previous
    log("done in", result["elapsed_s"], "s; load", result["load_after"])

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import report  # noqa: E402  (bench/report.py)
    base = os.path.join(RESULTS, date + ("-quick" if opts.quick else ""))
    with open(base + ".json", "w") as f:
        json.dump(result, f, indent=1)
    table = report.markdown(result)
    with open(base + ".md", "w") as f:
        f.write(table)
    plots = report.plots(result, base)
    if not opts.no_report and not opts.quick:
        report.update_benchmarks_md(os.path.join(ROOT, "BENCHMARKS.md"), result, table, plots,
                                    os.path.relpath(base + ".json", ROOT))
    print(table)
    log("wrote", base + ".json")


if __name__ == "__main__":
    main()
