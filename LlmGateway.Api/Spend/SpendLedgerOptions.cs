using System.ComponentModel.DataAnnotations;

namespace LlmGateway.Api.Spend;

/// <summary>
/// Settings of the usage pipeline (section <c>Gateway:Spend</c>; the data folder is <c>Gateway:DataDirectory</c>).
/// Every wait the pipeline makes is bounded by one of these.
/// </summary>
public sealed class SpendLedgerOptions
{
    /// <summary>Folder for the spool file (<c>usage-spool.jsonl</c>); default <c>AppContext.BaseDirectory/data</c>.</summary>
    [Required]
    public string DataDirectory { get; set; } = Path.Combine(AppContext.BaseDirectory, "data");

    /// <summary>The Redis stream that carries usage events to the ledger.</summary>
    [Required]
    public string StreamKey { get; set; } = RedisKeys.Prefix + "usage";

    /// <summary>
    /// Events written to Postgres per round trip (and read from the stream per XREADGROUP). While the writer is behind (a read
    /// came back full) each read takes twice the last, up to 4 batches, and the size falls back after a read that was not full.
    /// </summary>
    [Range(1, 10_000)]
    public int BatchSize { get; set; } = 500;

    /// <summary>
    /// Events this replica added to the stream kept in memory (by entry id) so that its own writer needs not parse them back;
    /// beyond this many the newest are not kept (they are then parsed from the stream). 0 turns the handoff off.
    /// </summary>
    [Range(0, 1_000_000)]
    public int HandoffCapacity { get; set; } = 10_000;

    /// <summary>How long the writer waits before polling an empty stream again.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// How long the writer waits after writing less than a full batch before it reads again, so that at a low steady rate
    /// events go to Postgres a batch at a time rather than a transaction per few events (0: read again at once).
    /// </summary>
    public TimeSpan BatchLinger { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Most events the recorder adds to the stream in one call (a Lua script of XADDs, an entry each) when events arrive while
    /// its previous call is in flight; a lone event is one XADD. 1 sends every event alone.
    /// </summary>
    [Range(1, 1_000)]
    public int StreamBatch { get; set; } = 64;

    /// <summary>Bound on one stream call of the recorder before it falls back to Postgres.</summary>
    public TimeSpan RedisTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Bound on the recorder's direct insert when Redis is down, before it falls back to the spool.</summary>
    public TimeSpan DirectInsertTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Bound on one batch insert of the writer.</summary>
    public TimeSpan BatchInsertTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>After a failed direct insert, the recorder goes straight to the spool for this long.</summary>
    public TimeSpan DatabaseRetryAfter { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Entries pending this long with another consumer (a crashed replica) are claimed and written.</summary>
    public TimeSpan ClaimIdleTime { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often the writer looks for such entries.</summary>
    public TimeSpan ClaimInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the writer tries to replay the spool into Postgres.</summary>
    public TimeSpan SpoolReplayInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Longest pause between retries while Postgres or Redis is down.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>On shutdown, how long the writer keeps draining the stream into Postgres.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often acknowledged entries that could not be deleted are trimmed (XTRIM MINID).</summary>
    public TimeSpan TrimInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Monthly partitions of <c>spend_logs</c> kept ready beyond the current month.</summary>
    [Range(0, 36)]
    public int PartitionMonthsAhead { get; set; } = 3;

    /// <summary>A month's partition is dropped once the month ended this many months ago; 0 keeps every month.</summary>
    [Range(0, 1200)]
    public int RetentionMonths { get; set; }

    /// <summary>How often the partitions are checked (also once at start-up).</summary>
    public TimeSpan PartitionMaintenanceInterval { get; set; } = TimeSpan.FromHours(1);
}
