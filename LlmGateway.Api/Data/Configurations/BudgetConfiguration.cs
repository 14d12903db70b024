using LlmGateway.Api.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LlmGateway.Api.Data.Configurations;

internal sealed class BudgetConfiguration : IEntityTypeConfiguration<Budget>
{
    public void Configure(EntityTypeBuilder<Budget> builder)
    {
        builder.ToTable("budgets");
        builder.HasKey(b => b.BudgetId);
        builder.Property(b => b.BudgetId).HasMaxLength(128);
        builder.Property(b => b.BudgetDuration).HasMaxLength(16);
        builder.Property(b => b.MaxBudget).HasPrecision(18, 8);
        builder.Property(b => b.SoftBudget).HasPrecision(18, 8);
        builder.Property(b => b.ModelMaxBudget).HasColumnType("jsonb");
    }
}
