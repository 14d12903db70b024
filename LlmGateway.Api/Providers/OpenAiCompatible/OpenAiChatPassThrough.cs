using System.Text.Json;
using System.Text.Json.Nodes;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Streaming;
using LlmGateway.Api.Translation;

namespace LlmGateway.Api.Providers.OpenAiCompatible;

/// <summary>
/// An OpenAI-compatible answer to a chat completions client: bytes pass through untouched, event by event, with the usage
/// read on the way, the usage chunk hidden from a client that did not ask for it and priced (<c>usage.cost</c>) for one that did.
/// </summary>
public sealed class OpenAiChatPassThrough(StreamEncoderOptions options) : ResponseTranslation
{
    public override StreamStep OnEvent(SseEvent upstream, SseWriter client, bool committed)
    {
        var data = upstream.Data;
        Fold(upstream, static () => new OpenAiChatStreamDecoder(ToolCallIds.NewPrefix()));
        if (data.SequenceEqual("[DONE]"u8))
        {
            if (Started)
            {
                client.Raw(upstream.Raw);
            }

            return new StreamStep(true);
        }

        if (InBandError.Read(data) is { } error)
        {
            if (committed)
            {
                // The provider's own error event goes to the client as it is, then the stream ends: one error, one [DONE].
                client.Raw(upstream.Raw);
                client.Done();
            }

            return new StreamStep(true, error);
        }

        Started = true;
        if (data.IndexOf("\"usage\""u8) >= 0 && TokenUsage.TryReadOpenAi(data, out var usage, out var choicesEmpty))
        {
            Usage = usage;
            if (choicesEmpty && !options.IncludeUsage)
            {
                return StreamStep.Continue;
            }

            if (choicesEmpty && WithCost(data, usage) is { } priced)
            {
                client.Data(priced);
                return StreamStep.Continue;
            }
        }

        client.Raw(upstream.Raw);
        return StreamStep.Continue;
    }

    public override ReadOnlyMemory<byte>? OnBody(ReadOnlyMemory<byte> upstream)
    {
        if (upstream.IsEmpty)
        {
            return null;
        }

        Started = true;
        Usage = TokenUsage.OfOpenAiBody(upstream.Span);
        return upstream;
    }


    private byte[]? WithCost(ReadOnlySpan<byte> chunk, TokenUsage usage)
    {
        if (options.CostOf?.Invoke(usage) is not { } cost)
        {
            return null; // no known price: the chunk goes out as the provider sent it
        }

        try
        {
            if (JsonNode.Parse(chunk) is JsonObject root && root["usage"] is JsonObject usageObject)
            {
                usageObject["cost"] = cost;
                return JsonSerializer.SerializeToUtf8Bytes(root, TranslationJson.Options);
            }
        }
        catch (JsonException)
        {
            // not ours to fix: the chunk goes out as it came
        }

        return null;
    }
}
