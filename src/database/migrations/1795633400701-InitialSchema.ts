import { MigrationInterface, QueryRunner } from "typeorm";

export class InitialSchema1795633400701 implements MigrationInterface {
    name = 'InitialSchema1795633400701'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE "assessments" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "name" text NOT NULL,
                "speechace_course_id" text NOT NULL,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "UQ_925084d927233af22d3c7bed589" UNIQUE ("speechace_course_id"),
                CONSTRAINT "PK_a3442bd80a00e9111cefca57f6c" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE TABLE "assessment_keys" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "assessment_id" uuid NOT NULL,
                "key_hash" text NOT NULL,
                "key_hint" text NOT NULL,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "retired_at" TIMESTAMP WITH TIME ZONE,
                CONSTRAINT "PK_6de1f002b1c88003462ed07d769" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_edd6804004b64e2d2cd52ff65f" ON "assessment_keys" ("assessment_id")
        `);
        await queryRunner.query(`
            CREATE TABLE "connections" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "name" text NOT NULL,
                "kind" text NOT NULL,
                "base_url" text NOT NULL,
                "token_encrypted" text NOT NULL,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_0a1f844af3122354cbd487a8d03" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE TABLE "mappings" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "assessment_id" uuid NOT NULL,
                "speechace_quiz_id" text,
                "connection_id" uuid NOT NULL,
                "lms_course_id" integer NOT NULL,
                "target" jsonb NOT NULL,
                "target_cmid" integer NOT NULL,
                "user_match" text NOT NULL,
                "score_field" text NOT NULL,
                "source_min" double precision NOT NULL,
                "source_max" double precision NOT NULL,
                "attempt_policy" text NOT NULL DEFAULT 'latest',
                "enabled" boolean NOT NULL DEFAULT true,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_f77700976d4a5ff7d7ed8445c03" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_1a080a6ef79ce197be050c63cf" ON "mappings" ("assessment_id")
        `);
        await queryRunner.query(`
            CREATE TABLE "submissions" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "dedupe_hash" text NOT NULL,
                "assessment_id" uuid NOT NULL,
                "speechace_course_id" text NOT NULL,
                "speechace_quiz_id" text NOT NULL,
                "speechace_user_id" text,
                "user_ref" text NOT NULL,
                "query_course_id" text,
                "query_test_id" text,
                "scores" jsonb NOT NULL,
                "report_url" text,
                "version" text,
                "raw_body" text NOT NULL,
                "content_type" text,
                "raw_query" text,
                "source_ip" text,
                "received_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "UQ_5e5f1af4f78f6f3189e0c6baad7" UNIQUE ("dedupe_hash"),
                CONSTRAINT "PK_10b3be95b8b2fb1e482e07d706b" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_5e3be28a4fdc967dd936dde1eb" ON "submissions" ("assessment_id", "received_at")
        `);
        await queryRunner.query(`
            CREATE TABLE "syncs" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "submission_id" uuid NOT NULL,
                "mapping_id" uuid NOT NULL,
                "user_ref" text NOT NULL,
                "state" text NOT NULL,
                "reason" text,
                "lms_user_id" integer,
                "source_score" double precision,
                "grade" double precision,
                "attempt_count" integer NOT NULL DEFAULT '0',
                "next_attempt_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "lease_until" TIMESTAMP WITH TIME ZONE,
                "synced_at" TIMESTAMP WITH TIME ZONE,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "uq_syncs_submission_mapping" UNIQUE ("submission_id", "mapping_id"),
                CONSTRAINT "ck_syncs_state" CHECK (
                    state IN (
                        'pending',
                        'queued',
                        'synced',
                        'blocked',
                        'failed',
                        'skipped'
                    )
                ),
                CONSTRAINT "PK_364d2c68bdf2831bc1d5ab9fd96" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_fe7c6be083cb9b4397b2164927" ON "syncs" ("mapping_id", "user_ref")
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_296efb299b5d60247b8a509b21" ON "syncs" ("state", "next_attempt_at")
        `);
        await queryRunner.query(`
            CREATE TABLE "sync_attempts" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "sync_id" uuid NOT NULL,
                "number" integer NOT NULL,
                "outcome" text NOT NULL,
                "reason" text,
                "error_code" text,
                "calls" jsonb NOT NULL DEFAULT '[]',
                "started_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "finished_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                CONSTRAINT "PK_61a12996eff208f851444a39a93" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_beed2cd866ea965f03eb3fe8e9" ON "sync_attempts" ("sync_id", "number")
        `);
        await queryRunner.query(`
            ALTER TABLE "assessment_keys"
            ADD CONSTRAINT "FK_edd6804004b64e2d2cd52ff65f2" FOREIGN KEY ("assessment_id") REFERENCES "assessments"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "mappings"
            ADD CONSTRAINT "FK_1a080a6ef79ce197be050c63cf1" FOREIGN KEY ("assessment_id") REFERENCES "assessments"("id") ON DELETE RESTRICT ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "mappings"
            ADD CONSTRAINT "FK_816a4d9b1b905badcfb6f620626" FOREIGN KEY ("connection_id") REFERENCES "connections"("id") ON DELETE RESTRICT ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "submissions"
            ADD CONSTRAINT "FK_b3e3b264ffdedbb787910c5bbd9" FOREIGN KEY ("assessment_id") REFERENCES "assessments"("id") ON DELETE RESTRICT ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "syncs"
            ADD CONSTRAINT "FK_c6d39de649992e89929f74c6861" FOREIGN KEY ("submission_id") REFERENCES "submissions"("id") ON DELETE RESTRICT ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "syncs"
            ADD CONSTRAINT "FK_890b1a046ff7c4ceec819522537" FOREIGN KEY ("mapping_id") REFERENCES "mappings"("id") ON DELETE RESTRICT ON UPDATE NO ACTION
        `);
        await queryRunner.query(`
            ALTER TABLE "sync_attempts"
            ADD CONSTRAINT "FK_1d9b04da4b1f66f2727e8a56af7" FOREIGN KEY ("sync_id") REFERENCES "syncs"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "sync_attempts" DROP CONSTRAINT "FK_1d9b04da4b1f66f2727e8a56af7"
        `);
        await queryRunner.query(`
            ALTER TABLE "syncs" DROP CONSTRAINT "FK_890b1a046ff7c4ceec819522537"
        `);
        await queryRunner.query(`
            ALTER TABLE "syncs" DROP CONSTRAINT "FK_c6d39de649992e89929f74c6861"
        `);
        await queryRunner.query(`
            ALTER TABLE "submissions" DROP CONSTRAINT "FK_b3e3b264ffdedbb787910c5bbd9"
        `);
        await queryRunner.query(`
            ALTER TABLE "mappings" DROP CONSTRAINT "FK_816a4d9b1b905badcfb6f620626"
        `);
        await queryRunner.query(`
            ALTER TABLE "mappings" DROP CONSTRAINT "FK_1a080a6ef79ce197be050c63cf1"
        `);
        await queryRunner.query(`
            ALTER TABLE "assessment_keys" DROP CONSTRAINT "FK_edd6804004b64e2d2cd52ff65f2"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_beed2cd866ea965f03eb3fe8e9"
        `);
        await queryRunner.query(`
            DROP TABLE "sync_attempts"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_296efb299b5d60247b8a509b21"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_fe7c6be083cb9b4397b2164927"
        `);
        await queryRunner.query(`
            DROP TABLE "syncs"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_5e3be28a4fdc967dd936dde1eb"
        `);
        await queryRunner.query(`
            DROP TABLE "submissions"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_1a080a6ef79ce197be050c63cf"
        `);
        await queryRunner.query(`
            DROP TABLE "mappings"
        `);
        await queryRunner.query(`
            DROP TABLE "connections"
        `);
        await queryRunner.query(`
            DROP INDEX "public"."IDX_edd6804004b64e2d2cd52ff65f"
        `);
        await queryRunner.query(`
            DROP TABLE "assessment_keys"
        `);
        await queryRunner.query(`
            DROP TABLE "assessments"
        `);
    }

}
