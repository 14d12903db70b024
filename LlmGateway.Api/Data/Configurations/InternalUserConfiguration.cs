using LlmGateway.Api.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LlmGateway.Api.Data.Configurations;

internal sealed class InternalUserConfiguration : IEntityTypeConfiguration<InternalUser>
{
    public void Configure(EntityTypeBuilder<InternalUser> builder)
    {
        builder.ToTable("internal_users");
        builder.HasKey(u => u.UserId);
        builder.Property(u => u.UserId).HasMaxLength(128);
        builder.Property(u => u.UserAlias).HasMaxLength(256);
        builder.Property(u => u.UserEmail).HasMaxLength(256);
        builder.Property(u => u.UserRole).HasMaxLength(32);
        builder.Property(u => u.BudgetDuration).HasMaxLength(16);
        builder.Property(u => u.MaxBudget).HasPrecision(18, 8);
        builder.Property(u => u.SoftBudget).HasPrecision(18, 8);
        builder.Property(u => u.Metadata).HasColumnType("jsonb");
        builder.Property(u => u.BudgetId).HasMaxLength(128);
    }
}
