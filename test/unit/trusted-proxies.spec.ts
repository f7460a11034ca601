import { randomBytes } from 'node:crypto';
import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { PinoLogger } from 'nestjs-pino';
import { ConfigError, loadConfig } from '../../src/config/app-config';
import { CallbackRoute } from '../../src/intake/callback.route';

const BASE_ENV = {
  ADMIN_API_TOKEN: `admin-${randomBytes(8).toString('hex')}`,
  ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  SIGNING_KEY: randomBytes(32).toString('base64'),
};

/** A request as node:http gives it: the socket's address and an X-Forwarded-For header. */
function request(remoteAddress: string, forwardedFor: string): IncomingMessage {
  const socket = new Socket();
  Object.defineProperty(socket, 'remoteAddress', { value: remoteAddress });
  const req = new IncomingMessage(socket);
  req.headers['x-forwarded-for'] = forwardedFor;
  return req;
}

function routeWith(env: Record<string, string>): CallbackRoute {
  const logger = { setContext: () => undefined } as unknown as PinoLogger;
  const none = null as never;
  return new CallbackRoute(none, none, none, logger, none, loadConfig({ ...BASE_ENV, ...env }));
}

describe('TRUSTED_PROXIES', () => {
  it('trusts only loopback by default: a sender inside a Docker network cannot pick its address', () => {
    const route = routeWith({});
    expect(route.clientAddress(request('172.18.0.5', '203.0.113.9'))).toBe('172.18.0.5');
    expect(route.clientAddress(request('10.0.0.7', '203.0.113.9'))).toBe('10.0.0.7');
    expect(route.clientAddress(request('127.0.0.1', '203.0.113.9'))).toBe('203.0.113.9');
  });

  it('trusts exactly the proxies named, and none with "none"', () => {
    const route = routeWith({ TRUSTED_PROXIES: '172.18.0.0/16' });
    expect(route.clientAddress(request('172.18.0.5', '203.0.113.9'))).toBe('203.0.113.9');
    expect(route.clientAddress(request('172.19.0.5', '203.0.113.9'))).toBe('172.19.0.5');
    expect(route.clientAddress(request('127.0.0.1', '203.0.113.9'))).toBe('127.0.0.1');
    expect(routeWith({ TRUSTED_PROXIES: 'none' }).clientAddress(request('127.0.0.1', '203.0.113.9'))).toBe('127.0.0.1');
  });

  it('refuses a value proxy-addr cannot read, naming the setting', () => {
    expect(() => loadConfig({ ...BASE_ENV, TRUSTED_PROXIES: 'my-proxy' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...BASE_ENV, TRUSTED_PROXIES: 'my-proxy' })).toThrow(/TRUSTED_PROXIES/);
  });
});

describe('LMS_ALLOWED_HOSTS', () => {
  it('takes hosts and host:port, and refuses a URL, naming the setting', () => {
    expect(loadConfig({ ...BASE_ENV, LMS_ALLOWED_HOSTS: 'moodle.example.edu, moodle.example.edu:8443,[::1]:80' }).LMS_ALLOWED_HOSTS).toContain('moodle.example.edu');
    expect(() => loadConfig({ ...BASE_ENV, LMS_ALLOWED_HOSTS: 'https://moodle.example.edu/' })).toThrow(/LMS_ALLOWED_HOSTS must be a comma list/);
  });
});
