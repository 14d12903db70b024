using LlmGateway.Api.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LlmGateway.Api.Data.Configurations;

internal sealed class TeamConfiguration : IEntityTypeConfiguration<Team>
{
    public void Configure(EntityTypeBuilder<Team> builder)
    {
        builder.ToTable("teams");
        builder.HasKey(t => t.TeamId);
        builder.Property(t => t.TeamId).HasMaxLength(128);
        builder.Property(t => t.TeamAlias).HasMaxLength(256);
        builder.Property(t => t.BudgetDuration).HasMaxLength(16);
        builder.Property(t => t.MaxBudget).HasPrecision(18, 8);
        builder.Property(t => t.SoftBudget).HasPrecision(18, 8);
        builder.Property(t => t.Spend).HasPrecision(18, 8);
        builder.Property(t => t.Metadata).HasColumnType("jsonb");
        builder.Property(t => t.MembersWithRoles).HasColumnType("jsonb");
        builder.HasIndex(t => t.TeamAlias);
        builder.Property(t => t.OrganizationId).HasMaxLength(128);
        builder.HasIndex(t => t.OrganizationId);
    }
}
