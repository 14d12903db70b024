using System;
using System.Collections.Generic;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace LlmGateway.Api.Data.Migrations
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "spend_logs",
                columns: table => new
                {
                    request_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    start_time = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    end_time = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    call_type = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    api_key = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    key_alias = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    team_id = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: true),
                    user = table.Column<string>(type: "text", nullable: true),
                    end_user = table.Column<string>(type: "text", nullable: true),
                    request_tags = table.Column<List<string>>(type: "text[]", nullable: false),
                    model_group = table.Column<string>(type: "text", nullable: true),
                    model = table.Column<string>(type: "text", nullable: true),
                    provider = table.Column<string>(type: "text", nullable: true),
                    api_base = table.Column<string>(type: "text", nullable: true),
                    deployment_id = table.Column<string>(type: "text", nullable: true),
                    attempts = table.Column<int>(type: "integer", nullable: false),
                    status_code = table.Column<int>(type: "integer", nullable: false),
                    status = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    spend = table.Column<decimal>(type: "numeric(18,8)", precision: 18, scale: 8, nullable: false),
                    saved_cost = table.Column<decimal>(type: "numeric(18,8)", precision: 18, scale: 8, nullable: false),
                    price_unknown = table.Column<bool>(type: "boolean", nullable: false),
                    prompt_tokens = table.Column<long>(type: "bigint", nullable: false),
                    completion_tokens = table.Column<long>(type: "bigint", nullable: false),
                    cached_tokens = table.Column<long>(type: "bigint", nullable: false),
                    reasoning_tokens = table.Column<long>(type: "bigint", nullable: false),
                    total_tokens = table.Column<long>(type: "bigint", nullable: false),
                    stream = table.Column<bool>(type: "boolean", nullable: false),
                    cache_hit = table.Column<bool>(type: "boolean", nullable: false),
                    is_health_check = table.Column<bool>(type: "boolean", nullable: false),
                    auth_ms = table.Column<double>(type: "double precision", nullable: true),
                    limits_ms = table.Column<double>(type: "double precision", nullable: true),
                    cache_ms = table.Column<double>(type: "double precision", nullable: true),
                    upstream_ttfb_ms = table.Column<double>(type: "double precision", nullable: true),
                    upstream_ms = table.Column<double>(type: "double precision", nullable: true),
                    overhead_ms = table.Column<double>(type: "double precision", nullable: true),
                    total_ms = table.Column<double>(type: "double precision", nullable: true),
                    metadata = table.Column<string>(type: "jsonb", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_spend_logs", x => new { x.request_id, x.start_time });
                });

            migrationBuilder.CreateTable(
                name: "teams",
                columns: table => new
                {
                    team_id = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    team_alias = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    models = table.Column<List<string>>(type: "text[]", nullable: false),
                    max_budget = table.Column<decimal>(type: "numeric(18,8)", precision: 18, scale: 8, nullable: true),
                    soft_budget = table.Column<decimal>(type: "numeric(18,8)", precision: 18, scale: 8, nullable: true),
                    budget_duration = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: true),
                    budget_reset_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    rpm_limit = table.Column<long>(type: "bigint", nullable: true),
                    tpm_limit = table.Column<long>(type: "bigint", nullable: true),
                    max_parallel_requests = table.Column<int>(type: "integer", nullable: true),
                    metadata = table.Column<string>(type: "jsonb", nullable: false),
                    tags = table.Column<List<string>>(type: "text[]", nullable: false),
                    members_with_roles = table.Column<string>(type: "jsonb", nullable: false),
                    blocked = table.Column<bool>(type: "boolean", nullable: false),
                    spend = table.Column<decimal>(type: "numeric(18,8)", precision: 18, scale: 8, nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_teams", x => x.team_id);
                });

            migrationBuilder.CreateTable(
                name: "virtual_keys",
                columns: table => new
                {
                    token = table.Column<string>(type: "character(64)", fixedLength: true, maxLength: 64, nullable: false),
                    key_name = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    key_alias = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    team_id = table.Column<string>(type: "character varying(128)", nullable: true),
                    user_id = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    models = table.Column<List<string>>(type: "text[]", nullable: false),
                    max_budget = table.Column<decimal>(type: "numeric(18,8)", precision: 18, scale: 8, nullable: true),
                    soft_budget = table.Column<decimal>(type: "numeric(18,8)", precision: 18, scale: 8, nullable: true),
                    budget_duration = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: true),
                    budget_reset_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    temp_budget_increase = table.Column<decimal>(type: "numeric(18,8)", precision: 18, scale: 8, nullable: true),
                    temp_budget_expiry = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    rpm_limit = table.Column<long>(type: "bigint", nullable: true),
                    tpm_limit = table.Column<long>(type: "bigint", nullable: true),
                    max_parallel_requests = table.Column<int>(type: "integer", nullable: true),
                    model_max_budget = table.Column<string>(type: "jsonb", nullable: false),
                    model_rpm_limit = table.Column<string>(type: "jsonb", nullable: false),
                    model_tpm_limit = table.Column<string>(type: "jsonb", nullable: false),
                    expires = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    metadata = table.Column<string>(type: "jsonb", nullable: false),
                    tags = table.Column<List<string>>(type: "text[]", nullable: false),
                    blocked = table.Column<bool>(type: "boolean", nullable: false),
                    spend = table.Column<decimal>(type: "numeric(18,8)", precision: 18, scale: 8, nullable: false),
                    previous_token = table.Column<string>(type: "character(64)", fixedLength: true, maxLength: 64, nullable: true),
                    previous_token_expires = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    last_used_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_virtual_keys", x => x.token);
                    table.ForeignKey(
                        name: "fk_virtual_keys_teams_team_id",
                        column: x => x.team_id,
                        principalTable: "teams",
                        principalColumn: "team_id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_spend_logs_api_key_start_time",
                table: "spend_logs",
                columns: new[] { "api_key", "start_time" });

            migrationBuilder.CreateIndex(
                name: "ix_spend_logs_model_group_start_time",
                table: "spend_logs",
                columns: new[] { "model_group", "start_time" });

            migrationBuilder.CreateIndex(
                name: "ix_spend_logs_request_tags",
                table: "spend_logs",
                column: "request_tags")
                .Annotation("Npgsql:IndexMethod", "gin");

            migrationBuilder.CreateIndex(
                name: "ix_spend_logs_start_time",
                table: "spend_logs",
                column: "start_time");

            migrationBuilder.CreateIndex(
                name: "ix_spend_logs_team_id_start_time",
                table: "spend_logs",
                columns: new[] { "team_id", "start_time" });

            migrationBuilder.CreateIndex(
                name: "ix_teams_team_alias",
                table: "teams",
                column: "team_alias");

            migrationBuilder.CreateIndex(
                name: "ix_virtual_keys_key_alias",
                table: "virtual_keys",
                column: "key_alias");

            migrationBuilder.CreateIndex(
                name: "ix_virtual_keys_previous_token",
                table: "virtual_keys",
                column: "previous_token",
                filter: "previous_token IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_virtual_keys_team_id",
                table: "virtual_keys",
                column: "team_id");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "spend_logs");

            migrationBuilder.DropTable(
                name: "virtual_keys");

            migrationBuilder.DropTable(
                name: "teams");
        }
    }
}
