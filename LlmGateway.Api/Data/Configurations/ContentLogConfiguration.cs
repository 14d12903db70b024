using LlmGateway.Api.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LlmGateway.Api.Data.Configurations;

internal sealed class ContentLogConfiguration : IEntityTypeConfiguration<ContentLog>
{
    public void Configure(EntityTypeBuilder<ContentLog> builder)
    {
        builder.ToTable("content_logs");
        builder.HasKey(c => c.Id);
        builder.Property(c => c.RequestId).HasMaxLength(128);
        builder.Property(c => c.ApiKey).HasMaxLength(64);
        builder.Property(c => c.TeamId).HasMaxLength(128);
        builder.Property(c => c.Path).HasMaxLength(256);
        builder.HasIndex(c => c.RequestId);
        builder.HasIndex(c => c.CreatedAt);
    }
}

internal sealed class AuditLogConfiguration : IEntityTypeConfiguration<AuditLog>
{
    public void Configure(EntityTypeBuilder<AuditLog> builder)
    {
        builder.ToTable("audit_log");
        builder.HasKey(a => a.Id);
        builder.Property(a => a.Actor).HasMaxLength(128);
        builder.Property(a => a.Action).HasMaxLength(64);
        builder.Property(a => a.Target).HasMaxLength(256);
        builder.Property(a => a.ClientAddress).HasMaxLength(64);
        builder.HasIndex(a => a.At);
    }
}
