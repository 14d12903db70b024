using System.Net.Http.Json;
using System.Text.Json;
using LlmGateway.Tests.Infrastructure;

namespace LlmGateway.Tests.Configuration;

public sealed class ConfigYamlTests(TestServers servers)
{
    [Fact]
    public async Task TheConfigYamlCanBeGivenInlineWhenThereIsNoFile()
    {
        const string yaml = """
            model_list:
              - model_name: "inline-group"
                litellm_params:
                  model: "mock/inline"
            """;
        await using var api = await GatewayApiHost.StartAsync(await servers.CreateDatabaseAsync(), await servers.CreateRedisAsync(),
            new Dictionary<string, string?> { ["Gateway:ConfigYaml"] = yaml });
        using var client = api.CreateLoopbackClient(GatewayApiHost.MasterKey);

        var models = await client.GetFromJsonAsync<JsonElement>("/v1/models", TestContext.Current.CancellationToken);

        Assert.Equal(["inline-group"], models.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()).ToArray());
    }
}
