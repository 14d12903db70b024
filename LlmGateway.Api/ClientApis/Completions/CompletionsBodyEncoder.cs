using System.Buffers;
using System.Text;
using System.Text.Json;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Translation;
using static LlmGateway.Api.ClientApis.ChatCompletions.ChatCompletionsUsageWriter;

namespace LlmGateway.Api.ClientApis.Completions;

/// <summary>A whole answer as a legacy <c>text_completion</c>: its text (not its reasoning or tool calls), finish reason and usage.</summary>
public static class CompletionsBodyEncoder
{
    public static byte[] Encode(CanonicalResponse response, ResponseIdentity identity)
    {
        var text = new StringBuilder();
        foreach (var part in response.Content)
        {
            if (part is TextPart textPart)
            {
                text.Append(textPart.Text);
            }
        }

        var buffer = new ArrayBufferWriter<byte>(256 + text.Length);
        using (var w = new Utf8JsonWriter(buffer, TranslationJson.WriterOptions))
        {
            WriteEnvelope(w, identity, "text_completion");
            w.WriteStartArray("choices");
            WriteChoice(w, text.ToString(), FinishReasonOf(response.Finish ?? FinishReason.Stop));
            w.WriteEndArray();
            WriteUsage(w, response.Usage ?? default, null);
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>A choice of a completion or of a chunk (choice 0 unless fanned out).</summary>
    internal static void WriteChoice(Utf8JsonWriter w, string text, string? finishReason, int index = 0)
    {
        w.WriteStartObject();
        w.WriteString("text", text);
        w.WriteNumber("index", index);
        w.WriteNull("logprobs");
        w.WriteString("finish_reason", finishReason);
        w.WriteEndObject();
    }
}
