using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace LlmGateway.Api.Data.Migrations
{
    /// <inheritdoc />
    public partial class CustomersAndBudgets : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "budgets",
                columns: table => new
                {
                    budget_id = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    max_budget = table.Column<decimal>(type: "numeric(18,8)", precision: 18, scale: 8, nullable: true),
                    soft_budget = table.Column<decimal>(type: "numeric(18,8)", precision: 18, scale: 8, nullable: true),
                    max_parallel_requests = table.Column<int>(type: "integer", nullable: true),
                    tpm_limit = table.Column<long>(type: "bigint", nullable: true),
                    rpm_limit = table.Column<long>(type: "bigint", nullable: true),
                    budget_duration = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: true),
                    model_max_budget = table.Column<string>(type: "jsonb", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_budgets", x => x.budget_id);
                });

            migrationBuilder.CreateTable(
                name: "customers",
                columns: table => new
                {
                    user_id = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    alias = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    blocked = table.Column<bool>(type: "boolean", nullable: false),
                    budget_id = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: true),
                    allowed_model_region = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: true),
                    default_model = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    max_budget = table.Column<decimal>(type: "numeric(18,8)", precision: 18, scale: 8, nullable: true),
                    soft_budget = table.Column<decimal>(type: "numeric(18,8)", precision: 18, scale: 8, nullable: true),
                    budget_duration = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: true),
                    rpm_limit = table.Column<long>(type: "bigint", nullable: true),
                    tpm_limit = table.Column<long>(type: "bigint", nullable: true),
                    max_parallel_requests = table.Column<int>(type: "integer", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_customers", x => x.user_id);
                });

            migrationBuilder.CreateIndex(
                name: "ix_customers_budget_id",
                table: "customers",
                column: "budget_id");

            migrationBuilder.AddColumn<string>(
                name: "budget_id",
                table: "virtual_keys",
                type: "character varying(128)",
                maxLength: 128,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "budget_limits",
                table: "virtual_keys",
                type: "jsonb",
                nullable: false,
                defaultValue: "[]");

            migrationBuilder.AddColumn<string>(
                name: "budget_id",
                table: "internal_users",
                type: "character varying(128)",
                maxLength: 128,
                nullable: true);

            // An end customer's budget counter is seeded from the ledger by end_user (spend_logs is partitioned: plain SQL).
            migrationBuilder.Sql("CREATE INDEX IF NOT EXISTS ix_spend_logs_end_user_start_time ON spend_logs (end_user, start_time);");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP INDEX IF EXISTS ix_spend_logs_end_user_start_time;");
            migrationBuilder.DropColumn(name: "budget_id", table: "virtual_keys");
            migrationBuilder.DropColumn(name: "budget_limits", table: "virtual_keys");
            migrationBuilder.DropColumn(name: "budget_id", table: "internal_users");
            migrationBuilder.DropTable(name: "customers");
            migrationBuilder.DropTable(name: "budgets");
        }
    }
}
