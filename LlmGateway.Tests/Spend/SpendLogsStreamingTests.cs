using System.Text.Json;
using LlmGateway.Tests.Infrastructure;
using static LlmGateway.Tests.Spend.SpendTestData;

namespace LlmGateway.Tests.Spend;

[CollectionDefinition(nameof(SpendLogsStreamingTests), DisableParallelization = true)]
public sealed class MemoryMeasuredCollection;

/// <summary>
/// <c>/spend/logs</c> of 5,000 rows keeps the Api's memory flat: the rows go from Postgres to the client as they are
/// read. Each row carries 8 KB of metadata so that an answer held in memory (≥ 40 MB of text, twice that as .NET strings)
/// would show far above the bound; measured with full collections while the answer streams, with no other test running.
/// </summary>
[Collection(nameof(SpendLogsStreamingTests))]
public sealed class SpendLogsStreamingTests(TestServers servers) : IAsyncLifetime
{
    private const int Rows = 5000;
    private const long FlatBoundBytes = 16 * 1024 * 1024;
    private const string RawKey = "sk-streamed-spend-logs-key";
    private readonly string dataDirectory = NewDataDirectory();
    private GatewayApiHost api = null!;
    private string database = "";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        database = await servers.CreateDatabaseAsync();
        api = await GatewayApiHost.StartAsync(database, await servers.CreateRedisAsync(), Settings(dataDirectory));
        await ScalarAsync<int>(database, """
            WITH inserted AS (
                INSERT INTO spend_logs (request_id, start_time, end_time, call_type, api_key, request_tags, attempts, status_code, status,
                    spend, saved_cost, price_unknown, prompt_tokens, completion_tokens, cached_tokens, reasoning_tokens, total_tokens,
                    stream, cache_hit, is_health_check, metadata, cache_creation_input_tokens, cache_creation_1h_input_tokens)
                SELECT 'stream-' || i, timestamptz '2026-04-01' + i * interval '1 second', timestamptz '2026-04-01' + i * interval '1 second',
                    'chat_completions', @key, ARRAY['bulk'], 1, 200, 'success', 0.001, 0, false, 10, 5, 0, 0, 15, false, false, false,
                    jsonb_build_object('padding', repeat('x', 8192)), 0, 0
                FROM generate_series(1, @rows) AS i
                RETURNING 1)
            SELECT count(*)::int FROM inserted
            """, ("key", HashOf(RawKey)), ("rows", Rows));
    }

    public async ValueTask DisposeAsync()
    {
        await api.DisposeAsync();
        DeleteDirectory(dataDirectory);
    }

    [Fact]
    public async Task FiveThousandRowsStreamWithTheHeapStayingFlat()
    {
        using var client = api.CreateLoopbackClient(GatewayApiHost.MasterKey);
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        long peak = baseline;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            // One full blocking collection per sample: GetTotalMemory(true) repeats collections until the size settles,
            // which in the whole suite's heap (every fixture alive) took this test from seconds to a minute and a half.
            // A buffered answer lives for the whole query and write, so a sample every 100 ms still sees it.
            while (!sampling.IsCancellationRequested)
            {
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true);
                peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: false));
                await Task.Delay(100, CancellationToken.None);
            }
        }, CancellationToken.None);

        var (count, spend) = await ReadStreamedAsync(client);
        await sampling.CancelAsync();
        await sampler;

        Assert.Equal(Rows, count);
        Assert.Equal(Rows * 0.001m, spend);
        Assert.True(peak - baseline < FlatBoundBytes, $"the heap grew by {(peak - baseline) / 1024 / 1024.0:0.0} MB while {Rows} rows streamed");
    }

    /// <summary>Reads the array element by element, never holding the answer (the client must not be what grows).</summary>
    private static async Task<(int Count, decimal Spend)> ReadStreamedAsync(HttpClient client)
    {
        using var response = await client.GetAsync($"/spend/logs?api_key={RawKey}", HttpCompletionOption.ResponseHeadersRead, Ct);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync(Ct);
        var (count, spend) = (0, 0m);
        await foreach (var row in JsonSerializer.DeserializeAsyncEnumerable<JsonElement>(body, cancellationToken: Ct))
        {
            count++;
            spend += row.GetProperty("spend").GetDecimal();
        }

        return (count, spend);
    }
}
