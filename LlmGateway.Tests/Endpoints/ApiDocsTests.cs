using System.Net;
using System.Text.Json;
using LlmGateway.Tests.Infrastructure;

namespace LlmGateway.Tests.Endpoints;

/// <summary>The OpenAPI document lists the management API, and <c>/docs</c> is a page that reads it.</summary>
public sealed class ApiDocsTests(TestServers servers) : IAsyncLifetime
{
    private GatewayApiHost api = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() =>
        api = await GatewayApiHost.StartAsync(await servers.CreateDatabaseAsync(), await servers.CreateRedisAsync());

    public async ValueTask DisposeAsync() => await api.DisposeAsync();

    [Fact]
    public async Task TheOpenApiDocumentListsTheManagementPathsWithTheirMethods()
    {
        using var client = api.CreateLoopbackClient();
        using var document = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json", Ct));
        var paths = document.RootElement.GetProperty("paths");

        foreach (var (path, method) in new[]
                 {
                     ("/key/generate", "post"), ("/key/info", "get"), ("/key/list", "get"), ("/team/new", "post"), ("/team/info", "get"),
                     ("/spend/logs", "get"), ("/spend/logs/v2", "get"), ("/global/spend", "get"), ("/global/spend/report", "get"),
                     ("/global/spend/keys", "get"), ("/spend/tags", "get"), ("/user/daily/activity", "get"), ("/model/info", "get"),
                     ("/user/new", "post"), ("/user/info", "get"), ("/model_group/info", "get"), ("/v1/chat/completions", "post"),
                 })
        {
            Assert.True(paths.TryGetProperty(path, out var item), $"{path} is missing");
            Assert.True(item.TryGetProperty(method, out _), $"{method} {path} is missing");
        }

        Assert.Equal("LlmGateway", document.RootElement.GetProperty("info").GetProperty("title").GetString());
        Assert.False(paths.TryGetProperty("/docs", out _));
    }

    [Fact]
    public async Task DocsIsAnHtmlPageThatReadsTheDocument()
    {
        using var client = api.CreateLoopbackClient();
        using var response = await client.GetAsync("/docs", Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("/openapi/v1.json", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }
}
