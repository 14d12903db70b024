using System.Text.Json;
using StackExchange.Redis;

namespace LlmGateway.Api.Spend;

/// <summary>How usage events sit in the Redis stream: one field holding the event's JSON; one consumer group, <c>ledger</c>.</summary>
internal static class UsageStream
{
    public const string Group = "ledger";
    public const string Field = "e";

    /// <summary>This replica's consumer name: unique per process, so a restarted replica never inherits a dead one's entries silently.</summary>
    public static readonly string ConsumerName = $"{Environment.MachineName}-{Environment.ProcessId}";

    public static byte[] Serialize(UsageEvent usage) =>
        JsonSerializer.SerializeToUtf8Bytes(usage, UsageJsonContext.Default.UsageEvent);

    /// <summary>What an idle writer points at: never written to.</summary>
    private static readonly System.Buffers.ArrayBufferWriter<byte> Detached = new(1);

    [ThreadStatic]
    private static Utf8JsonWriter? writer;

    /// <summary>The event's JSON written into a pooled buffer (the caller disposes it), with this thread's reused writer.</summary>
    public static Streaming.PooledBufferWriter SerializePooled(UsageEvent usage)
    {
        var buffer = new Streaming.PooledBufferWriter();
        var json = writer ??= new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = UsageJsonContext.Default.Options.Encoder, SkipValidation = true });
        json.Reset(buffer);
        try
        {
            JsonSerializer.Serialize(json, usage, UsageJsonContext.Default.UsageEvent);
        }
        finally
        {
            json.Reset(Detached); // the thread's writer keeps no reference to the buffer (Reset(Stream) would allocate a buffer writer)
        }

        return buffer;
    }

    /// <summary>The event of a stream entry, or null when the entry was deleted or is not a usage event.</summary>
    public static UsageEvent? Read(StreamEntry entry)
    {
        if (entry.IsNull)
        {
            return null;
        }

        var value = entry[Field];
        return value.IsNullOrEmpty ? null : Deserialize((byte[])value!);
    }

    public static UsageEvent? Deserialize(ReadOnlySpan<byte> json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, UsageJsonContext.Default.UsageEvent);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
