import { InitialSchema1795633400701 } from './1795633400701-InitialSchema';

/** Every migration, oldest first. The app runs pending ones at start-up. */
export const MIGRATIONS: Function[] = [InitialSchema1795633400701];
