// Resident set size while a workload runs: sampled on a timer (and on demand from hot loops,
// since a busy main thread starves timers), plus the kernel's lifetime peak.

const MB = 1024 * 1024;

export class RssSampler {
  #peak = 0;
  #baseline = 0;
  #timer: NodeJS.Timeout | undefined;

  /** Starts sampling; the RSS at this moment is the baseline for `growthMb`. */
  start(intervalMs = 20): this {
    this.#baseline = process.memoryUsage.rss();
    this.#peak = this.#baseline;
    this.#timer = setInterval(() => this.sample(), intervalMs);
    this.#timer.unref();
    return this;
  }

  sample(): void {
    const rss = process.memoryUsage.rss();
    if (rss > this.#peak) this.#peak = rss;
  }

  /** Stops sampling. `peakRssMb` is the process's lifetime peak (getrusage maxRSS). */
  stop(): { peakRssMb: number; growthMb: number } {
    clearInterval(this.#timer);
    this.sample();
    const maxRss = process.resourceUsage().maxRSS * 1024;
    return {
      peakRssMb: Math.max(this.#peak, maxRss) / MB,
      growthMb: (this.#peak - this.#baseline) / MB,
    };
  }
}
