using System.Buffers;
using System.Text;
using System.Text.Json;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Translation;
using static LlmGateway.Api.ClientApis.ChatCompletions.ChatCompletionsUsageWriter;

namespace LlmGateway.Api.ClientApis.ChatCompletions;

/// <summary>Writes a whole <see cref="CanonicalResponse"/> as an OpenAI <c>chat.completion</c> body (wire-formats §2).</summary>
public static class ChatCompletionsBodyEncoder
{
    /// <summary>
    /// The <c>chat.completion</c> JSON (UTF-8, non-ASCII unescaped) with the gateway's id, model and time.
    /// <c>usage.cost</c> is written only when <paramref name="costOf"/> is given and knows the price.
    /// </summary>
    public static byte[] Encode(CanonicalResponse response, ResponseIdentity identity, Func<TokenUsage, decimal?>? costOf = null)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer, TranslationJson.WriterOptions))
        {
            WriteEnvelope(w, identity, "chat.completion");
            w.WriteStartArray("choices");
            w.WriteStartObject();
            w.WriteNumber("index", 0);
            WriteMessage(w, response.Content);
            w.WriteNull("logprobs");
            w.WriteString("finish_reason", FinishReasonOf(response.Finish ?? FinishReason.Stop));
            w.WriteEndObject();
            w.WriteEndArray();
            var usage = response.Usage ?? default;
            WriteUsage(w, usage, costOf?.Invoke(usage));
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteMessage(Utf8JsonWriter w, List<ContentPart> content)
    {
        StringBuilder? text = null, refusal = null, reasoning = null;
        foreach (var part in content)
        {
            switch (part)
            {
                case TextPart { IsRefusal: true } declined:
                    (refusal ??= new StringBuilder()).Append(declined.Text);
                    break;
                case TextPart answer:
                    (text ??= new StringBuilder()).Append(answer.Text);
                    break;
                case ReasoningPart { Text.Length: > 0 } thought:
                    // reasoning_content: the de-facto field (vLLM, DeepSeek, LiteLLM); signatures have no chat field.
                    (reasoning ??= new StringBuilder()).Append(thought.Text);
                    break;
            }
        }

        w.WriteStartObject("message");
        w.WriteString("role", "assistant");
        WriteStringOrNull(w, "content", text);
        WriteStringOrNull(w, "refusal", refusal);
        WriteToolCalls(w, content);
        if (reasoning is not null)
        {
            w.WriteString("reasoning_content", reasoning.ToString());
        }

        w.WriteEndObject();
    }

    private static void WriteToolCalls(Utf8JsonWriter w, List<ContentPart> content)
    {
        var any = false;
        foreach (var part in content)
        {
            if (part is not ToolCallPart call)
            {
                continue;
            }

            if (!any)
            {
                w.WriteStartArray("tool_calls");
                any = true;
            }

            // A function's arguments must parse as JSON; a call streamed without any is an empty object.
            var arguments = call.Arguments.Length > 0 || call.Freeform ? call.Arguments : "{}";
            w.WriteStartObject();
            w.WriteString("id", call.Id);
            w.WriteString("type", call.Freeform ? "custom" : "function");
            w.WriteStartObject(call.Freeform ? "custom" : "function");
            w.WriteString("name", call.Name);
            w.WriteString(call.Freeform ? "input" : "arguments", arguments);
            w.WriteEndObject();
            w.WriteEndObject();
        }

        if (any)
        {
            w.WriteEndArray();
        }
    }

    private static void WriteStringOrNull(Utf8JsonWriter w, string name, StringBuilder? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, value.ToString());
        }
    }
}
