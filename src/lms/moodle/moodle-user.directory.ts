import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { UserMatch } from '../../mappings/mapping.entity';
import { SyncRefused } from '../../sync/sync-outcome';
import { MoodleSession } from './moodle.client';
import { startSharedRead, usingShared } from './shared-calls';

interface Cached<T> {
  value: T;
  at: number;
}

const LOOKUP_CHUNK = 100;

/** A roster fetched less than this long ago is not fetched again just because a user is missing from it. */
const ROSTER_RECHECK_MS = 30_000;

/** Finds the Moodle user a callback names and checks enrolment, caching both per connection. */
@Injectable()
export class MoodleUserDirectory {
  private readonly users = new Map<string, Cached<number>>();
  private readonly rosters = new Map<string, Cached<Set<number>>>();
  /** Roster reads in flight, shared by the claims that need the same course's roster meanwhile. */
  private readonly rosterReads = new Map<string, Promise<Cached<Set<number>>>>();

  constructor(private readonly config: AppConfig) {}

  /**
   * Resolves many callback user values at once: one Moodle call per 100 uncached values. An
   * e-mail that exact lookups miss is looked for, whatever its case, among the e-mails of the
   * course's participants (`courseId`; one more call, only then).
   */
  async resolveUserIds(
    lms: MoodleSession,
    connectionId: string,
    match: UserMatch,
    values: readonly string[],
    courseId?: number,
  ): Promise<Map<string, number | SyncRefused>> {
    const resolved = new Map<string, number | SyncRefused>();
    const unknown: string[] = [];
    for (const value of new Set(values)) {
      const cached = match === 'id' ? undefined : this.fresh(this.users.get(`${connectionId}|${match}|${value}`), this.config.LMS_CACHE_TTL_MS);
      if (match === 'id' || cached !== undefined) resolved.set(value, cached ?? (await this.resolveUserId(lms, connectionId, match, value).catch((e: SyncRefused) => e)));
      else unknown.push(value);
    }
    for (let i = 0; i < unknown.length; i += LOOKUP_CHUNK) {
      const chunk = unknown.slice(i, i + LOOKUP_CHUNK);
      const found = await lms.getUsersByField(match, lookupValues(match, chunk));
      let roster: { id: number; email: string }[] | null = null;
      for (const value of chunk) {
        let users = uniqueById(found.filter((u) => String(u[match] ?? '').toLowerCase() === value.toLowerCase()));
        if (users.length === 0 && match === 'email' && courseId !== undefined) {
          roster ??= await lms.getEnrolledUserEmails(courseId);
          users = uniqueById(roster.filter((u) => u.email.toLowerCase() === value.toLowerCase()));
        }
        if (users.length === 1) {
          const id = Number(users[0]!.id);
          this.users.set(`${connectionId}|${match}|${value}`, { value: id, at: Date.now() });
          resolved.set(value, id);
        } else {
          resolved.set(value, users.length === 0 ? notFound(match, value) : ambiguous(match, value, users.length));
        }
      }
    }
    return resolved;
  }

  async resolveUserId(lms: MoodleSession, connectionId: string, match: UserMatch, value: string): Promise<number> {
    if (match === 'id') {
      if (!/^\d{1,10}$/.test(value)) {
        throw new SyncRefused('failed', `user "${value}" is not a Moodle user id (the mapping matches users on id)`, 'user_not_found');
      }
      return Number(value);
    }
    const cacheKey = `${connectionId}|${match}|${value}`;
    const cached = this.fresh(this.users.get(cacheKey), this.config.LMS_CACHE_TTL_MS);
    if (cached !== undefined) return cached;
    const found = uniqueById(
      (await lms.getUsersByField(match, lookupValues(match, [value]))).filter((u) => String(u[match] ?? '').toLowerCase() === value.toLowerCase()),
    );
    if (found.length === 0) throw notFound(match, value);
    if (found.length > 1) throw ambiguous(match, value, found.length);
    const id = Number(found[0]!.id);
    this.users.set(cacheKey, { value: id, at: Date.now() });
    return id;
  }

  async assertEnrolled(lms: MoodleSession, connectionId: string, courseId: number, userId: number): Promise<void> {
    const cacheKey = `${connectionId}|${courseId}`;
    let roster = this.rosters.get(cacheKey);
    const stale = !roster || Date.now() - roster.at > this.config.LMS_CACHE_TTL_MS;
    const worthRechecking = roster && !roster.value.has(userId) && Date.now() - roster.at > ROSTER_RECHECK_MS;
    if (stale || worthRechecking) roster = await this.readRoster(lms, cacheKey, courseId);
    if (!roster!.value.has(userId)) {
      throw new SyncRefused('failed', `Moodle user ${userId} is not actively enrolled in course ${courseId}`, 'user_not_enrolled');
    }
  }

  /**
   * One roster read per course at a time: a claim that needs it while another claim's read is in
   * flight takes that answer (rosters are cached for minutes anyway), or reads it itself if that read failed.
   */
  private async readRoster(lms: MoodleSession, cacheKey: string, courseId: number): Promise<Cached<Set<number>>> {
    const shared = this.rosterReads.get(cacheKey);
    if (shared) {
      const answer = await usingShared(lms, shared).catch(() => undefined);
      if (answer) return answer;
    }
    const read = startSharedRead(lms, (fork) =>
      fork.getEnrolledUserIds(courseId).then((ids) => {
        const roster = { value: new Set(ids), at: Date.now() };
        this.rosters.set(cacheKey, roster);
        return roster;
      }),
    );
    this.rosterReads.set(cacheKey, read);
    try {
      return await usingShared(lms, read);
    } finally {
      if (this.rosterReads.get(cacheKey) === read) this.rosterReads.delete(cacheKey);
    }
  }

  private fresh<T>(entry: Cached<T> | undefined, ttlMs: number): T | undefined {
    return entry && Date.now() - entry.at <= ttlMs ? entry.value : undefined;
  }
}

/** What user_get_user_details() needs before it shows another user's field (Moodle drops the user from the answer otherwise). */
const LOOKUP_CAPABILITIES: Record<UserMatch, string> = {
  id: 'moodle/user:viewdetails',
  username: 'moodle/user:viewdetails and moodle/user:viewalldetails',
  idnumber: 'moodle/user:viewdetails and moodle/user:viewalldetails',
  email: 'moodle/user:viewdetails and moodle/site:viewuseridentity',
};

/**
 * What to ask Moodle for. Moodle on PostgreSQL compares e-mails exactly (recorded on 5.0.6:
 * STUDENT1@EXAMPLE.COM finds nobody for student1@example.com), so an e-mail is asked for as given
 * and lower-cased, in the same call; the answer is then matched whatever the case. (A stored
 * e-mail in mixed case is found only when the callback spells it the same way or lower-cased
 * matches it; otherwise the course's participants are searched: README "Matching users".)
 */
function lookupValues(match: UserMatch, values: readonly string[]): string[] {
  if (match !== 'email') return [...values];
  return [...new Set(values.flatMap((v) => [v, v.toLowerCase()]))];
}

function uniqueById<U extends { id: number }>(users: U[]): U[] {
  return [...new Map(users.map((u) => [Number(u.id), u])).values()];
}

function notFound(match: UserMatch, value: string): SyncRefused {
  return new SyncRefused(
    'failed',
    `no Moodle user has ${match} "${value}" (or the web-service user may not see users by ${match}: its role needs ${LOOKUP_CAPABILITIES[match]}, in the system context)`,
    'user_not_found',
  );
}

function ambiguous(match: UserMatch, value: string, count: number): SyncRefused {
  return new SyncRefused('failed', `${count} Moodle users have ${match} "${value}"; cannot tell which one to grade`, 'user_ambiguous');
}
