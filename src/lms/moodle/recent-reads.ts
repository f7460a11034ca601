/**
 * Reads shared while they are recent: a read still in flight answers everyone who asks for the
 * same key, and so does one that answered less than `maxAgeMs` after it was sent when the caller
 * allows it (`reuseAnswered`); a failed read is forgotten at once.
 */
export class RecentReads<T> {
  private readonly reads = new Map<string, { startedAt: number; value: Promise<T>; answered: boolean }>();

  constructor(private readonly maxAgeMs: number) {}

  get(key: string, read: () => Promise<T>, reuseAnswered = true): Promise<T> {
    const now = Date.now();
    for (const [k, r] of this.reads) if (now - r.startedAt > this.maxAgeMs) this.reads.delete(k);
    const recent = this.reads.get(key);
    if (recent && (reuseAnswered || !recent.answered)) return recent.value;
    const entry = { startedAt: now, value: read(), answered: false };
    this.reads.set(key, entry);
    entry.value.then(
      () => (entry.answered = true),
      () => {
        if (this.reads.get(key) === entry) this.reads.delete(key);
      },
    );
    return entry.value;
  }
}
