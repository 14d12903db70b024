using System.Diagnostics;
using LlmGateway.Tests.Infrastructure;
using static LlmGateway.Tests.Spend.SpendTestData;

namespace LlmGateway.Tests.Telemetry;

/// <summary>A paced stream of chat requests (every other one streamed), each bounded, and the ledger checks that follow an outage.</summary>
internal static class UsageLoad
{
    public sealed record Result(int Status, string? RequestId, TimeSpan Took, string Body);

    /// <summary>Sends <paramref name="rps"/> requests a second for <paramref name="duration"/>; every request must end within <paramref name="bound"/>.</summary>
    public static async Task<List<Result>> RunAsync(HttpClient client, string key, int rps, TimeSpan duration, TimeSpan bound)
    {
        var count = (int)(rps * duration.TotalSeconds);
        var tasks = new List<Task<Result>>(count);
        var started = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            var due = TimeSpan.FromSeconds((double)i / rps) - started.Elapsed;
            if (due > TimeSpan.Zero)
            {
                await Task.Delay(due);
            }

            tasks.Add(SendAsync(client, key, stream: i % 2 == 1, bound));
        }

        return [.. await Task.WhenAll(tasks)];
    }

    private static async Task<Result> SendAsync(HttpClient client, string key, bool stream, TimeSpan bound)
    {
        var clock = Stopwatch.StartNew();
        using var timeout = new CancellationTokenSource(bound);
        try
        {
            using var response = await client.SendAsync(TelemetryGateway.Chat(key, stream), timeout.Token);
            var body = await response.Content.ReadAsStringAsync(timeout.Token);
            return new Result((int)response.StatusCode, TelemetryGateway.RequestId(response), clock.Elapsed, body);
        }
        catch (OperationCanceledException)
        {
            return new Result(-1, null, clock.Elapsed, $"no answer within {bound}");
        }
    }

    /// <summary>Every request answered 200 within the bound (no 5xx, no 429, no hang).</summary>
    public static void AssertAllServed(IReadOnlyList<Result> results)
    {
        var failed = results.Where(r => r.Status != 200).ToList();
        Assert.True(failed.Count == 0, $"{failed.Count} of {results.Count} not served: " +
            string.Join(" | ", failed.Take(3).Select(f => $"{f.Status} after {f.Took.TotalMilliseconds:0} ms: {f.Body[..Math.Min(300, f.Body.Length)]}")));
    }

    /// <summary>The ledger holds exactly these requests (plus <paramref name="others"/>), each once.</summary>
    public static async Task AssertLedgerHoldsEachOnceAsync(string database, IReadOnlyList<Result> results, int others, TimeSpan timeout)
    {
        await WaitForRowsAsync(database, results.Count + others, timeout);
        await Task.Delay(500); // a late duplicate would show up here
        Assert.Equal(results.Count + others, await CountRowsAsync(database));
        Assert.Equal(results.Count + others, await ScalarAsync<long>(database, "SELECT count(DISTINCT request_id) FROM spend_logs"));
        var ids = results.Select(r => r.RequestId!).ToArray();
        Assert.Equal(ids.Length, await ScalarAsync<long>(database, "SELECT count(*) FROM spend_logs WHERE request_id = ANY(@ids)", ("ids", ids)));
    }
}
