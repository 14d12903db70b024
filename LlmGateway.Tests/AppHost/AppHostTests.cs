using Microsoft.Extensions.DependencyInjection;
using System.Net;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;

namespace LlmGateway.Tests.AppHost;

[Collection(AppHostCollection.Name)]
public sealed class AppHostTests(AppHostFixture fixture)
{
    [Fact]
    public async Task ApiReadinessAnswers200WithPostgresAndRedisAsLocalProcesses()
    {
        using var client = fixture.App.CreateHttpClient("api");
        using var response = await client.GetAsync("/health/readiness", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Contains("\"db\":\"connected\"", body);
        Assert.Contains("\"cache\":\"redis\"", body);
    }

    [Fact]
    public async Task AdminAnswersItsHealthEndpoint()
    {
        using var client = fixture.App.CreateHttpClient("admin");
        using var response = await client.GetAsync("/health", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public void PostgresAndRedisAreExecutablesInLocalProcessMode()
    {
        var model = fixture.App.Services.GetRequiredService<DistributedApplicationModel>();
        Assert.IsAssignableFrom<ExecutableResource>(model.Resources.Single(r => r.Name == "postgres"));
        Assert.IsAssignableFrom<ExecutableResource>(model.Resources.Single(r => r.Name == "redis"));
        Assert.IsAssignableFrom<IResourceWithConnectionString>(model.Resources.Single(r => r.Name == "gatewaydb"));
    }
}
