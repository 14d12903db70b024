using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using LlmGateway.Tests.Infrastructure;

namespace LlmGateway.Tests.AppHost;

/// <summary>
/// The AppHost with <c>Api:Replicas=2</c> in local-process mode: two Api processes over one Postgres and one Redis.
/// DCP puts a load-balancing proxy in front of them; <see cref="Replicas"/> are each process's own address, read from
/// its resource snapshot (the effective <c>ASPNETCORE_URLS</c>), so a test chooses which replica serves a request.
/// </summary>
public sealed class ReplicasFixture : IAsyncLifetime
{
    /// <summary>$0.001 per output token, input free; the mock always answers five words: a call costs exactly $0.005.</summary>
    public const string MeteredModel = "metered";
    public const decimal MeteredCallCost = 0.005m;

    /// <summary>
    /// A model group whose first deployment always answers 503 and whose second always answers. Active health checks
    /// are pushed out of the test's way, so only requests cool the first one down.
    /// </summary>
    public const string FlakyModel = "flaky";

    private readonly string stateDirectory = Path.Combine(Path.GetTempPath(), $"llmgw-replicas-{Guid.NewGuid():N}");

    public DistributedApplication App { get; private set; } = null!;

    /// <summary>Each replica's own base address (not the proxy's), one per Api process.</summary>
    public IReadOnlyList<Uri> Replicas { get; private set; } = [];

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(stateDirectory);
        var config = Path.Combine(stateDirectory, "gateway.replicas.yaml");
        await File.WriteAllTextAsync(config, """
            model_list:
              - model_name: "metered"
                litellm_params:
                  model: "mock/metered"
                  mock_response: "one two three four five"
                  mock_latency_ms: 50
                model_info:
                  input_cost_per_token: 0
                  output_cost_per_token: 0.001
                  max_output_tokens: 5
              - model_name: "flaky"
                litellm_params:
                  model: "mock/down"
                  mock_status: 503
                model_info:
                  id: "flaky-down"
              - model_name: "flaky"
                litellm_params:
                  model: "mock/up"
                model_info:
                  id: "flaky-up"
            litellm_settings:
              cooldown_time: 300
            general_settings:
              health_check_interval: 3600
            """);

        using var cts = new CancellationTokenSource(AppHostFixture.StartTimeout);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.LlmGateway_AppHost>(
            [
                "Api:Replicas=2",
                $"Api:ConfigFile={config}",
                "Infrastructure:Mode=processes",
                $"Infrastructure:StateDirectory={stateDirectory}",
                $"Parameters:master-key={AppHostFixture.MasterKey}",
            ],
            cts.Token);
        App = await builder.BuildAsync(cts.Token);
        await App.StartAsync(cts.Token);
        await App.ResourceNotifications.WaitForResourceHealthyAsync("api", cts.Token);
        await App.ResourceNotifications.WaitForResourceHealthyAsync("admin", cts.Token);
        Replicas = await ReplicaAddressesAsync(cts.Token);
        await WarmUpAsync();
    }

    /// <summary>Waits until every Api replica's snapshot shows its own URL.</summary>
    private async Task<IReadOnlyList<Uri>> ReplicaAddressesAsync(CancellationToken cancellationToken)
    {
        var addresses = new Dictionary<string, Uri>();
        await foreach (var update in App.ResourceNotifications.WatchAsync(cancellationToken))
        {
            var url = update.Snapshot.EnvironmentVariables.FirstOrDefault(v => v.Name == "ASPNETCORE_URLS")?.Value;
            if (update.Resource.Name == "api" && update.Snapshot.State?.Text == "Running" && url is not null)
            {
                addresses[update.ResourceId] = new Uri(url.Split(';')[0]);
                if (addresses.Count == 2)
                {
                    return [.. addresses.Values];
                }
            }
        }

        throw new OperationCanceledException(cancellationToken);
    }

    /// <summary>One request through each replica, so that neither starts a concurrency test cold.</summary>
    private async Task WarmUpAsync()
    {
        var (_, key) = await CreateTeamAndKeyAsync(new { team_alias = "replicas-warm-up" });
        foreach (var replica in Enumerable.Range(0, Replicas.Count))
        {
            using var client = Client(replica);
            using var response = await client.SendAsync(Chat(key));
            response.EnsureSuccessStatusCode();
        }
    }

    public HttpClient Client(int replica, string? bearer = null)
    {
        var client = new HttpClient { BaseAddress = Replicas[replica], Timeout = TimeSpan.FromSeconds(30) };
        if (bearer is not null)
        {
            client.DefaultRequestHeaders.Authorization = new("Bearer", bearer);
        }

        return client;
    }

    /// <summary>Creates a team and a key through replica 0's management API; returns (team id, raw key).</summary>
    public async Task<(string TeamId, string Key)> CreateTeamAndKeyAsync(object team)
    {
        using var admin = Client(0, AppHostFixture.MasterKey);
        return await ManagementCalls.CreateTeamAndKeyAsync(admin, team);
    }

    public static HttpRequestMessage Chat(string key, string model = MeteredModel) =>
        new(HttpMethod.Post, "/v1/chat/completions")
        {
            Headers = { Authorization = new("Bearer", key) },
            Content = JsonContent.Create(new
            {
                model,
                max_tokens = 5,
                messages = new[] { new { role = "user", content = "hello" } },
            }),
        };

    public async ValueTask DisposeAsync()
    {
        if (App is not null)
        {
            await App.DisposeAsync();
        }

        try
        {
            Directory.Delete(stateDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Postgres may still be releasing files; the folder is in /tmp
        }
    }
}
