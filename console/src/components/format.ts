import type { MappingTarget } from '../api/types';

export function describeTarget(target: MappingTarget): string {
  switch (target.type) {
    case 'assign':
      return `Assignment ${target.assignmentId} (cmid ${target.cmid})`;
    case 'activity':
      return `${target.component} (cmid ${target.cmid}, item ${target.itemNumber})`;
    case 'lineitem':
      return `Line item ${target.lineItemUrl}`;
  }
}

export function formatTime(iso: string | null): string {
  return iso ? new Date(iso).toLocaleString() : '—';
}

export function formatAge(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
  return `${Math.floor(seconds / 86400)} d ${Math.floor((seconds % 86400) / 3600)} h`;
}

export function orDash(value: string | number | null | undefined): string {
  return value === null || value === undefined || value === '' ? '—' : String(value);
}
