import { readFileSync } from 'node:fs';

function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return match ? Number(match[1]) : null;
  } catch {
    return null; // not Linux, or the process is gone
  }
}

/**
 * Peak resident memory of a child process: polls VmRSS while it runs and reads the kernel's own
 * high-water mark (VmHWM) at the end, and keeps the larger.
 */
export class MemorySampler {
  private peakKb = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    intervalMs = 250,
  ) {
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
    this.sample();
  }

  private sample(): void {
    this.peakKb = Math.max(this.peakKb, statusKb(this.pid, 'VmRSS') ?? 0);
  }

  /** Call while the process still runs: it reads the high-water mark once more. Null if never readable. */
  stop(): number | null {
    clearInterval(this.timer);
    this.sample();
    this.peakKb = Math.max(this.peakKb, statusKb(this.pid, 'VmHWM') ?? 0);
    return this.peakKb > 0 ? this.peakKb / 1024 : null;
  }
}

export function formatMb(mb: number | null): string {
  return mb === null ? 'n/a (no /proc)' : `${mb.toFixed(0)} MB`;
}
