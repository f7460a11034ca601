import { InitialSchema1795633400701 } from './1795633400701-InitialSchema';
import { ApiTokensAndAudit1795634153901 } from './1795634153901-ApiTokensAndAudit';
import { PaginationRetrySigning1795634192660 } from './1795634192660-PaginationRetrySigning';
import { ConnectionLimits1795635488240 } from './1795635488240-ConnectionLimits';
import { QuarantineAndKeylessBodies1796093241538 } from './1796093241538-QuarantineAndKeylessBodies';
import { LeasesAndPause1796096533270 } from './1796096533270-LeasesAndPause';
import { AttemptIdentity1796100000000 } from './1796100000000-AttemptIdentity';
import { LtiAgs1796101999225 } from './1796101999225-LtiAgs';

/** Every migration, oldest first. The app runs pending ones at start-up. */
export const MIGRATIONS: Function[] = [InitialSchema1795633400701, ApiTokensAndAudit1795634153901, PaginationRetrySigning1795634192660, ConnectionLimits1795635488240, QuarantineAndKeylessBodies1796093241538, LeasesAndPause1796096533270, AttemptIdentity1796100000000, LtiAgs1796101999225];
