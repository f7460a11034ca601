import { ApiTokenEntity } from '../admin/tokens/api-token.entity';
import { AuditEntryEntity } from '../admin/audit/audit-entry.entity';
import { AssessmentKeyEntity } from '../assessments/assessment-key.entity';
import { AssessmentEntity } from '../assessments/assessment.entity';
import { ConnectionEntity } from '../connections/connection.entity';
import { LtiToolKeyEntity } from '../lti/lti-tool-key.entity';
import { MappingEntity } from '../mappings/mapping.entity';
import { QuarantinedCallbackEntity } from '../quarantine/quarantined-callback.entity';
import { SubmissionEntity } from '../submissions/submission.entity';
import { SyncAttemptEntity } from '../sync/sync-attempt.entity';
import { SyncEntity } from '../sync/sync.entity';

export const ENTITIES = [
  ConnectionEntity,
  AssessmentEntity,
  AssessmentKeyEntity,
  MappingEntity,
  SubmissionEntity,
  SyncEntity,
  SyncAttemptEntity,
  ApiTokenEntity,
  AuditEntryEntity,
  QuarantinedCallbackEntity,
  LtiToolKeyEntity,
];
