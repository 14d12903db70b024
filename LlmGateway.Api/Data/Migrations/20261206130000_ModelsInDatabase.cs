using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace LlmGateway.Api.Data.Migrations
{
    /// <inheritdoc />
    public partial class ModelsInDatabase : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "proxy_models",
                columns: table => new
                {
                    model_id = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    model_name = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    litellm_params = table.Column<string>(type: "jsonb", nullable: false),
                    model_info = table.Column<string>(type: "jsonb", nullable: false),
                    encrypted_secrets = table.Column<byte[]>(type: "bytea", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_proxy_models", x => x.model_id);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "proxy_models");
        }
    }
}
