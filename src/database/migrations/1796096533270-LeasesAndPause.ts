import { MigrationInterface, QueryRunner } from "typeorm";

export class LeasesAndPause1796096533270 implements MigrationInterface {
    name = 'LeasesAndPause1796096533270'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "connections"
            ADD "enabled" boolean NOT NULL DEFAULT true
        `);
        await queryRunner.query(`
            ALTER TABLE "syncs"
            ADD "claim_token" uuid
        `);
        await queryRunner.query(`
            ALTER TABLE "syncs" DROP CONSTRAINT "ck_syncs_state"
        `);
        await queryRunner.query(`
            ALTER TABLE "syncs"
            ADD CONSTRAINT "ck_syncs_state" CHECK (
                    state IN (
                        'pending',
                        'queued',
                        'paused',
                        'synced',
                        'blocked',
                        'failed',
                        'skipped'
                    )
                )
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            UPDATE "syncs" SET state = 'pending' WHERE state = 'paused'
        `);
        await queryRunner.query(`
            ALTER TABLE "syncs" DROP CONSTRAINT "ck_syncs_state"
        `);
        await queryRunner.query(`
            ALTER TABLE "syncs"
            ADD CONSTRAINT "ck_syncs_state" CHECK (
                    state IN (
                        'pending',
                        'queued',
                        'synced',
                        'blocked',
                        'failed',
                        'skipped'
                    )
                )
        `);
        await queryRunner.query(`
            ALTER TABLE "syncs" DROP COLUMN "claim_token"
        `);
        await queryRunner.query(`
            ALTER TABLE "connections" DROP COLUMN "enabled"
        `);
    }

}
