using System.Text;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;

namespace LlmGateway.Tests.Proxy;

/// <summary>
/// One fake provider and one Api (with a fast spend writer) for <see cref="MidStreamFailureTests"/>. Every case of that
/// class — client format × upstream format × how the stream fails — has a model group of its own, so the cooldown one
/// case causes never leaks into another: a failing deployment listed first and a backup second, both on the fake, with
/// <c>allowed_fails: 1</c> (one failure cools a deployment) and a 60 s cooldown.
/// </summary>
public sealed class MidStreamFailureFixture(TestServers servers) : IAsyncLifetime
{
    public static readonly string[] Clients = ["chat", "messages", "responses"];
    public static readonly string[] Upstreams = ["openai", "anthropic"];
    public static readonly string[] Failures = ["error-event", "dropped-connection"];

    private readonly string dataDirectory = Spend.SpendTestData.NewDataDirectory();
    private GatewayConfigFile config = null!;

    public FakeProviderServer Fake { get; private set; } = null!;
    public GatewayApiHost Api { get; private set; } = null!;
    public string Database { get; private set; } = "";

    public static string Group(string client, string upstream, string failure) => $"mid-{client}-{upstream}-{failure}";

    public static string FailingId(string group) => $"{group}-failing";

    public static string BackupId(string group) => $"{group}-backup";

    public async ValueTask InitializeAsync()
    {
        Fake = await FakeProviderServer.StartAsync();
        config = new GatewayConfigFile(Yaml(Fake));
        Database = await servers.CreateDatabaseAsync();
        Api = await GatewayApiHost.StartAsync(Database, await servers.CreateRedisAsync(),
            config.Settings([.. Spend.SpendTestData.Settings(dataDirectory).Select(s => (s.Key, s.Value))]));
    }

    public async ValueTask DisposeAsync()
    {
        if (Api is not null)
            await Api.DisposeAsync();
        if (Fake is not null)
            await Fake.DisposeAsync();
        config?.Dispose();
        Spend.SpendTestData.DeleteDirectory(dataDirectory);
    }

    private static string Yaml(FakeProviderServer fake)
    {
        var yaml = new StringBuilder("model_list:\n");
        foreach (var client in Clients)
        foreach (var upstream in Upstreams)
        foreach (var failure in Failures)
        {
            var group = Group(client, upstream, failure);
            yaml.Append(Deployment(fake, group, upstream, FailingId(group)));
            yaml.Append(Deployment(fake, group, upstream, BackupId(group)));
        }

        // Background health checks would consume the fake's scripts: out of the way.
        return yaml.Append("""
            litellm_settings:
              allowed_fails: 1
              cooldown_time: 60
            general_settings:
              health_check_interval: 3600

            """).ToString();
    }

    private static string Deployment(FakeProviderServer fake, string group, string upstream, string id) => $"""
          - model_name: "{group}"
            litellm_params:
              model: "{upstream}/{id}"
              api_base: "{(upstream == "anthropic" ? fake.AnthropicBase : fake.OpenAiBase)}"
              api_key: "sk-upstream-{upstream}-key"
            model_info:
              id: "{id}"
              input_cost_per_token: 0.000001
              output_cost_per_token: 0.000002

        """;
}
