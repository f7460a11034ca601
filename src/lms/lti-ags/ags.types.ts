/** The AGS scopes this service asks for: read line items and results, write scores. */
export const AGS_SCOPES = {
  lineItemRead: 'https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly',
  resultRead: 'https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly',
  score: 'https://purl.imsglobal.org/spec/lti-ags/scope/score',
} as const;
export const REQUIRED_AGS_SCOPES: readonly string[] = Object.values(AGS_SCOPES);

export const MEDIA_TYPES = {
  lineItem: 'application/vnd.ims.lis.v2.lineitem+json',
  lineItemContainer: 'application/vnd.ims.lis.v2.lineitemcontainer+json',
  resultContainer: 'application/vnd.ims.lis.v2.resultcontainer+json',
  score: 'application/vnd.ims.lis.v1.score+json',
} as const;

/** What a stored lti-ags connection gives the client. */
export interface AgsPlatform {
  connectionId: string;
  clientId: string;
  tokenUrl: string;
  /** The assertion's aud: the token URL unless the connection names another. */
  audience: string;
}

export interface AgsLineItem {
  id: string;
  label: string;
  scoreMaximum: number;
  resourceLinkId?: string;
  resourceId?: string;
  tag?: string;
}

export interface AgsResult {
  userId: string;
  resultScore: number | null;
  resultMaximum: number | null;
  comment: string | null;
  /** Not every platform sends it (Moodle 5.0 does not). */
  timestamp: string | null;
}

export interface AgsScore {
  userId: string;
  scoreGiven: number;
  scoreMaximum: number;
  activityProgress: 'Completed';
  gradingProgress: 'FullyGraded';
  timestamp: string;
  comment?: string;
}

/** The platform's answer to a score: written, or 409 (it holds a grade at least as new). */
export type ScoreAnswer = 'written' | 'conflict';
