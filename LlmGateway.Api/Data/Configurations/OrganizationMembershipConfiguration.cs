using LlmGateway.Api.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LlmGateway.Api.Data.Configurations;

internal sealed class OrganizationMembershipConfiguration : IEntityTypeConfiguration<OrganizationMembership>
{
    public void Configure(EntityTypeBuilder<OrganizationMembership> builder)
    {
        builder.ToTable("organization_memberships");
        builder.HasKey(m => new { m.OrganizationId, m.UserId });
        builder.Property(m => m.OrganizationId).HasMaxLength(128);
        builder.Property(m => m.UserId).HasMaxLength(128);
        builder.Property(m => m.UserRole).HasMaxLength(32);
    }
}
