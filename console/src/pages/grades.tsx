import { useEffect, useState } from 'preact/hooks';
import { api, apiText } from '../api/client';
import type { CourseGrades } from '../api/types';
import { coursesOf, useCatalog } from '../components/catalog';
import { describeTarget, formatTime, orDash } from '../components/format';
import { SelectField } from '../components/form';
import { DataTable, LoadState, Notice } from '../components/status';
import { useApi } from '../components/use-api';
import { useMe } from '../session';

const NO_ERRORS = { byField: {}, general: [] };

/** Per course: each student's latest attempt per mapping, and the grade Moodle holds from us. */
export function GradesPage() {
  const me = useMe();
  const { mappings } = useCatalog();
  const courses = coursesOf(me, mappings.data);
  const [course, setCourse] = useState('');
  const [downloadError, setDownloadError] = useState<string | null>(null);
  useEffect(() => {
    if (course === '' && courses.length > 0) setCourse(String(courses[0]));
  }, [courses.join(',')]);
  const csvPath = `/api/v1/courses/${course}/grades?format=csv`;

  /** The CSV needs the bearer token, so the link fetches it and hands the browser a file. */
  async function download(event: Event) {
    event.preventDefault();
    try {
      const csv = await apiText(`/courses/${course}/grades?format=csv`, 'text/csv');
      const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv' }));
      const link = document.createElement('a');
      link.href = url;
      link.download = `course-${course}-grades.csv`;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setDownloadError(null);
    } catch (e) {
      setDownloadError(e instanceof Error ? e.message : String(e));
    }
  }

  return (
    <section>
      <h1>Grades</h1>
      {courses.length === 0 ? (
        <p>No course yet: grades appear here once a mapping names a course.</p>
      ) : (
        <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Choose a course">
          <SelectField label="Course" name="course" errors={NO_ERRORS} value={course} onChange={setCourse} options={courses.map((c) => ({ value: String(c), label: `Course ${c}` }))} />
          {course && (
            <a href={csvPath} onClick={(e) => void download(e)} class="button-link">
              Download CSV
            </a>
          )}
        </form>
      )}
      <Notice text={downloadError} kind="error" />
      {course && <CourseGradesTable course={course} />}
    </section>
  );
}

function CourseGradesTable(props: { course: string }) {
  const grades = useApi(() => api<CourseGrades>('GET', `/courses/${props.course}/grades`), props.course);
  return (
    <LoadState data={grades.data} error={grades.error}>
      {(view) => (
        <DataTable
          label={`Grades of course ${view.lmsCourseId}`}
          empty={`No grades in course ${view.lmsCourseId} yet.`}
          columns={['Student', 'Item', 'Score', 'Received', 'Sync', 'Grade in the LMS', 'Synced']}
          rows={view.rows}
        >
          {(row) => (
            <tr key={`${row.mappingId}-${row.userRef}`}>
              <td>{row.userRef}{row.lmsUserId !== null && String(row.lmsUserId) !== row.userRef ? ` (user ${row.lmsUserId})` : ''}</td>
              <td>{describeTarget(row.target)} · {row.scoreField}</td>
              <td>{orDash(row.scores[row.scoreField])}</td>
              <td>{formatTime(row.receivedAt)}</td>
              <td>
                <a href={`/console/syncs/${row.syncId}`}>{row.syncState}</a>
                {row.syncReason ? ` — ${row.syncReason}` : ''}
              </td>
              <td>{orDash(row.syncedGrade)}</td>
              <td>{formatTime(row.syncedAt)}</td>
            </tr>
          )}
        </DataTable>
      )}
    </LoadState>
  );
}
