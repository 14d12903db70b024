using LlmGateway.Api.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LlmGateway.Api.Data.Configurations;

internal sealed class VirtualKeyConfiguration : IEntityTypeConfiguration<VirtualKey>
{
    public void Configure(EntityTypeBuilder<VirtualKey> builder)
    {
        builder.ToTable("virtual_keys");
        builder.HasKey(k => k.Token);
        builder.Property(k => k.Token).HasMaxLength(64).IsFixedLength();
        builder.Property(k => k.SecretHash).HasMaxLength(64).IsFixedLength();
        builder.HasIndex(k => k.SecretHash).IsUnique();
        builder.Property(k => k.KeyName).HasMaxLength(32);
        builder.Property(k => k.KeyAlias).HasMaxLength(256);
        builder.Property(k => k.UserId).HasMaxLength(256);
        builder.Property(k => k.BudgetDuration).HasMaxLength(16);
        builder.Property(k => k.PreviousToken).HasMaxLength(64).IsFixedLength();
        builder.Property(k => k.MaxBudget).HasPrecision(18, 8);
        builder.Property(k => k.SoftBudget).HasPrecision(18, 8);
        builder.Property(k => k.TempBudgetIncrease).HasPrecision(18, 8);
        builder.Property(k => k.Spend).HasPrecision(18, 8);
        builder.Property(k => k.Metadata).HasColumnType("jsonb");
        builder.Property(k => k.BudgetId).HasMaxLength(128);
        builder.Property(k => k.BudgetLimits).HasColumnType("jsonb");
        builder.Property(k => k.ModelMaxBudget).HasColumnType("jsonb");
        builder.Property(k => k.ModelRpmLimit).HasColumnType("jsonb");
        builder.Property(k => k.ModelTpmLimit).HasColumnType("jsonb");
        builder.HasOne(k => k.Team).WithMany(t => t.Keys).HasForeignKey(k => k.TeamId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(k => k.TeamId);
        builder.HasIndex(k => k.KeyAlias);
        builder.HasIndex(k => k.PreviousToken).HasFilter("previous_token IS NOT NULL");
    }
}
