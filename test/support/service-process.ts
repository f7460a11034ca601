import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

export const REPO_ROOT = join(__dirname, '../..');

/** The real service as its own process (src/main.ts through ts-node, or `npm run start:prod`), with its output kept. */
export class ServiceProcess {
  private text = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(readonly child: ChildProcess) {
    child.stdout!.on('data', (d: Buffer) => (this.text += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (this.text += d.toString()));
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** `env` is added to a clean environment; no .env file is read (ENV_FILE is empty) unless `env` names one. */
  static start(env: Record<string, string>, how: 'ts-node' | 'npm-start-prod' = 'ts-node'): ServiceProcess {
    const fullEnv = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ENV_FILE: '', LOG_LEVEL: 'warn', ...env };
    const child =
      how === 'ts-node'
        ? spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', join(REPO_ROOT, 'src/main.ts')], { cwd: REPO_ROOT, env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] })
        : spawn('npm', ['run', '--silent', 'start:prod'], { cwd: REPO_ROOT, env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    return new ServiceProcess(child);
  }

  get output(): string {
    return this.text;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
}
