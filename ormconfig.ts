import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './src/database/data-source-options';

if (existsSync('.env')) process.loadEnvFile('.env'); // as `npm run start:prod` does; the environment wins

/** The TypeORM CLI's data source: `npm run migration:run` and `migration:generate` use it. */
export default new DataSource(
  dataSourceOptions(process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/speechace_grade_sync'),
);
