using LlmGateway.Api.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LlmGateway.Api.Data.Configurations;

internal sealed class TagConfiguration : IEntityTypeConfiguration<Tag>
{
    public void Configure(EntityTypeBuilder<Tag> builder)
    {
        builder.ToTable("tags");
        builder.HasKey(t => t.Name);
        builder.Property(t => t.Name).HasMaxLength(64);
        builder.Property(t => t.Description).HasMaxLength(1024);
        builder.Property(t => t.BudgetDuration).HasMaxLength(16);
        builder.Property(t => t.MaxBudget).HasPrecision(18, 8);
    }
}
