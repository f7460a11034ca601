import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { createDatabase } from '../support/test-app';

/** The migrations build exactly the schema the entities describe: nothing to generate. */
describe('database schema', () => {
  it('has no drift between migrations and entities', async () => {
    const db = new DataSource(dataSourceOptions(await createDatabase(), 1));
    await db.initialize();
    try {
      const pending = await db.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((q) => q.query)).toEqual([]);
    } finally {
      await db.destroy();
    }
  });
});
