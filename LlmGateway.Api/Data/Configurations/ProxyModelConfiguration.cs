using LlmGateway.Api.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace LlmGateway.Api.Data.Configurations;

internal sealed class ProxyModelConfiguration : IEntityTypeConfiguration<ProxyModel>
{
    public void Configure(EntityTypeBuilder<ProxyModel> builder)
    {
        builder.ToTable("proxy_models");
        builder.HasKey(m => m.ModelId);
        builder.Property(m => m.ModelId).HasMaxLength(128);
        builder.Property(m => m.ModelName).HasMaxLength(256);
        builder.Property(m => m.LitellmParams).HasColumnType("jsonb");
        builder.Property(m => m.ModelInfo).HasColumnType("jsonb");
    }
}
