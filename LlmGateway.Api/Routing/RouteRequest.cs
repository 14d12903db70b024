using LlmGateway.Api.Contracts;
using LlmGateway.Api.Providers;
using Microsoft.ML.Tokenizers;

namespace LlmGateway.Api.Routing;

/// <summary>What a deployment must offer to serve a request: a context window, vision, tools.</summary>
public sealed record RouteRequest(UpstreamOperation Operation, JsonBody? Body)
{
    // Larger bodies are estimated at 4 bytes a token: tokenizing megabytes on the hot path is not worth it.
    private const int TokenizeUpTo = 256 * 1024;
    private static readonly Lazy<Tokenizer> O200k = new(() => TiktokenTokenizer.CreateForEncoding("o200k_base"));
    private long? promptTokens;

    public bool UsesVision => Body is not null && Operation == UpstreamOperation.Chat
        && (Contains(Body.Bytes.Span, "\"image_url\""u8) || Contains(Body.Bytes.Span, "\"type\":\"image\""u8) || Contains(Body.Bytes.Span, "\"type\": \"image\""u8));

    public bool UsesTools => Body is not null && Operation == UpstreamOperation.Chat
        && ((Body.TryGet("tools", out var tools) && tools.Kind == System.Text.Json.JsonTokenType.StartArray && tools.ValueEnd - tools.ValueStart > 2)
            || (Body.TryGet("functions", out var functions) && functions.Kind == System.Text.Json.JsonTokenType.StartArray));

    /// <summary>The prompt's tokens, estimated once (O200k on the body, which counts messages, system and tools).</summary>
    public long EstimatedPromptTokens => promptTokens ??= Estimate();

    private long Estimate()
    {
        if (Body is null)
        {
            return 0;
        }

        var bytes = Body.Bytes.Span;
        if (bytes.Length > TokenizeUpTo)
        {
            return bytes.Length / 4;
        }

        try
        {
            return O200k.Value.CountTokens(System.Text.Encoding.UTF8.GetString(bytes));
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or ArgumentException)
        {
            return bytes.Length / 4;
        }
    }

    private static bool Contains(ReadOnlySpan<byte> haystack, ReadOnlySpan<byte> needle) => haystack.IndexOf(needle) >= 0;
}
