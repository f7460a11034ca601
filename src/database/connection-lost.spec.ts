import { isConnectionLost, withOneRetryOnLostConnection } from './connection-lost';

const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('withOneRetryOnLostConnection', () => {
  it.each([
    ['pg_terminate_backend (57P01)', pgError('57P01', 'terminating connection due to administrator command')],
    ['a crash shutdown (57P02)', pgError('57P02')],
    ['a connection exception (08006)', pgError('08006')],
    ['the driver seeing the socket close', new Error('Connection terminated unexpectedly')],
    ['a reset socket', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
  ])('tries once more after %s', async (_name, error) => {
    const calls: number[] = [];
    const result = await withOneRetryOnLostConnection(async () => {
      calls.push(calls.length);
      if (calls.length === 1) throw error;
      return 'stored';
    });
    expect(result).toBe('stored');
    expect(calls).toHaveLength(2);
  });

  it('gives up after the second loss, with that error', async () => {
    let calls = 0;
    await expect(
      withOneRetryOnLostConnection(async () => {
        calls += 1;
        throw pgError('57P01', `lost ${calls}`);
      }),
    ).rejects.toThrow('lost 2');
    expect(calls).toBe(2);
  });

  it.each([
    ['a unique violation', pgError('23505')],
    ['a bad value', pgError('22P02')],
    ['PostgreSQL not accepting connections yet (57P03)', pgError('57P03')],
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['a non-error', 'boom'],
  ])('does not repeat a statement after %s', async (_name, error) => {
    let calls = 0;
    await expect(
      withOneRetryOnLostConnection(async () => {
        calls += 1;
        throw error;
      }),
    ).rejects.toBe(error);
    expect(calls).toBe(1);
    expect(isConnectionLost(error)).toBe(false);
  });
});
