import { SCORE_FIELDS } from '../mappings/mapping.entity';
import { SubmissionScores } from '../submissions/submission.entity';

const LABELS: Record<(typeof SCORE_FIELDS)[number], string> = {
  overall: 'Overall',
  pronunciation: 'Pronunciation',
  fluency: 'Fluency',
  vocab: 'Vocabulary',
  grammar: 'Grammar',
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function scoreParts(scores: SubmissionScores): string[] {
  return SCORE_FIELDS.filter((f) => scores[f] !== undefined).map((f) => `${LABELS[f]} ${scores[f]}`);
}

/** The feedback comment shown to the student on the assignment: component scores and the report link. */
export function feedbackHtml(scores: SubmissionScores, reportUrl: string | null): string {
  const parts = scoreParts(scores);
  const summary = `<p>Speechace scores: ${escapeHtml(parts.join(', '))}.</p>`;
  return reportUrl ? `${summary}<p><a href="${escapeHtml(reportUrl)}">Full Speechace report</a></p>` : summary;
}

/** The same feedback as plain text, for platforms that store the comment as text (LTI AGS `comment`). */
export function feedbackText(scores: SubmissionScores, reportUrl: string | null): string {
  const summary = `Speechace scores: ${scoreParts(scores).join(', ')}.`;
  return reportUrl ? `${summary}\nFull Speechace report: ${reportUrl}` : summary;
}
