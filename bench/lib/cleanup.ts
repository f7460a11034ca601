import { log } from './bench-env';

type Step = { name: string; run: () => Promise<void> };

/**
 * Everything a bench run must undo (children, databases, Redis keys), undone in reverse order on
 * success, on failure, on Ctrl-C and when the run's hard time limit fires.
 */
export class Cleanup {
  private readonly steps: Step[] = [];
  private done?: Promise<void>;

  add(name: string, run: () => Promise<void>): void {
    this.steps.push({ name, run });
  }

  run(): Promise<void> {
    this.done ??= (async () => {
      for (const step of this.steps.reverse()) {
        try {
          await step.run();
        } catch (error) {
          log(`cleanup "${step.name}" failed: ${(error as Error).message}`);
        }
      }
    })();
    return this.done;
  }
}

/**
 * Runs `main` with a hard time limit and cleans up however it ends. Exit code: main's result,
 * 1 on an error, 2 when the time limit fired, 130 on Ctrl-C.
 */
export function runBench(name: string, limitMs: number, main: (cleanup: Cleanup) => Promise<number>): void {
  const cleanup = new Cleanup();
  const finish = (code: number) => void cleanup.run().then(() => process.exit(code));
  const watchdog = setTimeout(() => {
    log(`${name}: hard time limit of ${Math.round(limitMs / 1000)} s reached; cleaning up`);
    finish(2);
  }, limitMs);
  const interrupted = (signal: string, code: number) => () => {
    log(`${name}: ${signal}; cleaning up`);
    finish(code);
  };
  process.once('SIGINT', interrupted('interrupted', 130));
  process.once('SIGTERM', interrupted('terminated', 143));
  // Output cut off (e.g. piped into `head`) must not stop the bench before it has cleaned up.
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);
  const crashed = (error: unknown) => {
    log(`${name} crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    finish(1);
  };
  process.on('uncaughtException', crashed);
  process.on('unhandledRejection', crashed);
  main(cleanup)
    .then((code) => {
      clearTimeout(watchdog);
      finish(code);
    })
    .catch((error: unknown) => {
      clearTimeout(watchdog);
      log(`${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      finish(1);
    });
}
