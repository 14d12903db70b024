using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace LlmGateway.Tests.AppHost;

/// <summary>The app model the AppHost builds in each infrastructure mode (built, not started).</summary>
public sealed class AppHostModelTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Local-process mode is covered running, by <see cref="ReplicaTests.TheAdminKeepsItsDataProtectionKeysInTheSharedRedis"/>.</summary>
    [Theory]
    [InlineData("containers")]
    [InlineData("existing")]
    public async Task TheAdminReferencesRedisForItsDataProtectionKeys(string mode)
    {
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.LlmGateway_AppHost>(
            [
                $"Infrastructure:Mode={mode}",
                "ConnectionStrings:gatewaydb=Host=127.0.0.1;Database=gatewaydb",
                "ConnectionStrings:redis=127.0.0.1:6379",
                $"Parameters:master-key={AppHostFixture.MasterKey}",
            ],
            Ct);
        await using var app = await builder.BuildAsync(Ct);
        var model = app.Services.GetRequiredService<DistributedApplicationModel>();

        var admin = model.Resources.Single(r => r.Name == "admin");
        Assert.Contains(admin.Annotations.OfType<ResourceRelationshipAnnotation>(), r => r.Type == "Reference" && r.Resource.Name == "redis");
        var api = model.Resources.Single(r => r.Name == "api");
        Assert.Equal(1, api.Annotations.OfType<ReplicaAnnotation>().SingleOrDefault()?.Replicas ?? 1);
    }
}
