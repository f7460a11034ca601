import { GroupCommit } from './group-commit';

/** A write that records each call and can be held open, to see what goes together. */
function recorder(fail?: (items: number[]) => Error | null) {
  const writes: number[][] = [];
  let release: (() => void) | null = null;
  let held = false;
  const write = async (items: number[]) => {
    writes.push(items);
    if (held) await new Promise<void>((resolve) => (release = resolve));
    const error = fail?.(items);
    if (error) throw error;
    return items.map((i) => i * 10);
  };
  return { writes, write, hold: () => (held = true), release: () => { held = false; release?.(); } };
}

const itemError = (error: unknown) => (error as Error).message === 'bad item';

describe('GroupCommit', () => {
  it('writes a lone item at once, and the items that arrive meanwhile together, each getting its own result', async () => {
    const r = recorder();
    const groups = new GroupCommit(r.write, { maxInFlight: 1, maxPerWrite: 3, isItemError: itemError });
    r.hold();
    const first = groups.submit(1);
    const rest = [2, 3, 4, 5, 6].map((i) => groups.submit(i));
    r.release();
    expect(await Promise.all([first, ...rest])).toEqual([10, 20, 30, 40, 50, 60]);
    expect(r.writes).toEqual([[1], [2, 3, 4], [5, 6]]);
  });

  it('writes the others of a group one by one when one item is bad, and fails only that one', async () => {
    const r = recorder((items) => (items.includes(3) ? new Error('bad item') : null));
    const groups = new GroupCommit(r.write, { maxInFlight: 1, maxPerWrite: 10, isItemError: itemError });
    r.hold();
    const all = [1, 2, 3, 4].map((i) => groups.submit(i));
    r.release();
    const settled = await Promise.allSettled(all);
    expect(settled.map((s) => (s.status === 'fulfilled' ? s.value : 'failed'))).toEqual([10, 20, 'failed', 40]);
    expect(r.writes).toEqual([[1], [2, 3, 4], [2], [3], [4]]);
  });

  it('fails a whole group at once, without retries, when the write itself fails', async () => {
    const r = recorder(() => new Error('connection refused'));
    const groups = new GroupCommit(r.write, { maxInFlight: 1, maxPerWrite: 10, isItemError: itemError });
    r.hold();
    const all = [1, 2, 3].map((i) => groups.submit(i));
    r.release();
    const settled = await Promise.allSettled(all);
    expect(settled.every((s) => s.status === 'rejected')).toBe(true);
    expect(r.writes).toEqual([[1], [2, 3]]);
  });

  it('never writes two items of one serial key together, and keeps their order', async () => {
    const r = recorder();
    const groups = new GroupCommit(r.write, { maxInFlight: 1, maxPerWrite: 10, isItemError: itemError, serialKey: (i: number) => (i % 2 === 0 ? 'even' : null) });
    r.hold();
    const first = groups.submit(2);
    const rest = [1, 4, 3, 6, 5].map((i) => groups.submit(i));
    r.release();
    expect(await Promise.all([first, ...rest])).toEqual([20, 10, 40, 30, 60, 50]);
    expect(r.writes).toEqual([[2], [1, 4, 3, 5], [6]]);
  });

  it('holds an item back while another of its key is in flight, and lets the others go', async () => {
    const r = recorder();
    const groups = new GroupCommit(r.write, { maxInFlight: 2, maxPerWrite: 10, isItemError: itemError, serialKey: (i: number) => (i % 2 === 0 ? 'even' : null) });
    r.hold();
    const first = groups.submit(2);
    const second = groups.submit(4);
    await new Promise((resolve) => setImmediate(resolve));
    expect(r.writes).toEqual([[2]]);
    r.release();
    expect(await Promise.all([first, second])).toEqual([20, 40]);
    expect(r.writes).toEqual([[2], [4]]);
  });
});
