import { MoodleSession } from './moodle.client';

interface Origin {
  /** The session the read ran on: it holds exactly the read's calls. */
  fork: MoodleSession;
  /** The session that started the read. */
  starter: MoodleSession;
}

const origins = new WeakMap<Promise<unknown>, Origin>();

/**
 * Starts a read whose answer other sessions (other claims of this worker) may share. It runs on a
 * fork of `lms`, so its calls can be recorded with every attempt that uses the answer (`usingShared`).
 */
export function startSharedRead<T>(lms: MoodleSession, read: (fork: MoodleSession) => Promise<T>): Promise<T> {
  const fork = lms.fork();
  const answer = read(fork);
  origins.set(answer, { fork, starter: lms });
  return answer;
}

/**
 * The shared read's answer, once it has settled with its calls recorded in `lms` (marked `shared`
 * unless `lms` started it). A promise not started by startSharedRead is returned as it is.
 */
export function usingShared<T>(lms: MoodleSession, answer: Promise<T>): Promise<T> {
  const origin = origins.get(answer);
  if (!origin) return answer;
  const record = () => lms.adopt(origin.fork, origin.starter !== lms);
  return answer.then(
    (value) => {
      record();
      return value;
    },
    (error: unknown) => {
      record();
      throw error;
    },
  );
}
