import { ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import type { SimCall, SimStats } from '../../test/moodle-simulator/types';
import type { BenchCourse } from './drain-layout';

export type SimRequest =
  | { op: 'configure'; latencyMs: number; perSecond: number }
  | { op: 'costModel'; workers: number; cores: number }
  | { op: 'callCount' }
  | { op: 'calls' }
  | { op: 'stats' }
  | { op: 'gradesHeld'; cmid: number; userIds: number[] };

/** A Moodle simulator in a child process (bench/lib/simulator-child.ts), driven over IPC. */
export class SimulatorProcess {
  private nextId = 0;
  private readonly pending = new Map<number, (result: unknown) => void>();

  private constructor(
    private readonly child: ChildProcess,
    readonly baseUrl: string,
    readonly token: string,
  ) {
    child.on('message', (message: { id?: number; result?: unknown }) => {
      if (message.id === undefined) return;
      this.pending.get(message.id)?.(message.result);
      this.pending.delete(message.id);
    });
  }

  /** The demo site plus `students` in `courseId`, or the courses of a drain layout. */
  static start(env: { students: number; firstStudentId: number; courseId: number } | { layout: BenchCourse[] }): Promise<SimulatorProcess> {
    const seed =
      'layout' in env
        ? { SIM_LAYOUT: JSON.stringify(env.layout) }
        : { SIM_STUDENTS: String(env.students), SIM_FIRST_STUDENT_ID: String(env.firstStudentId), SIM_COURSE_ID: String(env.courseId) };
    const child = fork(path.join(__dirname, 'simulator-child.ts'), [], {
      execArgv: ['-r', 'ts-node/register'],
      env: { PATH: process.env.PATH ?? '', TS_NODE_TRANSPILE_ONLY: '1', ...seed },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new Promise((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`the Moodle simulator process ended (${code}) before it was ready`)));
      child.once('message', (message: { ready?: { baseUrl: string; token: string } }) => {
        if (message.ready) resolve(new SimulatorProcess(child, message.ready.baseUrl, message.ready.token));
      });
    });
  }

  configure(latencyMs: number, perSecond: number): Promise<void> {
    return this.ask({ op: 'configure', latencyMs, perSecond }) as Promise<void>;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Answers cost what they cost a real Moodle, on `workers` PHP workers sharing `cores` CPUs; clears the calls. */
  useCostModel(workers: number, cores: number): Promise<void> {
    return this.ask({ op: 'costModel', workers, cores }) as Promise<void>;
  }

  callCount(): Promise<number> {
    return this.ask({ op: 'callCount' }) as Promise<number>;
  }

  calls(): Promise<SimCall[]> {
    return this.ask({ op: 'calls' }) as Promise<SimCall[]>;
  }

  stats(): Promise<SimStats> {
    return this.ask({ op: 'stats' }) as Promise<SimStats>;
  }

  gradesHeld(cmid: number, userIds: number[]): Promise<number> {
    return this.ask({ op: 'gradesHeld', cmid, userIds }) as Promise<number>;
  }

  close(): Promise<void> {
    if (this.child.exitCode !== null) return Promise.resolve();
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.disconnect();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    return exited.finally(() => clearTimeout(timer));
  }

  private ask(request: SimRequest): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (!this.child.connected) return reject(new Error('the Moodle simulator process is gone'));
      this.pending.set(id, resolve);
      this.child.send({ id, request });
    });
  }
}
