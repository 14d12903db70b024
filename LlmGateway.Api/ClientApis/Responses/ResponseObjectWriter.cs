using System.Text.Json;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Translation;

namespace LlmGateway.Api.ClientApis.Responses;

/// <summary>What the Responses body and stream encoders both write: the response object, its output items, usage, ids.</summary>
internal static class ResponseObjectWriter
{
    /// <summary>An output item's id: its kind's prefix (<c>msg</c>, <c>fc</c>, <c>ctc</c>, <c>rs</c>), the response's own id and its place.</summary>
    public static string ItemId(ContentPart part, ResponseIdentity identity, int outputIndex)
    {
        var prefix = part switch
        {
            ToolCallPart { Freeform: true } => "ctc",
            ToolCallPart => "fc",
            ReasoningPart => "rs",
            _ => "msg",
        };
        var suffix = identity.Id.StartsWith("resp_", StringComparison.Ordinal) ? identity.Id[5..] : identity.Id;
        return $"{prefix}_{suffix}_{outputIndex}";
    }

    /// <summary>completed; incomplete when the output limit or a content filter cut the answer; failed on an error.</summary>
    public static (string Status, string? IncompleteReason) StatusOf(FinishReason? finish) => finish switch
    {
        FinishReason.Length or FinishReason.ContextWindow => ("incomplete", "max_output_tokens"),
        FinishReason.ContentFilter => ("incomplete", "content_filter"),
        _ => ("completed", null),
    };

    /// <summary>The whole response object; <paramref name="status"/> in_progress writes no usage.</summary>
    public static void WriteResponse(Utf8JsonWriter w, ResponseIdentity identity, string status, CanonicalResponse? answer, ResponseFailed? failure = null)
    {
        var incomplete = status == "incomplete" ? StatusOf(answer?.Finish).IncompleteReason : null;
        w.WriteStartObject();
        w.WriteString("id", identity.Id);
        w.WriteString("object", "response");
        w.WriteNumber("created_at", identity.Created);
        w.WriteString("status", status);
        w.WriteBoolean("background", false);
        WriteProblem(w, failure, incomplete);
        w.WriteNull("instructions");
        w.WriteNull("max_output_tokens");
        w.WriteString("model", identity.Model);
        w.WriteStartArray("output");
        for (var i = 0; answer is not null && i < answer.Content.Count; i++)
        {
            WriteItem(w, answer.Content[i], ItemId(answer.Content[i], identity, i), "completed");
        }

        w.WriteEndArray();
        WriteSettings(w);
        if (status is "in_progress" || answer?.Usage is not { } usage)
        {
            w.WriteNull("usage");
        }
        else
        {
            WriteUsage(w, usage);
        }

        w.WriteStartObject("metadata");
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary><c>error</c> (a failure) and <c>incomplete_details</c> (why an answer was cut), null when neither.</summary>
    private static void WriteProblem(Utf8JsonWriter w, ResponseFailed? failure, string? incomplete)
    {
        if (failure is null)
        {
            w.WriteNull("error");
        }
        else
        {
            w.WriteStartObject("error");
            w.WriteString("code", failure.Type == "rate_limit_error" ? "rate_limit_exceeded" : "server_error");
            w.WriteString("message", failure.Message);
            w.WriteEndObject();
        }

        if (incomplete is null)
        {
            w.WriteNull("incomplete_details");
        }
        else
        {
            w.WriteStartObject("incomplete_details");
            w.WriteString("reason", incomplete);
            w.WriteEndObject();
        }
    }

    /// <summary>The request settings a response object carries, at OpenAI's defaults (the encoders do not see the request).</summary>
    private static void WriteSettings(Utf8JsonWriter w)
    {
        w.WriteBoolean("parallel_tool_calls", true);
        w.WriteNull("previous_response_id");
        w.WriteStartObject("text");
        w.WriteStartObject("format");
        w.WriteString("type", "text");
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteString("tool_choice", "auto");
        w.WriteStartArray("tools");
        w.WriteEndArray();
        w.WriteString("truncation", "disabled");
    }

    /// <summary><c>input_tokens</c> include cache reads and writes; <c>output_tokens</c> include reasoning.</summary>
    public static void WriteUsage(Utf8JsonWriter w, TokenUsage usage)
    {
        w.WriteStartObject("usage");
        w.WriteNumber("input_tokens", usage.PromptTokens);
        w.WriteStartObject("input_tokens_details");
        w.WriteNumber("cached_tokens", usage.CachedTokens);
        w.WriteEndObject();
        w.WriteNumber("output_tokens", usage.CompletionTokens);
        w.WriteStartObject("output_tokens_details");
        w.WriteNumber("reasoning_tokens", usage.ReasoningTokens);
        w.WriteEndObject();
        w.WriteNumber("total_tokens", usage.TotalTokens);
        w.WriteEndObject();
    }

    /// <summary>One output item: a message, a function or custom tool call, or reasoning (its signature as <c>encrypted_content</c>).</summary>
    public static void WriteItem(Utf8JsonWriter w, ContentPart part, string id, string status)
    {
        w.WriteStartObject();
        switch (part)
        {
            case ToolCallPart call:
                w.WriteString("type", call.Freeform ? "custom_tool_call" : "function_call");
                w.WriteString("id", id);
                w.WriteString("call_id", call.Id);
                w.WriteString("name", call.Name);
                w.WriteString(call.Freeform ? "input" : "arguments",
                    status == "completed" && call.Arguments.Length == 0 && !call.Freeform ? "{}" : call.Arguments);
                w.WriteString("status", status);
                break;
            case ReasoningPart reasoning:
                w.WriteString("type", "reasoning");
                w.WriteString("id", id);
                w.WriteStartArray("summary");
                if (status == "completed" && reasoning.Text.Length > 0)
                {
                    WriteSummaryPart(w, reasoning.Text);
                }

                w.WriteEndArray();
                if (EncryptedContent(reasoning) is { } encrypted)
                {
                    w.WriteString("encrypted_content", encrypted);
                }

                break;
            case TextPart text:
                w.WriteString("type", "message");
                w.WriteString("id", id);
                w.WriteString("status", status);
                w.WriteString("role", "assistant");
                w.WriteStartArray("content");
                if (status == "completed")
                {
                    WriteContentPart(w, text.IsRefusal, text.Text);
                }

                w.WriteEndArray();
                break;
        }

        w.WriteEndObject();
    }

    /// <summary>OpenAI's own encrypted reasoning, else Anthropic's signature, else its redacted data (marked, see <see cref="ResponsesItemDecoder"/>).</summary>
    public static string? EncryptedContent(ReasoningPart reasoning) =>
        reasoning.EncryptedContent ?? reasoning.Signature
        ?? (reasoning.RedactedData is { } data ? ResponsesItemDecoder.RedactedPrefix + data : null);

    public static void WriteContentPart(Utf8JsonWriter w, bool refusal, string text)
    {
        w.WriteStartObject();
        if (refusal)
        {
            w.WriteString("type", "refusal");
            w.WriteString("refusal", text);
        }
        else
        {
            w.WriteString("type", "output_text");
            w.WriteString("text", text);
            w.WriteStartArray("annotations");
            w.WriteEndArray();
            w.WriteStartArray("logprobs");
            w.WriteEndArray();
        }

        w.WriteEndObject();
    }

    public static void WriteSummaryPart(Utf8JsonWriter w, string text)
    {
        w.WriteStartObject();
        w.WriteString("type", "summary_text");
        w.WriteString("text", text);
        w.WriteEndObject();
    }
}
