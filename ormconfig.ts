import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadEnvFile } from './src/config/env-file';
import { dataSourceOptions } from './src/database/data-source-options';

loadEnvFile(); // as `npm run start:prod` does; the environment wins

/** The TypeORM CLI's data source: `npm run migration:run` and `migration:generate` use it. */
export default new DataSource(
  dataSourceOptions(process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/speechace_grade_sync'),
);
