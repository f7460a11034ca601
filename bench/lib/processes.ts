import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import ts from 'typescript';
import { log, REPO_ROOT, sleep } from './bench-env';
import { MemorySampler } from './memory';

const SERVICE_ENTRY = path.join(REPO_ROOT, 'dist', 'src', 'main.js');
/**
 * Run first in each child: its stdin is a pipe from the bench, which closes when the bench dies
 * however it dies (even SIGKILL), and then the child exits too instead of running on as an orphan.
 */
const EXIT_WITH_BENCH = "process.stdin.on('end', () => process.exit(1)); process.stdin.resume();\n";

function newestMtimeMs(dir: string, depth = 0): number {
  if (depth > 10) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtimeMs(full, depth + 1));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

/** Runs `npm run build` when dist/ is missing or older than src/, so the bench never measures stale code. */
export function ensureBuilt(): void {
  const builtAt = existsSync(SERVICE_ENTRY) ? statSync(SERVICE_ENTRY).mtimeMs : 0;
  if (builtAt > 0 && builtAt >= newestMtimeMs(path.join(REPO_ROOT, 'src'))) return;
  log(builtAt ? 'src/ changed since the last build: running npm run build' : 'dist/ is missing: running npm run build');
  const result = spawnSync('npm', ['run', 'build'], { cwd: REPO_ROOT, stdio: 'inherit', timeout: 300_000 });
  if (result.status !== 0 || !existsSync(SERVICE_ENTRY)) throw new Error('npm run build failed; fix the build and run the bench again');
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A server child process with its port, the tail of its output, and its peak memory. */
export class ChildServer {
  private readonly tail: string[] = [];
  private readonly memory: MemorySampler;
  private exited = false;
  private exitStatus: string | null = null;
  private stopping = false;
  private peakRssMb: number | null = null;

  constructor(
    readonly name: string,
    readonly port: number,
    private readonly child: ChildProcess,
  ) {
    if (child.pid === undefined) throw new Error(`${name} did not start`);
    this.memory = new MemorySampler(child.pid);
    const keep = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) this.tail.push(line);
      this.tail.splice(0, Math.max(0, this.tail.length - 40));
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.once('exit', (code, signal) => {
      this.exited = true;
      this.exitStatus = signal ? `signal ${signal}` : `exit code ${code}`;
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  output(): string {
    return this.tail.join('\n');
  }

  /** Why the process ended before the bench stopped it (with the tail of its output); null while it runs. */
  unexpectedExit(): string | null {
    if (!this.exited || this.stopping) return null;
    return `${this.name} (pid ${this.pid}) ended by itself (${this.exitStatus}); its last output:\n${this.output()}`;
  }

  /** Polls GET `pathname` until it answers 200. */
  async waitReady(pathname: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.exited) throw new Error(`${this.name} exited during start-up:\n${this.output()}`);
      try {
        const res = await fetch(`${this.baseUrl}${pathname}`, { signal: AbortSignal.timeout(2000) });
        if (res.status === 200) return;
      } catch {
        // not listening yet
      }
      await sleep(200);
    }
    throw new Error(`${this.name} was not ready within ${timeoutMs} ms:\n${this.output()}`);
  }

  /** Peak resident memory in MB, known once stop() ran; null if it could not be read. */
  get peakRss(): number | null {
    return this.peakRssMb;
  }

  /** Sends `signal` (a fault the bench injects, not a crash) and waits for the exit. */
  async kill(signal: NodeJS.Signals): Promise<void> {
    this.peakRssMb ??= this.memory.stop();
    if (this.exited) return;
    this.stopping = true;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill(signal);
    await exited;
  }

  /** SIGTERM, then SIGKILL after `graceMs`. Reads the peak memory first. Safe to call twice. */
  async stop(graceMs = 10_000): Promise<void> {
    this.peakRssMb ??= this.memory.stop();
    if (this.exited) return;
    this.stopping = true;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}

/** The real service, dist/src/main.js as `npm run start:prod` runs it, on a free port. */
export async function startService(name: string, env: Record<string, string>): Promise<ChildServer> {
  const port = await freePort();
  const nodeArgs = (process.env.BENCH_SERVICE_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  const child = spawn(process.execPath, [...nodeArgs, '-e', `${EXIT_WITH_BENCH}require(${JSON.stringify(SERVICE_ENTRY)});`], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', PORT: String(port), ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return new ChildServer(name, port, child);
}

/**
 * bench/minimal-intake-server.ts, transpiled here and run by plain `node` (not ts-node), so its
 * memory and speed are those of an ordinary compiled Node server.
 */
export async function startMinimalServer(env: Record<string, string>): Promise<ChildServer> {
  const port = await freePort();
  const source = readFileSync(path.join(REPO_ROOT, 'bench', 'minimal-intake-server.ts'), 'utf8');
  const js = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  }).outputText;
  const child = spawn(process.execPath, ['-e', EXIT_WITH_BENCH + js], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', PORT: String(port), ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return new ChildServer('minimal server', port, child);
}
