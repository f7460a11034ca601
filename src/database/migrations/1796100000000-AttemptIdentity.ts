import { MigrationInterface, QueryRunner } from "typeorm";
import { studentKeySql } from "../../sync/sync-matching";

export class AttemptIdentity1796100000000 implements MigrationInterface {
    name = 'AttemptIdentity1796100000000'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "public"."IDX_fe7c6be083cb9b4397b2164927"`);
        await queryRunner.query(`ALTER TABLE "submissions" ADD "body_hash" text`);
        await queryRunner.query(`UPDATE "submissions" SET "body_hash" = encode(sha256(convert_to(raw_body || E'\\n' || coalesce(raw_query, ''), 'UTF8')), 'hex') WHERE report_url IS NULL`);
        await queryRunner.query(`ALTER TABLE "syncs" ADD "student_key" text`);
        await queryRunner.query(`UPDATE "syncs" s SET "student_key" = ${studentKeySql('s.user_ref', 'm.user_match')} FROM "mappings" m WHERE m.id = s.mapping_id`);
        await queryRunner.query(`ALTER TABLE "syncs" ALTER COLUMN "student_key" SET NOT NULL`);
        await queryRunner.query(`CREATE INDEX "IDX_1d39ab6e0777a5037a7d10da1e" ON "submissions" ("assessment_id", "user_ref", "seq") `);
        await queryRunner.query(`CREATE INDEX "IDX_96c25f1e2b1245bae8146d2d06" ON "syncs" ("mapping_id", "student_key") `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "public"."IDX_96c25f1e2b1245bae8146d2d06"`);
        await queryRunner.query(`DROP INDEX "public"."IDX_1d39ab6e0777a5037a7d10da1e"`);
        await queryRunner.query(`ALTER TABLE "syncs" DROP COLUMN "student_key"`);
        await queryRunner.query(`ALTER TABLE "submissions" DROP COLUMN "body_hash"`);
        await queryRunner.query(`CREATE INDEX "IDX_fe7c6be083cb9b4397b2164927" ON "syncs" ("mapping_id", "user_ref") `);
    }

}
