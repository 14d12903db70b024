using LlmGateway.Api.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LlmGateway.Api.Data.Configurations;

internal sealed class StoredResponseConfiguration : IEntityTypeConfiguration<StoredResponse>
{
    public void Configure(EntityTypeBuilder<StoredResponse> builder)
    {
        builder.ToTable("stored_responses");
        builder.HasKey(r => r.Id);
        builder.Property(r => r.Id).HasMaxLength(64);
        builder.Property(r => r.Scope).HasMaxLength(160);
        builder.Property(r => r.PreviousResponseId).HasMaxLength(64);
        builder.Property(r => r.Model).HasMaxLength(256);
        builder.HasIndex(r => r.CreatedAt);
    }
}
