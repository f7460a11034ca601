/** How many refused callbacks are remembered; the oldest is forgotten first. */
const CAPACITY = 10_000;
/** Longer than any sender keeps retrying one callback. */
const KEEP_MS = 24 * 60 * 60 * 1000;

/**
 * When callbacks answered 503 (not stored) first came, by the hash of their bytes, so that the
 * retry that is stored keeps its place among a student's attempts ("latest" means the latest
 * taken, not the latest to get through). In this process's memory only: a retry that reaches
 * another instance, or comes after a restart, is ordered by its own arrival.
 */
export class RefusedCallbacks {
  private readonly seen = new Map<string, number>();

  remember(hash: string, now = Date.now()): void {
    if (this.seen.has(hash)) return;
    if (this.seen.size >= CAPACITY) this.seen.delete(this.seen.keys().next().value!);
    this.seen.set(hash, now);
  }

  firstSeen(hash: string, now = Date.now()): Date | null {
    if (this.seen.size === 0) return null;
    const at = this.seen.get(hash);
    return at !== undefined && now - at <= KEEP_MS ? new Date(at) : null;
  }

  forget(hash: string): void {
    if (this.seen.size > 0) this.seen.delete(hash);
  }
}
