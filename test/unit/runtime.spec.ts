import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { engines } from '../../package.json';

const REPO_ROOT = join(__dirname, '../..');
const ENGINES_MAJOR = Number(/>=\s*(\d+)/.exec(engines.node)?.[1]);

/** The Node.js the tests, the service children and every npm script run on is the pinned `engines` major, not the system Node. */
describe('runtime', () => {
  it('runs the tests themselves on the engines major', () => {
    expect(ENGINES_MAJOR).toBeGreaterThanOrEqual(24);
    expect(Number(process.versions.node.split('.')[0])).toBe(ENGINES_MAJOR);
  });

  it('runs npm scripts (start:prod, build, the service children) on the same Node.js binary', () => {
    const printed = execFileSync('npm', ['run', '--silent', 'check:node'], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(printed).toContain(`node ${process.version} `);
    const child = execFileSync(process.execPath, ['-p', 'process.version'], { encoding: 'utf8' }).trim();
    expect(child).toBe(process.version);
  });
});
