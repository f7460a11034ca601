/**
 * True when PostgreSQL ended the connection a statement was using (pg_terminate_backend, a
 * restart, a network cut): SQLSTATE class 08, 57P01 admin_shutdown, 57P02 crash_shutdown, or the
 * driver's own "Connection terminated". The pool has already dropped that connection, so one more
 * try runs on a fresh one; when PostgreSQL is really down, that try fails at once too.
 */
export function isConnectionLost(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && (code.startsWith('08') || code === '57P01' || code === '57P02')) return true;
  return error instanceof Error && /Connection terminated|ECONNRESET|EPIPE/i.test(error.message);
}

/** Runs `statement`, and once more if its connection was lost: for statements that are safe to repeat. */
export async function withOneRetryOnLostConnection<T>(statement: () => Promise<T>): Promise<T> {
  try {
    return await statement();
  } catch (error) {
    if (!isConnectionLost(error)) throw error;
    return statement();
  }
}
