using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace LlmGateway.Api.Data.Migrations
{
    /// <summary>
    /// Prompt-cache writes get their own ledger columns (cache reads are <c>cached_tokens</c>): all writes, and the part
    /// of them kept for an hour. Added to the partitioned parent, so every attached partition gets them; old rows read 0.
    /// </summary>
    public partial class CacheTokenColumns : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "cache_creation_1h_input_tokens",
                table: "spend_logs",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<long>(
                name: "cache_creation_input_tokens",
                table: "spend_logs",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "cache_creation_1h_input_tokens",
                table: "spend_logs");

            migrationBuilder.DropColumn(
                name: "cache_creation_input_tokens",
                table: "spend_logs");
        }
    }
}
