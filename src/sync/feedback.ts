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

/** The feedback comment shown to the student on the assignment: component scores and the report link. */
export function feedbackHtml(scores: SubmissionScores, reportUrl: string | null): string {
  const parts = SCORE_FIELDS.filter((f) => scores[f] !== undefined).map((f) => `${LABELS[f]} ${scores[f]}`);
  const summary = `<p>Speechace scores: ${escapeHtml(parts.join(', '))}.</p>`;
  return reportUrl ? `${summary}<p><a href="${escapeHtml(reportUrl)}">Full Speechace report</a></p>` : summary;
}
