using Microsoft.Extensions.Options;

namespace LlmGateway.Api.Spend;

/// <summary>
/// The last resort when Redis and Postgres are both down: one JSON line per event appended to
/// <c>{DataDirectory}/usage-spool.jsonl</c> and fsynced before <see cref="AppendAsync"/> returns.
/// The writer moves the file aside (<see cref="TakeForReplay"/>), replays it into Postgres, then deletes it.
/// One data directory per replica.
/// </summary>
internal sealed class UsageSpool(IOptions<SpendLedgerOptions> options) : IDisposable
{
    public const string FileName = "usage-spool.jsonl";
    private const string ReplayPattern = "usage-spool.*.replay.jsonl";
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(10);

    private readonly SemaphoreSlim gate = new(1, 1);

    public string Directory => options.Value.DataDirectory;

    public string SpoolPath => Path.Combine(Directory, FileName);

    public string RejectedPath => Path.Combine(Directory, "usage-rejected.jsonl");

    /// <summary>Appends events and flushes them to disk. Throws when the disk refuses, or the lock is not had within 10 s.</summary>
    public Task AppendAsync(IReadOnlyList<UsageEvent> events) => AppendAsync(SpoolPath, events);

    /// <summary>Events Postgres refused even alone (bad data): kept for an operator, never replayed.</summary>
    public Task SetAsideAsync(IReadOnlyList<UsageEvent> rejected) =>
        rejected.Count == 0 ? Task.CompletedTask : AppendAsync(RejectedPath, rejected);

    private async Task AppendAsync(string path, IReadOnlyList<UsageEvent> events)
    {
        if (!await gate.WaitAsync(LockTimeout))
        {
            throw new TimeoutException("The usage spool stayed locked for 10 s");
        }

        try
        {
            System.IO.Directory.CreateDirectory(Directory);
            await using var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read, 4096, FileOptions.None);
            foreach (var usage in events)
            {
                await stream.WriteAsync(UsageStream.Serialize(usage));
                stream.WriteByte((byte)'\n');
            }

            // Durable before acknowledged: the bytes reach the disk, not just the page cache.
            stream.Flush(flushToDisk: true);
        }
        finally
        {
            gate.Release();
        }
    }

    public bool HasPendingFiles() =>
        File.Exists(SpoolPath) || (System.IO.Directory.Exists(Directory) && System.IO.Directory.EnumerateFiles(Directory, ReplayPattern).Any());

    /// <summary>Moves the live spool aside (so appends continue in a fresh file) and returns every file waiting for replay, oldest first.</summary>
    public async Task<IReadOnlyList<string>> TakeForReplay()
    {
        if (!System.IO.Directory.Exists(Directory))
        {
            return [];
        }

        if (!await gate.WaitAsync(LockTimeout))
        {
            return [];
        }

        try
        {
            if (File.Exists(SpoolPath) && new FileInfo(SpoolPath).Length > 0)
            {
                var aside = Path.Combine(Directory, $"usage-spool.{DateTime.UtcNow.Ticks:D20}.replay.jsonl");
                File.Move(SpoolPath, aside);
            }
        }
        finally
        {
            gate.Release();
        }

        return System.IO.Directory.EnumerateFiles(Directory, ReplayPattern).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>Reads a spool file; a torn last line (a crash mid-write, never acknowledged) is skipped.</summary>
    public static async Task<List<UsageEvent>> ReadAsync(string path, CancellationToken ct)
    {
        var events = new List<UsageEvent>();
        foreach (var line in await File.ReadAllLinesAsync(path, ct))
        {
            if (line.Length > 0 && UsageStream.Deserialize(System.Text.Encoding.UTF8.GetBytes(line)) is { } usage)
            {
                events.Add(usage);
            }
        }

        return events;
    }

    public void Dispose() => gate.Dispose();
}
