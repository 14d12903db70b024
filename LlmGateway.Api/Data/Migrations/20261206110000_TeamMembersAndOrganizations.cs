using System;
using System.Collections.Generic;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace LlmGateway.Api.Data.Migrations
{
    /// <inheritdoc />
    public partial class TeamMembersAndOrganizations : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "organization_id",
                table: "teams",
                type: "character varying(128)",
                maxLength: 128,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "ix_teams_organization_id",
                table: "teams",
                column: "organization_id");

            migrationBuilder.CreateTable(
                name: "organizations",
                columns: table => new
                {
                    organization_id = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    organization_alias = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    models = table.Column<List<string>>(type: "text[]", nullable: false),
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
                    table.PrimaryKey("pk_organizations", x => x.organization_id);
                });

            migrationBuilder.CreateTable(
                name: "organization_memberships",
                columns: table => new
                {
                    organization_id = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    user_id = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    user_role = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_organization_memberships", x => new { x.organization_id, x.user_id });
                });

            migrationBuilder.CreateTable(
                name: "team_memberships",
                columns: table => new
                {
                    team_id = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    user_id = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    max_budget_in_team = table.Column<decimal>(type: "numeric(18,8)", precision: 18, scale: 8, nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_team_memberships", x => new { x.team_id, x.user_id });
                });

            migrationBuilder.CreateIndex(
                name: "ix_team_memberships_user_id",
                table: "team_memberships",
                column: "user_id");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(name: "team_memberships");
            migrationBuilder.DropTable(name: "organization_memberships");
            migrationBuilder.DropTable(name: "organizations");
            migrationBuilder.DropIndex(name: "ix_teams_organization_id", table: "teams");
            migrationBuilder.DropColumn(name: "organization_id", table: "teams");
        }
    }
}
