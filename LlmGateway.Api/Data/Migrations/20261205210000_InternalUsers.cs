using System;
using System.Collections.Generic;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace LlmGateway.Api.Data.Migrations
{
    /// <inheritdoc />
    public partial class InternalUsers : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "internal_users",
                columns: table => new
                {
                    user_id = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    user_alias = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    user_email = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    user_role = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    models = table.Column<List<string>>(type: "text[]", nullable: false),
                    teams = table.Column<List<string>>(type: "text[]", nullable: false),
                    max_budget = table.Column<decimal>(type: "numeric(18,8)", precision: 18, scale: 8, nullable: true),
                    soft_budget = table.Column<decimal>(type: "numeric(18,8)", precision: 18, scale: 8, nullable: true),
                    budget_duration = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: true),
                    rpm_limit = table.Column<long>(type: "bigint", nullable: true),
                    tpm_limit = table.Column<long>(type: "bigint", nullable: true),
                    max_parallel_requests = table.Column<int>(type: "integer", nullable: true),
                    metadata = table.Column<string>(type: "jsonb", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_internal_users", x => x.user_id);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "internal_users");
        }
    }
}
