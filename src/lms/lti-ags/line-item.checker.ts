import { Injectable } from '@nestjs/common';
import { ConnectionEntity } from '../../connections/connection.entity';
import { LmsError } from '../moodle/moodle-errors';
import { AgsClient, AgsSession } from './ags.client';
import { AgsLineItem } from './ags.types';

export type LineItemCheck =
  | { found: true; item: AgsLineItem }
  /** The platform says the line item or the registration is wrong: a mapping to it is refused. */
  | { found: false; refused: true; problem: LmsError }
  /** The platform could not be asked (network, timeout, 5xx, 429): nothing is known. */
  | { found: null; refused: false; problem: LmsError };

/** Reads a line item to tell whether a mapping to it can work. */
@Injectable()
export class LineItemChecker {
  constructor(private readonly ags: AgsClient) {}

  async check(connection: ConnectionEntity, lineItemUrl: string, session: AgsSession = this.ags.session(connection)): Promise<LineItemCheck> {
    try {
      return { found: true, item: await session.getLineItem(lineItemUrl) };
    } catch (error) {
      if (!(error instanceof LmsError)) throw error;
      return error.kind === 'permanent' ? { found: false, refused: true, problem: error } : { found: null, refused: false, problem: error };
    }
  }
}
