import { MigrationInterface, QueryRunner } from "typeorm";

export class ConnectionLimits1795635488240 implements MigrationInterface {
    name = 'ConnectionLimits1795635488240'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "connections"
            ADD "rate_limit_per_second" integer
        `);
        await queryRunner.query(`
            ALTER TABLE "connections"
            ADD "max_concurrency" integer
        `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`
            ALTER TABLE "connections" DROP COLUMN "max_concurrency"
        `);
        await queryRunner.query(`
            ALTER TABLE "connections" DROP COLUMN "rate_limit_per_second"
        `);
    }

}
