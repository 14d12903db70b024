using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace LlmGateway.Api.Data;

/// <summary>Lets <c>dotnet ef</c> build the model without starting the app (no database needed to add a migration).</summary>
internal sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<GatewayDbContext>
{
    public GatewayDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<GatewayDbContext>()
            .UseNpgsql("Host=localhost;Database=gatewaydb")
            .UseSnakeCaseNamingConvention()
            .Options);
}
