using System.Net.Http.Json;
using System.Text.Json;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;
using static LlmGateway.Tests.Spend.SpendTestData;

namespace LlmGateway.Tests.Telemetry;

/// <summary>
/// A fake OpenAI upstream, its config (model group <see cref="Model"/>: $1 per million input tokens, $2 per million output)
/// and a spool directory; the Api runs in-process (<see cref="StartApiAsync"/>) or as a child process (<see cref="GatewayProcess"/>).
/// </summary>
public sealed class TelemetryGateway : IAsyncDisposable
{
    public const string Model = "gpt-telemetry";

    private TelemetryGateway(FakeProviderServer upstream, GatewayConfigFile config)
    {
        Upstream = upstream;
        Config = config;
    }

    public FakeProviderServer Upstream { get; }
    public GatewayConfigFile Config { get; }
    public string DataDirectory { get; } = NewDataDirectory();
    public GatewayApiHost? Api { get; private set; }

    public static async Task<TelemetryGateway> StartUpstreamAsync()
    {
        var upstream = await FakeProviderServer.StartAsync();
        var config = new GatewayConfigFile($"""
            model_list:
              - model_name: "{Model}"
                litellm_params:
                  model: "openai/gpt-fake"
                  api_base: "{upstream.OpenAiBase}"
                  api_key: "sk-upstream-openai"
                model_info:
                  input_cost_per_token: 0.000001
                  output_cost_per_token: 0.000002
            """);
        return new TelemetryGateway(upstream, config);
    }

    /// <summary>Settings every gateway of these tests shares: fast spend polling and claiming, plus <paramref name="more"/>.</summary>
    public Dictionary<string, string?> Settings(params (string Key, string? Value)[] more)
    {
        var settings = new Dictionary<string, string?>(Config.Settings())
        {
            ["Gateway:DataDirectory"] = DataDirectory,
            ["Gateway:Spend:PollInterval"] = "00:00:00.050",
            ["Gateway:Spend:SpoolReplayInterval"] = "00:00:00.500",
            ["Gateway:Spend:MaxRetryDelay"] = "00:00:01",
            ["Gateway:Spend:DatabaseRetryAfter"] = "00:00:01",
            ["Gateway:Spend:ClaimIdleTime"] = "00:00:02",
            ["Gateway:Spend:ClaimInterval"] = "00:00:01",
        };
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }

        return settings;
    }

    public async Task<GatewayApiHost> StartApiAsync(string database, string redis, params (string Key, string? Value)[] more)
    {
        Api = await GatewayApiHost.StartAsync(database, redis, Settings(more));
        return Api;
    }

    /// <summary>Creates a team and a key through the management API; returns (team id, raw key).</summary>
    public static Task<(string TeamId, string Key)> CreateTeamAndKeyAsync(HttpClient admin, object? team = null, object? key = null) =>
        ManagementCalls.CreateTeamAndKeyAsync(admin, team ?? new { team_alias = "telemetry" }, key);

    public static HttpRequestMessage Chat(string key, bool stream, string content = "hello", bool includeUsage = false) =>
        new(HttpMethod.Post, "/v1/chat/completions")
        {
            Headers = { Authorization = new("Bearer", key) },
            Content = JsonContent.Create(includeUsage
                ? new { model = Model, stream, stream_options = new { include_usage = true }, messages = new[] { new { role = "user", content } } }
                : (object)new { model = Model, stream, messages = new[] { new { role = "user", content } } }),
        };

    public static string RequestId(HttpResponseMessage response) =>
        response.Headers.TryGetValues("x-request-id", out var values) ? values.Single() : throw new InvalidOperationException("no x-request-id");

    /// <summary>Polls until the ledger has the request's row; returns (prompt, completion, spend, count of rows with that id).</summary>
    public static async Task<(long Prompt, long Completion, decimal Spend, long Rows)> WaitForRowAsync(string database, string requestId, TimeSpan timeout)
    {
        await LocalProcess.WaitUntilAsync(async () =>
        {
            try
            {
                return await ScalarAsync<long>(database, "SELECT count(*) FROM spend_logs WHERE request_id = @id", ("id", requestId)) > 0;
            }
            catch (Npgsql.NpgsqlException)
            {
                return false;
            }
        }, timeout, $"the ledger row of {requestId}");
        return (await ScalarAsync<long>(database, "SELECT prompt_tokens FROM spend_logs WHERE request_id = @id", ("id", requestId)),
            await ScalarAsync<long>(database, "SELECT completion_tokens FROM spend_logs WHERE request_id = @id", ("id", requestId)),
            await ScalarAsync<decimal>(database, "SELECT spend FROM spend_logs WHERE request_id = @id", ("id", requestId)),
            await ScalarAsync<long>(database, "SELECT count(*) FROM spend_logs WHERE request_id = @id", ("id", requestId)));
    }

    public async ValueTask DisposeAsync()
    {
        if (Api is not null)
        {
            await Api.DisposeAsync();
        }

        await Upstream.DisposeAsync();
        Config.Dispose();
        DeleteDirectory(DataDirectory);
    }
}
