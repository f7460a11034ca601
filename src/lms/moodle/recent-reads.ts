/**
 * Reads shared while they are recent: a read sent less than `maxAgeMs` ago (or still in flight)
 * answers everyone who asks for the same key; a failed read is forgotten at once.
 */
export class RecentReads<T> {
  private readonly reads = new Map<string, { startedAt: number; value: Promise<T> }>();

  constructor(private readonly maxAgeMs: number) {}

  get(key: string, read: () => Promise<T>): Promise<T> {
    const now = Date.now();
    for (const [k, r] of this.reads) if (now - r.startedAt > this.maxAgeMs) this.reads.delete(k);
    const recent = this.reads.get(key);
    if (recent) return recent.value;
    const entry = { startedAt: now, value: read() };
    this.reads.set(key, entry);
    entry.value.catch(() => {
      if (this.reads.get(key) === entry) this.reads.delete(key);
    });
    return entry.value;
  }
}
