using LlmGateway.Api.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LlmGateway.Api.Data.Configurations;

internal sealed class CustomerConfiguration : IEntityTypeConfiguration<Customer>
{
    public void Configure(EntityTypeBuilder<Customer> builder)
    {
        builder.ToTable("customers");
        builder.HasKey(c => c.UserId);
        builder.Property(c => c.UserId).HasMaxLength(128);
        builder.Property(c => c.Alias).HasMaxLength(256);
        builder.Property(c => c.BudgetId).HasMaxLength(128);
        builder.Property(c => c.AllowedModelRegion).HasMaxLength(16);
        builder.Property(c => c.DefaultModel).HasMaxLength(256);
        builder.Property(c => c.BudgetDuration).HasMaxLength(16);
        builder.Property(c => c.MaxBudget).HasPrecision(18, 8);
        builder.Property(c => c.SoftBudget).HasPrecision(18, 8);
        builder.HasIndex(c => c.BudgetId);
    }
}
