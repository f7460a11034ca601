interface Waiting<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

export interface GroupCommitOptions<T = unknown> {
  /** Writes in flight at once; items submitted meanwhile wait and go together in the next write. */
  maxInFlight: number;
  maxPerWrite: number;
  /** An error caused by one item's values: the others of its write are written again one by one. */
  isItemError: (error: unknown) => boolean;
  /**
   * Items with the same key (null: none) never share a write nor go while another with that key is
   * in flight: each waits for the previous one's commit, in the order submitted.
   */
  serialKey?: (item: T) => string | null;
}

/**
 * Group commit: items submitted while earlier writes are in flight are written together by the
 * next `write` (one round trip, one commit), a lone item goes at once. Each submitter's promise
 * settles with its own result once the write that holds its item is done. When a write of several
 * fails because of one item (`isItemError`), each is written again on its own, so one bad item
 * never fails the others; any other failure fails them all at once, with no queue of retries.
 */
export class GroupCommit<T, R> {
  private readonly waiting: Waiting<T, R>[] = [];
  private readonly busyKeys = new Set<string>();
  private inFlight = 0;

  constructor(
    /** Writes the items, returning one result per item in the same order. */
    private readonly write: (items: T[]) => Promise<R[]>,
    private readonly options: GroupCommitOptions<T>,
  ) {}

  submit(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.next();
    });
  }

  private next(): void {
    while (this.inFlight < this.options.maxInFlight && this.waiting.length > 0) {
      const { group, keys } = this.takeGroup();
      if (group.length === 0) return; // all that waits is behind an item in flight
      this.inFlight += 1;
      void this.writeGroup(group).finally(() => {
        this.inFlight -= 1;
        for (const key of keys) this.busyKeys.delete(key);
        this.next();
      });
    }
  }

  private takeGroup(): { group: Waiting<T, R>[]; keys: string[] } {
    const serialKey = this.options.serialKey;
    if (!serialKey) return { group: this.waiting.splice(0, this.options.maxPerWrite), keys: [] };
    const group: Waiting<T, R>[] = [];
    const keys: string[] = [];
    const blocked = new Set<string>();
    for (let i = 0; i < this.waiting.length && group.length < this.options.maxPerWrite; ) {
      const key = serialKey(this.waiting[i]!.item);
      if (key !== null && (this.busyKeys.has(key) || blocked.has(key))) {
        blocked.add(key);
        i += 1;
        continue;
      }
      if (key !== null) {
        this.busyKeys.add(key);
        keys.push(key);
      }
      group.push(this.waiting.splice(i, 1)[0]!);
    }
    return { group, keys };
  }

  private async writeGroup(group: Waiting<T, R>[]): Promise<void> {
    try {
      const results = await this.write(group.map((w) => w.item));
      group.forEach((w, i) => w.resolve(results[i]!));
    } catch (error) {
      if (group.length === 1 || !this.options.isItemError(error)) {
        for (const w of group) w.reject(error);
        return;
      }
      for (const w of group) {
        await this.write([w.item]).then(([result]) => w.resolve(result!), w.reject);
      }
    }
  }
}
