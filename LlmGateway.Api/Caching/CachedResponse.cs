using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using LlmGateway.Api.Contracts;

namespace LlmGateway.Api.Caching;

/// <summary>
/// One cached answer: the complete non-stream response body in the client's format (a streamed original is folded
/// into one), the usage it reported and what it cost. Stored Brotli-compressed as
/// <c>[header length][header JSON][body]</c>.
/// </summary>
public sealed record CachedResponse(byte[] Body, TokenUsage Usage, decimal SavedCost, DateTimeOffset Created)
{
    private const int Version = 1;

    public byte[] Encode()
    {
        var header = JsonSerializer.SerializeToUtf8Bytes(new Header(Version, Created.ToUnixTimeMilliseconds(),
            Usage.PromptTokens, Usage.CompletionTokens, Usage.CachedTokens, Usage.ReasoningTokens,
            SavedCost.ToString(CultureInfo.InvariantCulture)), CachingJson.Default.Header);
        using var output = new MemoryStream(Body.Length / 3 + 64);
        using (var brotli = new BrotliStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            Span<byte> length = stackalloc byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(length, header.Length);
            brotli.Write(length);
            brotli.Write(header);
            brotli.Write(Body);
        }

        return output.ToArray();
    }

    /// <summary>Null for anything unreadable or larger than <paramref name="maxBytes"/> once decompressed.</summary>
    public static CachedResponse? Decode(byte[] stored, int maxBytes)
    {
        try
        {
            using var brotli = new BrotliStream(new MemoryStream(stored), CompressionMode.Decompress);
            using var plain = new MemoryStream();
            var buffer = new byte[16 * 1024];
            int read;
            while ((read = brotli.Read(buffer)) > 0)
            {
                if (plain.Length + read > maxBytes + 4096)
                {
                    return null;
                }

                plain.Write(buffer, 0, read);
            }

            var bytes = plain.GetBuffer().AsSpan(0, (int)plain.Length);
            var headerLength = BinaryPrimitives.ReadInt32LittleEndian(bytes);
            if (headerLength <= 0 || headerLength > bytes.Length - 4)
            {
                return null;
            }

            var header = JsonSerializer.Deserialize(bytes.Slice(4, headerLength), CachingJson.Default.Header);
            if (header is null || header.V != Version)
            {
                return null;
            }

            return new CachedResponse(bytes[(4 + headerLength)..].ToArray(),
                new TokenUsage(header.Prompt, header.Completion, header.Cached, header.Reasoning),
                decimal.Parse(header.Cost, CultureInfo.InvariantCulture), DateTimeOffset.FromUnixTimeMilliseconds(header.Created));
        }
        catch (Exception ex) when (ex is InvalidDataException or JsonException or FormatException or ArgumentException)
        {
            return null;
        }
    }

    internal sealed record Header(int V, long Created, long Prompt, long Completion, long Cached, long Reasoning, string Cost);
}

[System.Text.Json.Serialization.JsonSerializable(typeof(CachedResponse.Header))]
internal sealed partial class CachingJson : System.Text.Json.Serialization.JsonSerializerContext;
