using System.Buffers;
using System.Text.Json;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Streaming;
using LlmGateway.Api.Translation;
using static LlmGateway.Api.ClientApis.ChatCompletions.ChatCompletionsUsageWriter;

namespace LlmGateway.Api.ClientApis.Completions;

/// <summary>
/// Chat completions answers (the fan-out's calls) as one legacy <c>text_completion</c>: each choice's message or delta text,
/// numbered as OpenAI numbers several prompts × <c>n</c> (prompt i's answer j is index i × n + j), one choice per chunk.
/// </summary>
public sealed class CompletionsFanOutEncoder : IFanOutEncoder
{
    public static CompletionsFanOutEncoder Instance { get; } = new();

    public byte[] EncodeBody(IReadOnlyList<ReadOnlyMemory<byte>> answers, int choicesPerCall, ResponseIdentity identity, TokenUsage usage)
    {
        var choices = new List<(int Index, string Text, string? Finish)>();
        for (var call = 0; call < answers.Count; call++)
        {
            using var answer = JsonDocument.Parse(answers[call]);
            foreach (var choice in ChoicesOf(answer.RootElement))
            {
                var text = choice.TryGetProperty("message", out var message) ? TextOf(message) : "";
                choices.Add((call * choicesPerCall + IndexOf(choice), text, FinishOf(choice) ?? "stop"));
            }
        }

        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer, TranslationJson.WriterOptions))
        {
            WriteEnvelope(w, identity, "text_completion");
            w.WriteStartArray("choices");
            foreach (var (index, text, finish) in choices.OrderBy(c => c.Index))
            {
                CompletionsBodyEncoder.WriteChoice(w, text, finish, index);
            }

            w.WriteEndArray();
            WriteUsage(w, usage, null);
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    public void WriteEvent(ReadOnlySpan<byte> data, int firstIndex, ResponseIdentity identity, SseWriter output)
    {
        if (data.SequenceEqual("[DONE]"u8))
        {
            return;
        }

        var reader = new Utf8JsonReader(data);
        using var chunk = JsonDocument.ParseValue(ref reader);
        foreach (var choice in ChoicesOf(chunk.RootElement))
        {
            var text = choice.TryGetProperty("delta", out var delta) ? TextOf(delta) : "";
            var finish = FinishOf(choice);
            if (text.Length == 0 && finish is null)
            {
                continue; // the role's opening delta: the legacy stream has no such chunk
            }

            var buffer = new ArrayBufferWriter<byte>(128 + text.Length);
            using (var w = new Utf8JsonWriter(buffer, TranslationJson.WriterOptions))
            {
                WriteEnvelope(w, identity, "text_completion");
                w.WriteStartArray("choices");
                CompletionsBodyEncoder.WriteChoice(w, text, finish, firstIndex + IndexOf(choice));
                w.WriteEndArray();
                w.WriteEndObject();
            }

            output.Data(buffer.WrittenSpan);
        }
    }

    public void WriteEnd(ResponseIdentity identity, TokenUsage usage, decimal? cost, bool includeUsage, SseWriter output)
    {
        if (includeUsage)
        {
            var buffer = new ArrayBufferWriter<byte>(256);
            using (var w = new Utf8JsonWriter(buffer, TranslationJson.WriterOptions))
            {
                WriteUsageChunk(w, identity, "text_completion", usage, cost);
            }

            output.Data(buffer.WrittenSpan);
        }

        output.Done();
    }

    private static IEnumerable<JsonElement> ChoicesOf(JsonElement root) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array
            ? choices.EnumerateArray()
            : [];

    private static string TextOf(JsonElement message) =>
        message.ValueKind == JsonValueKind.Object && message.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String
            ? content.GetString()!
            : "";

    private static int IndexOf(JsonElement choice) => choice.TryGetProperty("index", out var index) && index.TryGetInt32(out var i) ? i : 0;

    private static string? FinishOf(JsonElement choice) =>
        choice.TryGetProperty("finish_reason", out var finish) && finish.ValueKind == JsonValueKind.String ? finish.GetString() : null;
}
