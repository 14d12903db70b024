using System.Buffers;
using System.Text.Json;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Translation;
using static LlmGateway.Api.ClientApis.Messages.MessagesUsageWriter;

namespace LlmGateway.Api.ClientApis.Messages;

/// <summary>Writes a whole answer as an Anthropic Messages response body (wire-formats §7).</summary>
public static class MessagesBodyEncoder
{
    /// <summary>
    /// The message JSON (UTF-8, no <c>\u</c> escapes of non-ASCII): <paramref name="identity"/>'s id and model,
    /// thinking / redacted_thinking / text / tool_use blocks in order, stop reason and usage.
    /// </summary>
    public static byte[] Encode(CanonicalResponse response, ResponseIdentity identity)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer, TranslationJson.WriterOptions))
        {
            w.WriteStartObject();
            WriteEnvelope(w, identity);
            w.WriteStartArray("content");
            foreach (var part in response.Content)
            {
                WriteBlock(w, part);
            }

            w.WriteEndArray();
            var finish = response.Finish ?? FinishReason.Stop;
            w.WriteString("stop_reason", StopReason(finish));
            if (finish == FinishReason.StopSequence && response.StopSequence is { } sequence)
            {
                w.WriteString("stop_sequence", sequence);
            }
            else
            {
                w.WriteNull("stop_sequence");
            }

            WriteUsage(w, response.Usage ?? default);
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteBlock(Utf8JsonWriter w, ContentPart part)
    {
        switch (part)
        {
            case ReasoningPart reasoning:
                w.WriteStartObject();
                WriteThinking(w, reasoning.RedactedData, reasoning.Text, reasoning.Signature ?? "");
                w.WriteEndObject();
                break;
            case TextPart text:
                w.WriteStartObject();
                w.WriteString("type", "text");
                w.WriteString("text", text.Text);
                w.WriteEndObject();
                break;
            case ToolCallPart call:
                w.WriteStartObject();
                WriteToolUseHead(w, call.Id, call.Name);
                w.WritePropertyName("input");
                WriteInput(w, call.Arguments);
                WriteCaller(w);
                w.WriteEndObject();
                break;
        }
    }

    /// <summary>Tool input must be an object; arguments that are not one are kept verbatim under <c>_raw</c>.</summary>
    private static void WriteInput(Utf8JsonWriter w, string arguments)
    {
        if (!string.IsNullOrWhiteSpace(arguments))
        {
            try
            {
                using var input = JsonDocument.Parse(arguments);
                if (input.RootElement.ValueKind == JsonValueKind.Object)
                {
                    input.RootElement.WriteTo(w);
                    return;
                }
            }
            catch (JsonException)
            {
                // Models do emit broken JSON; the client still sees what was produced.
            }

            w.WriteStartObject();
            w.WriteString("_raw", arguments);
            w.WriteEndObject();
            return;
        }

        w.WriteStartObject();
        w.WriteEndObject();
    }
}
