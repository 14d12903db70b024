using LlmGateway.Api.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LlmGateway.Api.Data.Configurations;

internal sealed class OrganizationConfiguration : IEntityTypeConfiguration<Organization>
{
    public void Configure(EntityTypeBuilder<Organization> builder)
    {
        builder.ToTable("organizations");
        builder.HasKey(o => o.OrganizationId);
        builder.Property(o => o.OrganizationId).HasMaxLength(128);
        builder.Property(o => o.OrganizationAlias).HasMaxLength(256);
        builder.Property(o => o.BudgetDuration).HasMaxLength(16);
        builder.Property(o => o.MaxBudget).HasPrecision(18, 8);
        builder.Property(o => o.SoftBudget).HasPrecision(18, 8);
        builder.Property(o => o.Metadata).HasColumnType("jsonb");
    }
}
