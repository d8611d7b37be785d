"""Python's multiprocessing.pool.ThreadPool on the workloads of bench/ (see docs/benchmarks.md).

Run by bench/run.ts as `python3 bench.py '<ChildSpec JSON>'`, one process per measurement,
like the Node.js children: it prints one line, RESULT_MARKER followed by {"metrics": ..., "notes": ...}.
"""

import json
import resource
import sys
import time

RESULT_MARKER = "@@spindle-bench-result@@ "
PAGE = resource.getpagesize()
MB = 1024 * 1024
# imap's feeder thread reads the whole input ahead of the results: stop before it eats the machine.
RSS_GROWTH_CAP_MB = 2048
# Workload 2 repeats a short map (see bench/workloads/bulk.ts).
MAX_REPEATS = 9


def inc(x):
    return x + 1


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / MB


def inc_sum(n):
    return n * (n + 1) // 2


def expect(what, actual, expected):
    if actual != expected:
        raise AssertionError(f"{what}: got {actual}, expected {expected}")


def percentile(sorted_values, q):
    pos = (len(sorted_values) - 1) * q
    lo, hi = int(pos), min(int(pos) + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def new_pool(processes):
    from multiprocessing.pool import ThreadPool

    return ThreadPool(processes)


def throughput(spec, p):
    with new_pool(spec["threads"]) as pool:
        expect("warm-up", sum(r.get() for r in [pool.apply_async(inc, (i,)) for i in range(p["warmup"])]), inc_sum(p["warmup"]))
        t0 = time.perf_counter()
        pending = [pool.apply_async(inc, (i,)) for i in range(p["tasks"])]
        total = sum(r.get() for r in pending)
        s = time.perf_counter() - t0
    expect("checksum", total, inc_sum(p["tasks"]))
    return {"tasksPerSec": p["tasks"] / s, "elapsedMs": s * 1000, "peakRssMb": peak_rss_mb()}, []


def bulk(spec, p):
    with new_pool(spec["threads"]) as pool:
        expect("warm-up", sum(pool.map(inc, range(p["warmup"]))), inc_sum(p["warmup"]))
        items = list(range(p["items"]))
        rates = []
        start = time.perf_counter()
        while True:
            t0 = time.perf_counter()
            results = pool.map(inc, items)
            rates.append(p["items"] / (time.perf_counter() - t0))
            expect("checksum", sum(results), inc_sum(p["items"]))
            if (time.perf_counter() - start) * 1000 >= p["repeatMs"] or len(rates) >= MAX_REPEATS:
                break
    rates.sort()
    metrics = {"itemsPerSec": percentile(rates, 0.5), "repeats": len(rates), "peakRssMb": peak_rss_mb()}
    return metrics, ["bulk API: map"]


def latency(spec, p):
    with new_pool(spec["threads"]) as pool:
        for i in range(p["warmup"]):
            pool.apply(inc, (i,))
        samples = []
        for i in range(p["trips"]):
            t0 = time.perf_counter_ns()
            r = pool.apply(inc, (i,))
            samples.append((time.perf_counter_ns() - t0) / 1000)
            if r != i + 1:
                expect("result", r, i + 1)
    samples.sort()
    mean = sum(samples) / len(samples)
    return {"p50Us": percentile(samples, 0.5), "p99Us": percentile(samples, 0.99), "meanUs": mean}, []


def cpu(spec, p):
    # One timed pass of each (a pass takes seconds, and there is no JIT to warm up).
    ns = [p["n"]] * p["tasks"]
    expected = fib(p["n"]) * p["tasks"]
    with new_pool(spec["threads"]) as pool:
        pool.map(fib, [10] * spec["threads"])  # start the threads (no JIT to warm up)
        t0 = time.perf_counter()
        expect("serial", sum(map(fib, ns)), expected)
        serial = time.perf_counter() - t0
        t0 = time.perf_counter()
        expect("pool", sum(pool.map(fib, ns)), expected)
        parallel = time.perf_counter() - t0
    speedup = serial / parallel
    metrics = {"speedup": speedup, "poolMs": parallel * 1000, "serialMs": serial * 1000, "medianSpeedup": speedup}
    return metrics, ["one timed pass"]


def startup(spec, p):
    t0 = time.perf_counter()
    from multiprocessing.pool import ThreadPool

    t1 = time.perf_counter()
    pool = ThreadPool(spec["threads"])
    expect("first result", pool.apply(inc, (41,)), 42)
    t2 = time.perf_counter()
    pool.terminate()
    return {"startupMs": (t2 - t1) * 1000, "importMs": (t1 - t0) * 1000}, []


def test_port_number(host, port):
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(3)
        try:
            sock.connect((host, port))
            return True
        except OSError:
            return False


def portscan(spec, p):
    host, ports = p["host"], p["ports"]
    t0 = time.perf_counter()
    with new_pool(len(ports)) as pool:
        results = pool.starmap(test_port_number, [(host, port) for port in ports])
        scan = time.perf_counter() - t0
    total = time.perf_counter() - t0
    open_ports = {port for port, ok in zip(ports, results) if ok}
    missing = [port for port in p["expectOpen"] if port not in open_ports]
    expect("listening ports not found", ",".join(map(str, missing)) or "none", "none")
    return {"totalMs": total * 1000, "scanMs": scan * 1000, "open": len(open_ports)}, []


def imap(spec, p):
    def source(n):
        yield from range(n)

    notes = ["native imap (chunksize 1)"]
    with new_pool(spec["threads"]) as pool:
        for i, r in enumerate(pool.imap(inc, source(1000))):
            expect("warm-up", r, i + 1)
        baseline = rss_bytes()
        peak = baseline
        t0 = time.perf_counter()
        count = 0
        for r in pool.imap(inc, source(p["items"])):
            count += 1
            if r != count:
                expect(f"result {count - 1}", r, count)
            if count & 0x3FFF == 0:
                peak = max(peak, rss_bytes())
                if (time.perf_counter() - t0) * 1000 > p["budgetMs"]:
                    notes.append(f"stopped at the {p['budgetMs'] / 1000:g} s budget")
                    break
                if peak - baseline > RSS_GROWTH_CAP_MB * MB:
                    notes.append(f"stopped at {RSS_GROWTH_CAP_MB} MB of RSS growth")
                    break
        s = time.perf_counter() - t0
        peak = max(peak, rss_bytes())
        # terminate(): imap's feeder may still be reading the generator ahead of the results.
        pool.terminate()
    metrics = {
        "itemsPerSec": count / s,
        "items": count,
        "rssGrowthMb": (peak - baseline) / MB,
        "peakRssMb": peak_rss_mb(),
    }
    return metrics, notes


def _local_opener():
    import urllib.request

    # No proxy from the environment: the server is local. urllib sends "Connection: close".
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http_get(url, opener=None):
    with (opener or _local_opener()).open(url) as response:
        response.read()
        return response.status


def http(spec, p):
    workers = int(spec["variant"].split("=", 1)[1])  # "W=100"
    requests = max(p["minRequests"], 2 * workers)
    urls = [f"http://{p['host']}:{p['port']}/{i}" for i in range(requests)]
    opener = _local_opener()
    t0 = time.perf_counter()
    with new_pool(workers) as pool:
        statuses = pool.map(lambda url: http_get(url, opener), urls)
    total = time.perf_counter() - t0
    expect("responses", sum(1 for s in statuses if s == 200), requests)
    floor = -(-requests // workers) * p["delayMs"]
    return {"totalMs": total * 1000, "floorMs": floor, "requests": requests}, []


WORKLOADS = {
    "throughput": throughput,
    "bulk": bulk,
    "latency": latency,
    "cpu": cpu,
    "startup": startup,
    "portscan": portscan,
    "imap": imap,
    "http": http,
}


def main():
    spec = json.loads(sys.argv[1])
    metrics, notes = WORKLOADS[spec["workload"]](spec, spec["params"])
    sys.stdout.write(RESULT_MARKER + json.dumps({"metrics": metrics, "notes": notes}) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
