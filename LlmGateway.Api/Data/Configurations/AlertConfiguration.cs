using LlmGateway.Api.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LlmGateway.Api.Data.Configurations;

internal sealed class AlertConfiguration : IEntityTypeConfiguration<Alert>
{
    public void Configure(EntityTypeBuilder<Alert> builder)
    {
        builder.ToTable("alerts");
        builder.HasKey(a => a.Id);
        builder.Property(a => a.Type).HasMaxLength(32);
        builder.Property(a => a.Severity).HasMaxLength(16);
        builder.Property(a => a.Scope).HasMaxLength(16);
        builder.Property(a => a.ScopeId).HasMaxLength(256);
        builder.Property(a => a.Name).HasMaxLength(256);
        builder.Property(a => a.TeamId).HasMaxLength(128);
        builder.Property(a => a.KeyAlias).HasMaxLength(256);
        builder.Property(a => a.Threshold).HasPrecision(9, 4);
        builder.Property(a => a.Spend).HasPrecision(18, 8);
        builder.Property(a => a.Budget).HasPrecision(18, 8);
        builder.Property(a => a.Status).HasMaxLength(16);
        builder.Property(a => a.LastError).HasMaxLength(1000);
        // Once per threshold per period, whichever replica inserts first (INSERT … ON CONFLICT DO NOTHING).
        builder.HasIndex(a => new { a.Type, a.Scope, a.ScopeId, a.Threshold, a.PeriodStart }).IsUnique();
        builder.HasIndex(a => new { a.TeamId, a.CreatedAt });
        builder.HasIndex(a => a.CreatedAt);
        builder.HasIndex(a => a.NextAttemptAt).HasFilter("status = 'pending'");
    }
}
