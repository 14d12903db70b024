using LlmGateway.Api.Spend;
using LlmGateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using static LlmGateway.Tests.Spend.SpendTestData;

namespace LlmGateway.Tests.Spend;

/// <summary>
/// The recorder's stream calls: events recorded while a call is in flight go to Redis together, each an entry of its own.
/// A recorder of the test's own writes to a stream no writer reads, so what Redis holds can be looked at.
/// </summary>
public sealed class UsageStreamBatchTests(TestServers servers) : IAsyncLifetime
{
    private readonly string dataDirectory = NewDataDirectory();
    private GatewayApiHost api = null!;
    private ConnectionMultiplexer redis = null!;

    public async ValueTask InitializeAsync()
    {
        var redisConnection = await servers.CreateRedisAsync();
        api = await GatewayApiHost.StartAsync(await servers.CreateDatabaseAsync(), redisConnection, Settings(dataDirectory));
        redis = await ConnectionMultiplexer.ConnectAsync(redisConnection);
    }

    public async ValueTask DisposeAsync()
    {
        await api.DisposeAsync();
        await redis.DisposeAsync();
        DeleteDirectory(dataDirectory);
    }

    private UsageRecorder Recorder(string streamKey, UsageHandoff handoff)
    {
        var options = Options.Create(new SpendLedgerOptions { StreamKey = streamKey, DataDirectory = dataDirectory });
        return new UsageRecorder(redis, api.Services.GetRequiredService<SpendLedgerStore>(), api.Services.GetRequiredService<UsageSpool>(),
            handoff, options, TimeProvider.System, NullLogger<UsageRecorder>.Instance);
    }

    [Fact]
    public async Task EventsRecordedWhileACallIsInFlightGoTogetherEachAnEntryWithItsIdHandedOff()
    {
        var handoff = new UsageHandoff(Options.Create(new SpendLedgerOptions()));
        var recorder = Recorder("test:usage-batched", handoff);
        var events = Enumerable.Range(0, 500).Select(i => Usage($"req-batched-{i:D3}", spend: 0.001m * i)).ToList();

        // All recorded at once: the first goes alone, the rest wait for its answer and go in calls of at most 64.
        await Task.WhenAll(events.Select(usage => recorder.RecordAsync(usage).AsTask()));

        Assert.InRange(recorder.StreamCalls, 1 + (499 + 63) / 64, 100); // one per event before: 500
        var entries = await redis.GetDatabase().StreamRangeAsync("test:usage-batched");
        Assert.Equal(500, entries.Length);
        var seen = new HashSet<string>();
        foreach (var entry in entries)
        {
            var field = Assert.Single(entry.Values); // the stream's format is unchanged: one event per entry
            Assert.Equal(UsageStream.Field, field.Name.ToString());
            var stored = UsageStream.Read(entry);
            Assert.NotNull(stored);
            Assert.True(seen.Add(stored.RequestId));
            // The handoff holds, under this entry's id, the very event the entry holds.
            var handedOff = handoff.Take(entry.Id);
            Assert.NotNull(handedOff);
            Assert.Equal(stored.RequestId, handedOff.RequestId);
            Assert.Equal(stored.Spend, handedOff.Spend);
        }

        Assert.Equal(events.Select(e => e.RequestId).Order(), seen.Order());
    }

    [Fact]
    public async Task ABatchRedisRefusesIsWrittenToPostgresWhole()
    {
        // A key of another type where the stream should be: every XADD fails (WRONGTYPE) while Redis stays up.
        await redis.GetDatabase().StringSetAsync("test:not-a-stream", "x");
        var recorder = Recorder("test:not-a-stream", new UsageHandoff(Options.Create(new SpendLedgerOptions())));
        var keyHash = HashOf("sk-refused");
        await SeedTeamAndKeyAsync(api.Services, "team-refused", keyHash);
        var events = Enumerable.Range(0, 200).Select(i => Usage($"req-refused-{i:D3}", "team-refused", keyHash, spend: 0.01m)).ToList();

        await Task.WhenAll(events.Select(usage => recorder.RecordAsync(usage).AsTask()));

        // Durable when the recorder returned: in Postgres already, not waiting for a writer.
        var database = api.Services.GetRequiredConnectionString();
        Assert.Equal(200L, await ScalarAsync<long>(database, "SELECT count(DISTINCT request_id) FROM spend_logs WHERE request_id LIKE 'req-refused-%'"));
        Assert.Equal(2.00m, await ScalarAsync<decimal>(database, "SELECT spend FROM teams WHERE team_id = 'team-refused'"));
        Assert.InRange(recorder.StreamCalls, 2, 100);
        Assert.False(File.Exists(Path.Combine(dataDirectory, UsageSpool.FileName)));
    }
}
