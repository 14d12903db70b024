using LlmGateway.Api.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LlmGateway.Api.Data.Configurations;

internal sealed class TeamMembershipConfiguration : IEntityTypeConfiguration<TeamMembership>
{
    public void Configure(EntityTypeBuilder<TeamMembership> builder)
    {
        builder.ToTable("team_memberships");
        builder.HasKey(m => new { m.TeamId, m.UserId });
        builder.Property(m => m.TeamId).HasMaxLength(128);
        builder.Property(m => m.UserId).HasMaxLength(128);
        builder.Property(m => m.MaxBudgetInTeam).HasPrecision(18, 8);
        builder.HasIndex(m => m.UserId);
    }
}
