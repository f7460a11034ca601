import { MigrationInterface, QueryRunner } from "typeorm";

export class ApiTokensAndAudit1795634153901 implements MigrationInterface {
    name = 'ApiTokensAndAudit1795634153901'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            CREATE TABLE "api_tokens" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "name" text NOT NULL,
                "role" text NOT NULL,
                "lms_course_ids" integer array,
                "token_hash" text NOT NULL,
                "created_by" text NOT NULL,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "last_used_at" TIMESTAMP WITH TIME ZONE,
                "revoked_at" TIMESTAMP WITH TIME ZONE,
                CONSTRAINT "UQ_bbd687a104e1921e6702c6e3aad" UNIQUE ("token_hash"),
                CONSTRAINT "PK_c587455266b5fa8dace7194caac" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE TABLE "audit_log" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "actor_token_id" uuid,
                "actor_name" text NOT NULL,
                "action" text NOT NULL,
                "entity_type" text NOT NULL,
                "entity_id" text,
                "before" jsonb,
                "after" jsonb,
                CONSTRAINT "PK_07fefa57f7f5ab8fc3f52b3ed0b" PRIMARY KEY ("id")
            )
        `);
        await queryRunner.query(`
            CREATE INDEX "IDX_ba27cef5b8b2b1a756e06ebcc5" ON "audit_log" ("at")
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            DROP INDEX "public"."IDX_ba27cef5b8b2b1a756e06ebcc5"
        `);
        await queryRunner.query(`
            DROP TABLE "audit_log"
        `);
        await queryRunner.query(`
            DROP TABLE "api_tokens"
        `);
    }

}
