using LlmGateway.Api.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LlmGateway.Api.Data.Configurations;

internal sealed class SpendLogConfiguration : IEntityTypeConfiguration<SpendLog>
{
    public void Configure(EntityTypeBuilder<SpendLog> builder)
    {
        builder.ToTable("spend_logs");
        // The partition column is part of the key so the table can become PARTITION BY RANGE (start_time).
        builder.HasKey(s => new { s.RequestId, s.StartTime });
        builder.Property(s => s.RequestId).HasMaxLength(64);
        builder.Property(s => s.CallType).HasMaxLength(32);
        builder.Property(s => s.ApiKey).HasMaxLength(64);
        builder.Property(s => s.KeyAlias).HasMaxLength(256);
        builder.Property(s => s.TeamId).HasMaxLength(128);
        builder.Property(s => s.Status).HasMaxLength(64);
        builder.Property(s => s.Spend).HasPrecision(18, 8);
        builder.Property(s => s.SavedCost).HasPrecision(18, 8);
        builder.Property(s => s.Metadata).HasColumnType("jsonb");
        builder.Property(s => s.CacheCreation1hInputTokens).HasColumnName("cache_creation_1h_input_tokens");
        builder.HasIndex(s => new { s.TeamId, s.StartTime });
        builder.HasIndex(s => new { s.ApiKey, s.StartTime });
        builder.HasIndex(s => new { s.ModelGroup, s.StartTime });
        builder.HasIndex(s => s.StartTime);
        builder.HasIndex(s => s.RequestTags).HasMethod("gin");
        builder.HasIndex(s => new { s.EndUser, s.StartTime }); // an end customer's budget is seeded from the ledger
    }
}
