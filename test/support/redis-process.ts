import { ChildProcess, spawn } from 'node:child_process';
import { createConnection } from 'node:net';

/** A private redis-server on its own port, so a test can stop and restart "Redis" without touching the shared one. */
export class RedisProcess {
  private child?: ChildProcess;

  private constructor(readonly port: number) {}

  static async start(port: number): Promise<RedisProcess> {
    const redis = new RedisProcess(port);
    await redis.up();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async up(): Promise<void> {
    this.child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await waitUntil(() => canConnect(this.port), true);
  }

  async down(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    await waitUntil(() => canConnect(this.port), false);
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

async function waitUntil(check: () => Promise<boolean>, wanted: boolean): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await check()) === wanted) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server did not ${wanted ? 'start' : 'stop'}`);
}
