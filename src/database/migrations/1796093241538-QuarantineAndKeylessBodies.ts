import { MigrationInterface, QueryRunner } from "typeorm";
import { stripCallbackKey, stripFormKey } from "../../intake/callback-key.stripper";

/** Submissions stored before intake removed the key still hold it: removed here the same way, in batches. */
export async function stripStoredKeys(queryRunner: QueryRunner): Promise<void> {
    let after = "0";
    for (;;) {
        const rows: { seq: string; raw_body: string; content_type: string | null; raw_query: string | null }[] = await queryRunner.query(
            `SELECT seq, raw_body, content_type, raw_query FROM submissions WHERE seq > $1 ORDER BY seq LIMIT 1000`,
            [after],
        );
        if (rows.length === 0) return;
        for (const row of rows) {
            const body = stripCallbackKey(row.raw_body, row.content_type);
            const query = row.raw_query === null ? null : stripFormKey(row.raw_query);
            if (body !== row.raw_body || query !== row.raw_query) {
                await queryRunner.query(`UPDATE submissions SET raw_body = $1, raw_query = $2 WHERE seq = $3`, [body, query, row.seq]);
            }
        }
        after = rows[rows.length - 1]!.seq;
    }
}

export class QuarantineAndKeylessBodies1796093241538 implements MigrationInterface {
    name = 'QuarantineAndKeylessBodies1796093241538'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "callback_quarantine" ("id" uuid NOT NULL DEFAULT gen_random_uuid(), "seq" BIGSERIAL NOT NULL, "received_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "status" integer NOT NULL, "reason" text NOT NULL, "content_type" text, "body_encrypted" text NOT NULL, "body_bytes" integer NOT NULL, "raw_query" text, "source_ip" text, "request_id" text NOT NULL, CONSTRAINT "UQ_6e72094c6fde755d3c9962a1a2b" UNIQUE ("seq"), CONSTRAINT "PK_039dec75047bcd442c669528082" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "IDX_e06d656e4031f9895c6269c252" ON "callback_quarantine" ("received_at") `);
        await stripStoredKeys(queryRunner);
        // Key hints are two characters now; older ones kept four.
        await queryRunner.query(`UPDATE "assessment_keys" SET "key_hint" = right("key_hint", 2) WHERE length("key_hint") > 2`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "public"."IDX_e06d656e4031f9895c6269c252"`);
        await queryRunner.query(`DROP TABLE "callback_quarantine"`);
    }

}
