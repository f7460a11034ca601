/** What the simulated platform holds: courses with enrolled users, line items, grades, issued tokens. */

export const SCOPES = {
  lineItem: 'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem',
  lineItemRead: 'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly',
  resultRead: 'https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly',
  score: 'https://purl.imsglobal.org/spec/lti-ags/scope/score',
} as const;

export interface SimLineItem {
  itemId: number;
  courseId: number;
  label: string;
  scoreMaximum: number;
  resourceLinkId: string;
}

/** A stored grade as Moodle keeps it: the final grade on the item's maximum, the feedback, whole-second time. */
export interface SimStoredGrade {
  grade: number;
  comment: string | null;
  timemodified: number;
}

export interface SimIssuedToken {
  scopes: string[];
  expiresAt: number;
}

export class PlatformState {
  readonly enrolments = new Map<number, Set<number>>();
  readonly lineItems = new Map<number, SimLineItem>();
  /** `${itemId}:${userId}` → grade. */
  readonly grades = new Map<string, SimStoredGrade>();
  readonly tokens = new Map<string, SimIssuedToken>();
  private nextItemId = 3;

  enrol(courseId: number, ...userIds: number[]): void {
    const users = this.enrolments.get(courseId) ?? new Set<number>();
    for (const id of userIds) users.add(id);
    this.enrolments.set(courseId, users);
  }

  isEnrolled(courseId: number, userId: number): boolean {
    return this.enrolments.get(courseId)?.has(userId) ?? false;
  }

  addLineItem(courseId: number, label: string, scoreMaximum: number): SimLineItem {
    const item = { itemId: this.nextItemId++, courseId, label, scoreMaximum, resourceLinkId: String(this.lineItems.size + 1) };
    this.lineItems.set(item.itemId, item);
    return item;
  }

  grade(itemId: number, userId: number): SimStoredGrade | undefined {
    return this.grades.get(`${itemId}:${userId}`);
  }

  setGrade(itemId: number, userId: number, grade: SimStoredGrade): void {
    this.grades.set(`${itemId}:${userId}`, grade);
  }
}
