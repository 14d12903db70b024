using System.Diagnostics;
using LlmGateway.Tests.Fakes;
using LlmGateway.Tests.Infrastructure;

namespace LlmGateway.Tests.Telemetry;

/// <summary>reliability-tests.md, "Streaming and usage": exact usage without stream_options, disconnects under both policies, zero usage.</summary>
public sealed class StreamingUsageTests(TestServers servers)
{
    private static readonly TimeSpan UsageBound = TimeSpan.FromSeconds(5);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AStreamWithoutStreamOptionsIsBilledTheProvidersExactTokens()
    {
        await using var gateway = await TelemetryGateway.StartUpstreamAsync();
        var database = await servers.CreateDatabaseAsync();
        var api = await gateway.StartApiAsync(database, await servers.CreateRedisAsync());
        using var admin = api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var (_, key) = await TelemetryGateway.CreateTeamAndKeyAsync(admin);
        gateway.Upstream.Enqueue(FakeResponse.Ok with { PromptTokens = 11, CompletionTokens = 7, ChunkCount = 3 });

        using var client = api.CreateLoopbackClient();
        using var response = await client.SendAsync(TelemetryGateway.Chat(key, stream: true), Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);

        Assert.Contains("[DONE]", body);
        Assert.DoesNotContain("\"usage\"", body); // asked of the upstream, hidden from a client that did not ask
        Assert.True(gateway.Upstream.Requests.Last().Json!["stream_options"]!["include_usage"]!.GetValue<bool>());
        var row = await TelemetryGateway.WaitForRowAsync(database, TelemetryGateway.RequestId(response), UsageBound);
        Assert.Equal((11L, 7L, 1L), (row.Prompt, row.Completion, row.Rows));
        Assert.Equal(11 * 0.000001m + 7 * 0.000002m, row.Spend);
    }

    [Fact]
    public async Task AClientThatLeavesAfterFiveChunksIsBilledTheFullUsageWithinFiveSecondsUnderTheDrainPolicy()
    {
        await using var gateway = await TelemetryGateway.StartUpstreamAsync();
        var database = await servers.CreateDatabaseAsync();
        var api = await gateway.StartApiAsync(database, await servers.CreateRedisAsync());
        using var admin = api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var (_, key) = await TelemetryGateway.CreateTeamAndKeyAsync(admin);
        gateway.Upstream.Enqueue(FakeResponse.Ok with
        {
            PromptTokens = 9, CompletionTokens = 40, Text = Words(40), ChunkCount = 40, DelayBetweenChunks = TimeSpan.FromMilliseconds(50),
        });

        var (requestId, left) = await ReadFiveChunksAndLeaveAsync(api, key);

        var row = await TelemetryGateway.WaitForRowAsync(database, requestId, UsageBound);
        Assert.True(left.Elapsed < UsageBound + TimeSpan.FromSeconds(1), $"row after {left.Elapsed}");
        Assert.Equal((9L, 40L, 1L), (row.Prompt, row.Completion, row.Rows)); // the provider's own count, ≥ the 5 delivered
        Assert.Equal(1, gateway.Upstream.StreamsCompleted); // the upstream was read to its end
    }

    [Fact]
    public async Task AClientThatLeavesAfterFiveChunksCancelsTheUpstreamAndIsBilledAnEstimateUnderTheCancelPolicy()
    {
        await using var gateway = await TelemetryGateway.StartUpstreamAsync();
        var database = await servers.CreateDatabaseAsync();
        var api = await gateway.StartApiAsync(database, await servers.CreateRedisAsync(), ("Gateway:DisconnectPolicy", "cancel"));
        using var admin = api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var (_, key) = await TelemetryGateway.CreateTeamAndKeyAsync(admin);
        gateway.Upstream.Enqueue(FakeResponse.Ok with
        {
            PromptTokens = 9, CompletionTokens = 200, Text = Words(200), ChunkCount = 200, DelayBetweenChunks = TimeSpan.FromMilliseconds(50),
        });

        var (requestId, _) = await ReadFiveChunksAndLeaveAsync(api, key);

        var row = await TelemetryGateway.WaitForRowAsync(database, requestId, UsageBound);
        Assert.InRange(row.Completion, 5, 199); // an estimate of what was delivered, not the 200 never generated
        Assert.True(row.Prompt > 0, "the prompt is billed too");
        Assert.True(row.Spend > 0);
        await LocalProcess.WaitUntilAsync(() => Task.FromResult(gateway.Upstream.StreamsAbortedByClient == 1), UsageBound, "the upstream's cancellation");
        Assert.Equal(0, gateway.Upstream.StreamsCompleted);
    }

    [Fact]
    public async Task AProviderReportingZeroUsageIsChargedNothingNotAnEstimate()
    {
        await using var gateway = await TelemetryGateway.StartUpstreamAsync();
        var database = await servers.CreateDatabaseAsync();
        var api = await gateway.StartApiAsync(database, await servers.CreateRedisAsync());
        using var admin = api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var (_, key) = await TelemetryGateway.CreateTeamAndKeyAsync(admin);
        gateway.Upstream.Default = FakeResponse.Ok with { ZeroUsage = true, Text = Words(20), ChunkCount = 20, DelayBetweenChunks = TimeSpan.FromMilliseconds(20) };
        using var client = api.CreateLoopbackClient();

        var ids = new List<string>();
        foreach (var stream in new[] { true, false })
        {
            using var response = await client.SendAsync(TelemetryGateway.Chat(key, stream), Ct);
            await response.Content.ReadAsStringAsync(Ct);
            ids.Add(TelemetryGateway.RequestId(response));
        }

        var (leftId, _) = await ReadFiveChunksAndLeaveAsync(api, key); // a drained disconnect keeps the reported zero too
        ids.Add(leftId);
        foreach (var id in ids)
        {
            var row = await TelemetryGateway.WaitForRowAsync(database, id, UsageBound);
            Assert.Equal((0L, 0L, 0m, 1L), (row.Prompt, row.Completion, row.Spend, row.Rows));
        }
    }

    private static string Words(int count) => string.Join(' ', Enumerable.Range(0, count).Select(i => $"w{i}"));

    /// <summary>Streams, reads five content chunks, then drops the connection; returns the request id and a clock started at the drop.</summary>
    private static async Task<(string RequestId, Stopwatch Left)> ReadFiveChunksAndLeaveAsync(GatewayApiHost api, string key)
    {
        using var client = api.CreateLoopbackClient();
        using var response = await client.SendAsync(TelemetryGateway.Chat(key, stream: true), HttpCompletionOption.ResponseHeadersRead, Ct);
        response.EnsureSuccessStatusCode();
        var requestId = TelemetryGateway.RequestId(response);
        using (var reader = new StreamReader(await response.Content.ReadAsStreamAsync(Ct)))
        {
            var chunks = 0;
            while (chunks < 5 && await reader.ReadLineAsync(Ct).AsTask().WaitAsync(UsageBound, Ct) is { } line)
            {
                if (line.StartsWith("data:", StringComparison.Ordinal) && line.Contains("\"content\":\"", StringComparison.Ordinal)
                    && !line.Contains("\"content\":\"\"", StringComparison.Ordinal))
                {
                    chunks++;
                }
            }

            Assert.Equal(5, chunks);
        }

        response.Dispose(); // aborts the connection mid-stream
        return (requestId, Stopwatch.StartNew());
    }
}
