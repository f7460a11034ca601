import { timingSafeEqual } from 'node:crypto';
import { createBullBoard } from '@bull-board/api';
import { BullAdapter } from '@bull-board/api/bullAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { getQueueToken } from '@nestjs/bull';
import { INestApplication } from '@nestjs/common';
import { Queue } from 'bull';
import { NextFunction, Request, Response } from 'express';
import { TokensService } from '../admin/tokens/tokens.service';
import { hashSecret } from '../common/crypto/secret-hash';
import { AppConfig } from '../config/app-config';
import { SYNC_QUEUE } from '../sync/sync.queue';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';

/**
 * The Bull queue dashboard for admins. Browsers cannot send a bearer header, so an admin token
 * is also accepted as the password of HTTP Basic auth (any user name).
 */
export function mountQueueDashboard(app: INestApplication, config: AppConfig): void {
  const board = new ExpressAdapter();
  board.setBasePath(QUEUE_DASHBOARD_PATH);
  createBullBoard({ queues: [new BullAdapter(app.get<Queue>(getQueueToken(SYNC_QUEUE)))], serverAdapter: board });
  app.use(QUEUE_DASHBOARD_PATH, adminOnly(config, app.get(TokensService)), board.getRouter());
}

function adminOnly(config: AppConfig, tokens: TokensService) {
  const adminHash = Buffer.from(hashSecret(config.ADMIN_API_TOKEN), 'hex');
  return (req: Request, res: Response, next: NextFunction): void => {
    const presented = presentedToken(req.headers.authorization);
    const refuse = (status: number, message: string) => {
      if (status === 401) res.setHeader('WWW-Authenticate', 'Basic realm="speechace-grade-sync queue dashboard"');
      res.status(status).json({ statusCode: status, message });
    };
    if (!presented) return refuse(401, 'Send an admin token as a bearer token or as the Basic auth password');
    if (timingSafeEqual(Buffer.from(hashSecret(presented), 'hex'), adminHash)) return next();
    tokens
      .authenticate(presented)
      .then((principal) => {
        if (!principal) return refuse(401, 'Unknown or revoked API token');
        if (principal.role !== 'admin') return refuse(403, 'The queue dashboard needs an admin token');
        next();
      })
      .catch(next);
  };
}

function presentedToken(header: string | undefined): string | null {
  const bearer = /^Bearer\s+(\S{1,512})\s*$/i.exec(header ?? '');
  if (bearer) return bearer[1]!;
  const basic = /^Basic\s+([A-Za-z0-9+/=]{1,1024})\s*$/i.exec(header ?? '');
  if (!basic) return null;
  const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
  const password = decoded.slice(decoded.indexOf(':') + 1);
  return password.length > 0 ? password : null;
}
