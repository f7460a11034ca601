import { MigrationInterface, QueryRunner } from "typeorm";

export class PaginationRetrySigning1795634192660 implements MigrationInterface {
    name = 'PaginationRetrySigning1795634192660'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "mappings"
            ADD "require_signed_url" boolean NOT NULL DEFAULT false
        `);
        await queryRunner.query(`
            ALTER TABLE "submissions"
            ADD "seq" BIGSERIAL NOT NULL
        `);
        await queryRunner.query(`
            ALTER TABLE "submissions"
            ADD CONSTRAINT "UQ_c7e42536547b51c252a0e42b59a" UNIQUE ("seq")
        `);
        await queryRunner.query(`
            ALTER TABLE "submissions"
            ADD "signed_mapping_id" uuid
        `);
        await queryRunner.query(`
            ALTER TABLE "syncs"
            ADD "seq" BIGSERIAL NOT NULL
        `);
        await queryRunner.query(`
            ALTER TABLE "syncs"
            ADD CONSTRAINT "UQ_311b86b103ccb78a7106b6d0732" UNIQUE ("seq")
        `);
        await queryRunner.query(`
            ALTER TABLE "syncs"
            ADD "retry_base" integer NOT NULL DEFAULT '0'
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "syncs" DROP COLUMN "retry_base"
        `);
        await queryRunner.query(`
            ALTER TABLE "syncs" DROP CONSTRAINT "UQ_311b86b103ccb78a7106b6d0732"
        `);
        await queryRunner.query(`
            ALTER TABLE "syncs" DROP COLUMN "seq"
        `);
        await queryRunner.query(`
            ALTER TABLE "submissions" DROP COLUMN "signed_mapping_id"
        `);
        await queryRunner.query(`
            ALTER TABLE "submissions" DROP CONSTRAINT "UQ_c7e42536547b51c252a0e42b59a"
        `);
        await queryRunner.query(`
            ALTER TABLE "submissions" DROP COLUMN "seq"
        `);
        await queryRunner.query(`
            ALTER TABLE "mappings" DROP COLUMN "require_signed_url"
        `);
    }

}
