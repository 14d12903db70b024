using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace LlmGateway.Api.Data.Migrations
{
    /// <summary>
    /// Turns <c>spend_logs</c> into a table partitioned by month on <c>start_time</c> (UTC months, partitions named
    /// <c>spend_logs_YYYY_MM</c>, plus <c>spend_logs_default</c>), copying the rows across. The name, columns, primary
    /// key and index names stay what EF expects, so later migrations (add a column, an index) work on the parent as
    /// before. <c>Spend/LedgerPartitionMaintenance</c> keeps the months ahead and applies retention from then on.
    /// </summary>
    public partial class PartitionSpendLogsByMonth : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Rows first, then the key and indexes: building them once per partition is faster than maintaining them per row.
            migrationBuilder.Sql("""
                SET LOCAL TimeZone = 'UTC';
                ALTER TABLE spend_logs RENAME TO spend_logs_unpartitioned;
                CREATE TABLE spend_logs (LIKE spend_logs_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS)
                    PARTITION BY RANGE (start_time);
                CREATE TABLE spend_logs_default PARTITION OF spend_logs DEFAULT;
                DO $$
                DECLARE
                    month timestamptz;
                BEGIN
                    FOR month IN
                        SELECT DISTINCT date_trunc('month', start_time) FROM spend_logs_unpartitioned
                        UNION SELECT date_trunc('month', now())
                    LOOP
                        EXECUTE format('CREATE TABLE %I PARTITION OF spend_logs FOR VALUES FROM (%L) TO (%L)',
                            'spend_logs_' || to_char(month, 'YYYY_MM'), month, month + interval '1 month');
                    END LOOP;
                END $$;
                INSERT INTO spend_logs SELECT * FROM spend_logs_unpartitioned;
                DROP TABLE spend_logs_unpartitioned;
                """);
            CreateKeyAndIndexes(migrationBuilder);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            // Rows of partitions that were detached by hand (archived) are not partitions any more and are not copied.
            migrationBuilder.Sql("""
                ALTER TABLE spend_logs RENAME TO spend_logs_partitioned;
                CREATE TABLE spend_logs (LIKE spend_logs_partitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS);
                INSERT INTO spend_logs SELECT * FROM spend_logs_partitioned;
                DROP TABLE spend_logs_partitioned;
                """);
            CreateKeyAndIndexes(migrationBuilder);
        }

        /// <summary>The key and indexes of the Initial migration, under the same names; on a partitioned table they cascade to every partition.</summary>
        private static void CreateKeyAndIndexes(MigrationBuilder migrationBuilder) =>
            migrationBuilder.Sql("""
                ALTER TABLE spend_logs ADD CONSTRAINT pk_spend_logs PRIMARY KEY (request_id, start_time);
                CREATE INDEX ix_spend_logs_api_key_start_time ON spend_logs (api_key, start_time);
                CREATE INDEX ix_spend_logs_model_group_start_time ON spend_logs (model_group, start_time);
                CREATE INDEX ix_spend_logs_request_tags ON spend_logs USING gin (request_tags);
                CREATE INDEX ix_spend_logs_start_time ON spend_logs (start_time);
                CREATE INDEX ix_spend_logs_team_id_start_time ON spend_logs (team_id, start_time);
                """);
    }
}
