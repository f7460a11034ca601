import { MigrationInterface, QueryRunner } from "typeorm";

export class LtiAgs1796101999225 implements MigrationInterface {
    name = 'LtiAgs1796101999225'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "lti_tool_keys" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "kid" text NOT NULL, "public_jwk" jsonb NOT NULL, "public_key_pem" text NOT NULL, "private_key_encrypted" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "UQ_ed6a266f3039aede7aa93d27394" UNIQUE ("kid"), CONSTRAINT "PK_f999112018122062be54100f9a7" PRIMARY KEY ("id"))`);
        await queryRunner.query(`ALTER TABLE "connections" ADD "lti_issuer" text`);
        await queryRunner.query(`ALTER TABLE "connections" ADD "lti_client_id" text`);
        await queryRunner.query(`ALTER TABLE "connections" ADD "lti_deployment_id" text`);
        await queryRunner.query(`ALTER TABLE "connections" ADD "lti_token_url" text`);
        await queryRunner.query(`ALTER TABLE "connections" ADD "lti_audience" text`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "connections" DROP COLUMN "lti_audience"`);
        await queryRunner.query(`ALTER TABLE "connections" DROP COLUMN "lti_token_url"`);
        await queryRunner.query(`ALTER TABLE "connections" DROP COLUMN "lti_deployment_id"`);
        await queryRunner.query(`ALTER TABLE "connections" DROP COLUMN "lti_client_id"`);
        await queryRunner.query(`ALTER TABLE "connections" DROP COLUMN "lti_issuer"`);
        await queryRunner.query(`DROP TABLE "lti_tool_keys"`);
    }

}
