"""Turns a results JSON of bench/run_bench.py into a Markdown table, gnuplot PNGs and the results
section of BENCHMARKS.md.

    python3 bench/report.py bench/results/<date>.json   # rewrites <date>.md and the plots
"""

import json
import os
import subprocess
import sys
import tempfile

SERVERS = ["parley", "parley-2t", "parley-mqtt", "mosquitto", "redis", "nats", "node-ws"]
PEERS = ["mosquitto", "redis", "nats", "node-ws"]
HEAD = {"parley": "Parley", "parley-2t": "Parley 2t", "parley-mqtt": "Parley MQTT",
        "mosquitto": "Mosquitto",
        "redis": "Redis", "nats": "NATS", "node-ws": "Node ws"}
BEGIN = "<!-- bench:results:begin (written by bench/run_bench.py) -->"
END = "<!-- bench:results:end -->"


def get(d, *path):
    for p in path:
        if d is None:
            return None
        d = d.get(p) if isinstance(d, dict) else None
    return d


def ms(us):
    return None if us is None else us / 1000.0


def mib(kib):
    return None if kib is None else kib / 1024.0


def fmt(v, kind):
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if kind == "int":
        return f"{v:,.0f}"
    if kind == "rate":
        if v >= 1e6:
            return f"{v / 1e6:.2f} M"
        if v >= 1e3:
            return f"{v / 1e3:.1f} k"
        return f"{v:.0f}"
    if kind == "ms":
        return f"{v:.2f}" if v < 10 else f"{v:.1f}"
    if kind == "f1":
        return f"{v:.1f}"
    if kind == "f2":
        return f"{v:.2f}"
    if kind == "pct":
        return f"{v * 100:.0f} %"
    return str(v)


def rows(result):
    """(section, label, kind, better, fn(server_result) -> value)."""
    subs = result["config"]["subs"]
    large = result["config"]["subs_large"]
    r = []
    fo = f"Fan-out, {subs:,} subscribers"
    r += [
        (fo, "sustainable max, deliveries/s", "rate", "higher",
         lambda s: get(s, "fanout", "at_max", "deliveries_per_s")),
        (fo, "sustainable max, messages/s in", "rate", "higher",
         lambda s: get(s, "fanout", "max_rate")),
        (fo, "loss-free peak (any latency), deliveries/s", "rate", "higher",
         lambda s: get(s, "fanout", "peak_lossfree", "deliveries_per_s")),
        (fo, "loss-free peak: p99 ms", "ms", "lower",
         lambda s: ms(get(s, "fanout", "peak_lossfree", "p99_us"))),
        (fo, "loss-free peak: deliveries per server CPU-second", "rate", "higher",
         lambda s: get(s, "fanout", "peak_lossfree", "deliveries_per_cpu_s")),
        (fo, "at max: p50 ms", "ms", "lower", lambda s: ms(get(s, "fanout", "at_max", "p50_us"))),
        (fo, "at max: p99 ms", "ms", "lower", lambda s: ms(get(s, "fanout", "at_max", "p99_us"))),
        (fo, "at max: p99.9 ms", "ms", "lower",
         lambda s: ms(get(s, "fanout", "at_max", "p999_us"))),
        (fo, f"at max: server CPU s per {result['config']['run_s']} s run", "f2", "lower",
         lambda s: get(s, "fanout", "at_max", "server_cpu_s")),
        (fo, "at max: server CPU ns per delivery", "int", "lower",
         lambda s: get(s, "fanout", "at_max", "cpu_ns_per_delivery")),
        (fo, "at 50 % of max: server CPU ns per delivery", "int", "lower",
         lambda s: get(s, "fanout", "fractions", "0.5", "cpu_ns_per_delivery")),
        (fo, "at max: load generator CPU (of its core)", "pct", "lower",
         lambda s: get(s, "fanout", "at_max", "loadgen_cpu")),
    ]
    for f in ("0.1", "0.5", "0.9"):
        pct = f"{float(f) * 100:.0f} %"
        for q, key in (("p50", "p50_us"), ("p99", "p99_us"), ("p99.9", "p999_us")):
            r.append((fo, f"at {pct} of max: {q} ms", "ms", "lower",
                      lambda s, f=f, key=key: ms(get(s, "fanout", "fractions", f, key))))
    r += [
        (fo, "server peak RSS MiB", "f1", "lower",
         lambda s: mib(get(s, "fanout", "at_max", "server_peak_rss_kib"))),
        (fo, "setup: seconds to connect and subscribe all", "f2", "lower",
         lambda s: get(s, "fanout", "setup", "seconds")),
    ]
    for k in ("lost", "duplicated", "reordered"):
        r.append((fo, f"{k} (all runs at max and at 10/50/90 %)", "int", "lower",
                  lambda s, k=k: fanout_total(s, k)))
    fl = f"Fan-out, {large:,} subscribers"
    r += [
        (fl, "sustainable max, deliveries/s", "rate", "higher",
         lambda s: get(s, "fanout_large", "at_max", "deliveries_per_s")),
        (fl, "loss-free peak (any latency), deliveries/s", "rate", "higher",
         lambda s: get(s, "fanout_large", "peak_lossfree", "deliveries_per_s")),
        (fl, "loss-free peak: deliveries per server CPU-second", "rate", "higher",
         lambda s: get(s, "fanout_large", "peak_lossfree", "deliveries_per_cpu_s")),
        (fl, "at max: p99 ms", "ms", "lower",
         lambda s: ms(get(s, "fanout_large", "at_max", "p99_us"))),
        (fl, "at max: server CPU s per run", "f2", "lower",
         lambda s: get(s, "fanout_large", "at_max", "server_cpu_s")),
        (fl, "setup: seconds to connect and subscribe all", "f2", "lower",
         lambda s: get(s, "fanout_large", "setup", "seconds")),
    ]
    c = result["config"]
    rm = (f"Many rooms: {c['rooms_conns']:,} connections, rooms of 10, "
          f"{c['rooms_rate_each']} msg/s each")
    r += [
        (rm, "deliveries/s", "rate", "higher",
         lambda s: get(s, "rooms", "summary", "deliveries_per_s")),
        (rm, "p50 ms", "ms", "lower", lambda s: ms(get(s, "rooms", "summary", "p50_us"))),
        (rm, "p99 ms", "ms", "lower", lambda s: ms(get(s, "rooms", "summary", "p99_us"))),
        (rm, "p99.9 ms", "ms", "lower", lambda s: ms(get(s, "rooms", "summary", "p999_us"))),
        (rm, f"server CPU s per {c['rooms_run_s']} s run", "f2", "lower",
         lambda s: get(s, "rooms", "summary", "server_cpu_s")),
        (rm, "server CPU ns per delivery", "int", "lower",
         lambda s: get(s, "rooms", "summary", "cpu_ns_per_delivery")),
        (rm, "server peak RSS MiB", "f1", "lower",
         lambda s: mib(get(s, "rooms", "summary", "server_peak_rss_kib"))),
        (rm, "lost / duplicated / reordered", "text", None,
         lambda s: "/".join(str(get(s, "rooms", "summary", k)) for k in
                            ("lost", "duplicated", "reordered"))
         if get(s, "rooms", "summary") else None),
    ]
    idle = f"Idle: {c['idle_conns']:,} connections (rooms of 10)"
    r += [
        (idle, "connections held", "int", "higher", lambda s: get(s, "idle", "ready")),
        (idle, "server RSS per connection, KiB", "f2", "lower",
         lambda s: None if get(s, "idle", "rss_per_conn_bytes") is None
         else get(s, "idle", "rss_per_conn_bytes") / 1024),
        (idle, "server RSS with all connected, MiB", "f1", "lower",
         lambda s: mib(get(s, "idle", "server_rss_after_kib"))),
    ]
    st = f"Connect storm: {c['storm_conns']:,} clients at once (connect + subscribe)"
    r += [
        (st, "connections ready per second", "rate", "higher",
         lambda s: get(s, "storm", "connect", "per_s")),
        (st, "all reconnecting at once: ready per second", "rate", "higher",
         lambda s: get(s, "storm", "reconnect", "per_s")),
        (st, "failed handshakes (after 3 attempts)", "int", "lower",
         lambda s: none_sum(get(s, "storm", "connect", "failed"),
                            get(s, "storm", "reconnect", "failed"))),
    ]
    sl = (f"Slow consumer: {c['slow_subs']:,} subscribers + 1 that never reads (4 KiB receive "
          f"buffer), {c['slow_run_s']} s at 50 % of the server's loss-free peak deliveries/s "
          f"(at most {c.get('slow_max_rate', '?')} msg/s); each figure also without the slow one")
    r += [
        (sl, "messages/s in", "int", None, lambda s: get(s, "slow", "rate")),
        (sl, "fast subscribers: p99 ms, with the slow one", "ms", "lower",
         lambda s: ms(get(s, "slow", "with_slow", "summary", "p99_us"))),
        (sl, "fast subscribers: p99 ms, without it", "ms", "lower",
         lambda s: ms(get(s, "slow", "baseline", "summary", "p99_us"))),
        (sl, "fast subscribers: lost, with the slow one", "int", "lower",
         lambda s: get(s, "slow", "with_slow", "summary", "lost")),
        (sl, "server RSS max during the run MiB, with the slow one", "f1", "lower",
         lambda s: mib(get(s, "slow", "with_slow", "summary", "server_rss_max_kib"))),
        (sl, "server RSS max during the run MiB, without it", "f1", "lower",
         lambda s: mib(get(s, "slow", "baseline", "summary", "server_rss_max_kib"))),
        (sl, "slow one disconnected by the server", "bool", None,
         lambda s: get(s, "slow", "slow", "closed_by_server")),
    ]
    return r


def none_sum(*vals):
    vals = [v for v in vals if v is not None]
    return sum(vals) if vals else None


def fanout_total(s, key):
    fo = get(s, "fanout")
    if not fo or not fo.get("at_max"):
        return None
    total = fo["at_max"].get(key, 0)
    for f in (fo.get("fractions") or {}).values():
        if f:
            total += f.get(key, 0)
    return total


def ratio(p, q):
    if not isinstance(p, (int, float)) or not isinstance(q, (int, float)) or isinstance(p, bool):
        return "–"
    if q == 0:
        return "–"
    return f"{p / q:.2f}×"


def markdown(result):
    servers = [s for s in SERVERS if s in result["servers"]]
    peers = [s for s in PEERS if s in result["servers"]]
    m = result["machine"]
    out = []
    for r in result.get("reruns", []):
        out.append(f"Re-run {r['at']}: {', '.join(r['scenarios'])} for "
                   f"{', '.join(r['servers'])}; load average {r['load_before']} before, "
                   f"{r['load_after']} after.\n")
    out.append(f"Run {result['date']}: {m['nproc']} CPUs ({m['cpu_model']}), kernel "
               f"{m['kernel']}, {m['mem_kib'] // 1024} MiB RAM; load average "
               f"{result['load_before']} before, {result.get('load_after', '?')} after; "
               f"{result.get('elapsed_s', '?')} s.\n")
    # Parley's MQTT broker against Mosquitto: the same protocol, the same load generator.
    mqtt_pair = "parley-mqtt" in servers and "mosquitto" in servers
    head = ["figure"] + [HEAD[s] for s in servers] + \
        [f"Parley / {HEAD[p]}" for p in peers if "parley" in servers] + \
        (["Parley MQTT / Mosquitto"] if mqtt_pair else [])
    section = None
    for sec, label, kind, better, fn in rows(result):
        if sec != section:
            section = sec
            out.append(f"\n**{sec}**\n")
            out.append("| " + " | ".join(head) + " |")
            out.append("|" + "---|" * len(head))
        vals = {s: fn(result["servers"][s]) for s in servers}
        cells = [label + ({"higher": " ↑", "lower": " ↓"}.get(better, ""))]
        cells += [fmt(vals[s], kind) for s in servers]
        if "parley" in servers:
            cells += [ratio(vals["parley"], vals[p]) if kind not in ("text", "bool") else "–"
                      for p in peers]
        if mqtt_pair:
            cells.append(ratio(vals["parley-mqtt"], vals["mosquitto"])
                         if kind not in ("text", "bool") else "–")
        out.append("| " + " | ".join(cells) + " |")
    ceil = result.get("ceiling")
    if ceil:
        out.append("\n**Ceiling** (bench/ceiling: pre-encoded frames written to N loopback "
                   "sockets by one pinned core, no protocol)\n")
        batches = sorted({int(k[5:]) for c in ceil.values() for k in c if k.startswith("batch")})
        out.append("| subscribers | " + " | ".join(f"frames/s, {b} per write" for b in batches)
                   + " | Parley sustainable max | Parley / best ceiling | Parley loss-free peak"
                   " | Parley loss-free peak / best ceiling |")
        out.append("|---|" + "---|" * (len(batches) + 4))
        for n, c in ceil.items():
            key = "fanout" if int(n) == result["config"]["subs"] else "fanout_large"
            parley = result["servers"].get("parley")
            p = get(parley, key, "at_max", "deliveries_per_s")
            peak = get(parley, key, "peak_lossfree", "deliveries_per_s")
            best = c["best_frames_per_s"]
            cells = [fmt(get(c, f"batch{b}", "frames_per_s"), "rate") for b in batches]
            out.append(f"| {int(n):,} | " + " | ".join(cells) + f" | {fmt(p, 'rate')} | "
                       f"{fmt(p / best, 'pct') if p else '–'} | {fmt(peak, 'rate')} | "
                       f"{fmt(peak / best, 'pct') if peak else '–'} |")
    micro = result.get("micro")
    if micro:
        out.append("\n**Micro-benchmarks** (bench/micro, Google Benchmark, pinned to CPU 0)\n")
        out.append("| benchmark | CPU ns per iteration | items/s |")
        out.append("|---|---|---|")
        for b in micro:
            out.append(f"| {b['name']} | {b['cpu_ns']:,} | {fmt(b['items_per_s'], 'rate')} |")
    out.append("\n↑ higher is better, ↓ lower is better. Ratios are Parley (1 core) / peer. "
               "Latency percentiles are medians over the runs; lost, duplicated and reordered "
               "are totals.\n")
    return "\n".join(out) + "\n"


def gnuplot(script):
    try:
        subprocess.run(["gnuplot"], input=script, text=True, check=True, timeout=60,
                       stderr=subprocess.PIPE)
        return True
    except (OSError, subprocess.SubprocessError) as e:
        print(f"[bench] gnuplot failed: {e}", file=sys.stderr)
        return False


def plots(result, base):
    servers = [s for s in SERVERS if s in result["servers"]]
    tmp = tempfile.mkdtemp(prefix="parley-plots-")
    made = []
    # Latency CDF at 50 % of each server's own sustainable maximum.
    lines = []
    for s in servers:
        cdf = get(result["servers"][s], "fanout", "fractions", "0.5", "cdf")
        if not cdf:
            continue
        path = os.path.join(tmp, f"cdf-{s}.dat")
        with open(path, "w") as f:
            for q, us in cdf:
                f.write(f"{max(us, 1) / 1000.0} {q * 100}\n")
        lines.append(f"'{path}' using 1:2 with lines lw 2 title '{HEAD[s]}'")
    if lines:
        png = base + "-latency-cdf.png"
        subs = result["config"]["subs"]
        if gnuplot(f"""set terminal pngcairo size 900,560 font ',11'
set output '{png}'
set title "Fan-out to {subs:,} subscribers at 50 % of each server's sustainable max: latency CDF"
set xlabel 'publish-to-deliver latency (ms, log scale)'
set ylabel 'percentile'
set logscale x
set yrange [0:100]
set grid
set key bottom right
plot {', '.join(lines)}
"""):
            made.append(png)
    # Deliveries/s against subscribers: the loss-free peak (solid) and the sustainable maximum
    # (dashed, p99 < 50 ms), one colour per server.
    sizes = [result["config"]["subs"], result["config"]["subs_large"]]
    lines = []
    for i, s in enumerate(servers, start=1):
        for what, style, title in (("peak_lossfree", "lw 2 pt 7", f"{HEAD[s]}, loss-free peak"),
                                   ("at_max", "lw 1 dt 2 pt 6", f"{HEAD[s]}, sustainable")):
            pts = []
            for n, key in zip(sizes, ("fanout", "fanout_large")):
                v = get(result["servers"][s], key, what, "deliveries_per_s")
                if v:
                    pts.append((n, v))
            if not pts:
                continue
            path = os.path.join(tmp, f"tp-{s}-{what}.dat")
            with open(path, "w") as f:
                for n, v in sorted(pts):
                    f.write(f"{n} {v / 1e6}\n")
            lines.append(f"'{path}' using 1:2 with linespoints {style} lc {i} title '{title}'")
    ceil = result.get("ceiling")
    if ceil:
        path = os.path.join(tmp, "tp-ceiling.dat")
        with open(path, "w") as f:
            for n, c in sorted(ceil.items(), key=lambda kv: int(kv[0])):
                f.write(f"{n} {c['best_frames_per_s'] / 1e6}\n")
        lines.append(f"'{path}' using 1:2 with linespoints lw 2 dt 2 pt 6 lc 'black' "
                     "title 'ceiling (no protocol)'")
    if lines:
        png = base + "-throughput.png"
        if gnuplot(f"""set terminal pngcairo size 1000,560 font ',11'
set output '{png}'
set title 'Fan-out, one room, server on one core: deliveries per second against subscribers'
set xlabel 'subscribers (log scale)'
set ylabel 'million deliveries per second'
set logscale x
set yrange [0:*]
set grid
set key outside right font ',9'
plot {', '.join(lines)}
"""):
            made.append(png)
    return made


def update_benchmarks_md(path, result, table, pngs, json_rel):
    root = os.path.dirname(path)
    block = [BEGIN, "", table.strip(), ""]
    for png in pngs:
        rel = os.path.relpath(png, root)
        block.append(f"![{os.path.basename(png)}]({rel})")
        block.append("")
    block.append(f"Raw results: [{json_rel}]({json_rel}).")
    block.append(END)
    text = "\n".join(block)
    if os.path.exists(path):
        with open(path) as f:
            old = f.read()
        if BEGIN in old and END in old:
            new = old[:old.index(BEGIN)] + text + old[old.index(END) + len(END):]
        else:
            new = old.rstrip() + "\n\n## Latest results\n\n" + text + "\n"
    else:
        new = "# Benchmarks\n\n## Latest results\n\n" + text + "\n"
    with open(path, "w") as f:
        f.write(new)


if __name__ == "__main__":
    # report.py RESULTS.json [--update-benchmarks]: rewrites the table and plots of a run (and
    # the results section of BENCHMARKS.md).
    with open(sys.argv[1]) as f:
        res = json.load(f)
    base = sys.argv[1][:-len(".json")]
    md = markdown(res)
    with open(base + ".md", "w") as f:
        f.write(md)
    made = plots(res, base)
    if "--update-benchmarks" in sys.argv:
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        update_benchmarks_md(os.path.join(root, "BENCHMARKS.md"), res, md, made,
                             os.path.relpath(os.path.abspath(sys.argv[1]), root))
    print(md)
