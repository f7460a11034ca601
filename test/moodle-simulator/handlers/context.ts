import type { SimState, SimUser } from '../state';

/** What a web-service function sees of the simulator while it runs. */
export interface WsContext {
  readonly state: SimState;
  /** The user the token belongs to ($USER). */
  readonly tokenUser: SimUser;
  /** The Moodle wwwroot, without a trailing slash. */
  readonly baseUrl: string;
  /** Functions of the token's external service, in the service's order. */
  readonly serviceFunctions: readonly string[];
  readonly userPrivateAccessKey: string;
  can(capability: string): boolean;
}

export type WsHandler = (ctx: WsContext, params: Record<string, unknown>) => unknown;

export function fullname(user: SimUser): string {
  return `${user.firstname} ${user.lastname}`.trim();
}
