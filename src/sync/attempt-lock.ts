import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

/**
 * A PostgreSQL advisory lock per (mapping, LMS user): attempts of one student at one test are
 * decided and pushed one at a time across every worker process, so an attempt policy never sees
 * a half-finished rival. The lock dies with its connection if the process does.
 */
@Injectable()
export class AttemptLock {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async withLock<T>(mappingId: string, userRef: string, work: () => Promise<T>): Promise<T> {
    const runner = this.db.createQueryRunner();
    await runner.connect();
    try {
      await runner.query('SELECT pg_advisory_lock(hashtext($1), hashtext($2))', [mappingId, userRef]);
      try {
        return await work();
      } finally {
        await runner.query('SELECT pg_advisory_unlock(hashtext($1), hashtext($2))', [mappingId, userRef]);
      }
    } finally {
      await runner.release();
    }
  }
}
