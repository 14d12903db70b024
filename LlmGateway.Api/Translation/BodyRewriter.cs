using System.Buffers;
using System.Text.Json;
using LlmGateway.Api.Contracts;

namespace LlmGateway.Api.Translation;

/// <summary>
/// Writes a request body for the upstream by copying each top-level value as raw bytes, except the few the
/// gateway changes (the model, usage in streams, the max_tokens ceiling) and the gateway-only fields it drops.
/// Nested values are never parsed or re-serialised.
/// </summary>
public static class BodyRewriter
{
    /// <summary>
    /// LiteLLM-style fields meant for the gateway (LiteLLM's router and proxy), not the provider: never forwarded, where a
    /// provider would refuse the unknown field. The gateway does not honour its retry and timeout knobs either
    /// (<c>LitellmFieldAttackTests</c>): the config's hold.
    /// </summary>
    private static readonly HashSet<string> GatewayOnly =
    [
        "metadata", "cache", "tags", "mock_response", "fallbacks", "num_retries", "context_window_fallback_dict",
        "caching", "guardrails", "litellm_metadata", "proxy_server_request", "drop_params", "request_timeout",
        "context_window_fallbacks", "mock_testing_fallbacks", "max_retries", "timeout", "stream_timeout", "user_config",
        "model_list", "custom_llm_provider", "litellm_call_id", "litellm_logging_obj",
    ];

    /// <summary>A field the gateway itself consumes: never an upstream's concern, passed through or translated.</summary>
    public static bool IsGatewayOnly(string name) => GatewayOnly.Contains(name);

    public sealed record Options(string Model)
    {
        /// <summary>For OpenAI-compatible streams: always ask for the usage chunk.</summary>
        public bool ForceIncludeUsage { get; init; }
        /// <summary>
        /// Clamp the output limit (<see cref="MaxTokensName"/>; chat's <c>max_completion_tokens</c> too) to this (an explicit
        /// null is read as no limit: the ceiling), and send it as <see cref="MaxTokensName"/> when the client sent none.
        /// </summary>
        public int? MaxTokensCeiling { get; init; }
        /// <summary>The output limit's field in the client's format: <c>max_tokens</c>, or the Responses API's <c>max_output_tokens</c>.</summary>
        public string MaxTokensName { get; init; } = "max_tokens";
        public bool KeepMockResponse { get; init; }
        /// <summary>Anthropic's own <c>metadata</c> (<c>user_id</c>), for a Messages client of an Anthropic deployment.</summary>
        public bool KeepMetadata { get; init; }
        public bool DropGatewayFields { get; init; } = true;
        /// <summary>Anthropic: the <c>max_uses</c> given to each web search or fetch tool the client sent without one.</summary>
        public int? ToolMaxUses { get; init; }
        /// <summary>Responses API: the <c>max_tool_calls</c> sent with hosted web search tools when the client sent none.</summary>
        public int? MaxToolCalls { get; init; }
    }

    /// <summary>The rewritten body: the writer's own buffer, not copied again (the request holds it until it was sent).</summary>
    public static ReadOnlyMemory<byte> Rewrite(JsonBody body, Options options)
    {
        var buffer = new ArrayBufferWriter<byte>(body.Bytes.Length + 64);
        // This thread's writer, reused (a writer per request was ~1% of a request's allocations); taken while in use, so a
        // nested rewrite on the same thread gets a writer of its own.
        var writer = threadWriter ?? new Utf8JsonWriter(Detached, new JsonWriterOptions { SkipValidation = true });
        threadWriter = null;
        writer.Reset(buffer);
        try
        {
            writer.WriteStartObject();
            var wrote = Wrote.None;
            foreach (var property in body.Properties)
            {
                wrote |= WriteProperty(writer, body, property, options);
            }

            if (options.ForceIncludeUsage && !wrote.HasFlag(Wrote.StreamOptions))
            {
                WriteIncludeUsage(writer);
            }

            if (options.MaxTokensCeiling is { } max && !wrote.HasFlag(Wrote.MaxTokens))
            {
                writer.WriteNumber(options.MaxTokensName, max);
            }

            if (options.MaxToolCalls is { } calls && wrote.HasFlag(Wrote.SearchTools) && !wrote.HasFlag(Wrote.MaxToolCalls))
            {
                writer.WriteNumber("max_tool_calls", calls);
            }

            writer.WriteEndObject();
            writer.Flush();
        }
        finally
        {
            writer.Reset(Detached); // keeps no reference to the request's buffer
            threadWriter = writer;
        }

        return buffer.WrittenMemory;
    }

    /// <summary>What an idle writer points at: never written to.</summary>
    private static readonly ArrayBufferWriter<byte> Detached = new(1);

    [ThreadStatic]
    private static Utf8JsonWriter? threadWriter;

    /// <summary>What the body held that decides what is appended after its properties.</summary>
    [Flags]
    private enum Wrote
    {
        None = 0,
        StreamOptions = 1,
        MaxTokens = 2,
        MaxToolCalls = 4,
        SearchTools = 8,
    }

    /// <summary>One top-level property as the upstream gets it: changed, dropped, or its raw bytes.</summary>
    private static Wrote WriteProperty(Utf8JsonWriter writer, JsonBody body, in JsonBodyProperty property, Options options)
    {
        var wrote = Wrote.None;
        switch (property.Name)
        {
            case "tools" when body.HostedTools.Any(IsSearchTool):
                if (options.ToolMaxUses is { } uses)
                {
                    writer.WritePropertyName("tools");
                    WriteToolsWithMaxUses(writer, body.RawMemory(property), uses);
                    return Wrote.SearchTools;
                }

                wrote = Wrote.SearchTools;
                break;
            case "max_tool_calls":
                wrote = Wrote.MaxToolCalls;
                break;
            case "model":
                writer.WriteString("model", options.Model);
                return Wrote.None;
            case "stream_options" when options.ForceIncludeUsage:
                WriteIncludeUsage(writer);
                return Wrote.StreamOptions;
            case var limitName when options.MaxTokensCeiling is { } ceiling && IsOutputLimit(limitName, options.MaxTokensName):
                var limit = body.ReaderFor(property);
                var requested = limit.TokenType == JsonTokenType.Number && limit.TryGetInt64(out var value) ? value : ceiling;
                writer.WriteNumber(property.Name, Math.Min(requested, ceiling));
                return Wrote.MaxTokens;
            case "mock_response" when options.KeepMockResponse:
            case "metadata" when options.KeepMetadata:
                break;
            case var name when options.DropGatewayFields && GatewayOnly.Contains(name):
                return Wrote.None;
        }

        writer.WritePropertyName(property.Name);
        writer.WriteRawValue(body.Raw(property), skipInputValidation: true);
        return wrote;
    }

    /// <summary>
    /// Whether <paramref name="name"/> is the output limit of the format whose field is <paramref name="field"/> (chat's
    /// <c>max_completion_tokens</c> too). Only that one: another format's field, which this provider ignores or refuses, does
    /// not stand for the limit, so the ceiling is still sent.
    /// </summary>
    private static bool IsOutputLimit(string name, string field) => name == field || (field == "max_tokens" && name == "max_completion_tokens");

    private static void WriteIncludeUsage(Utf8JsonWriter writer)
    {
        writer.WritePropertyName("stream_options");
        writer.WriteStartObject();
        writer.WriteBoolean("include_usage", true);
        writer.WriteEndObject();
    }

    /// <summary>A search tool (<c>web_search…</c>, <c>web_fetch…</c>, <c>file_search</c>), by its decoded type.</summary>
    private static bool IsSearchTool(TypedTool tool) => tool.Type.StartsWith("web_", StringComparison.Ordinal) || tool.Type == "file_search";

    /// <summary>The tools, each web search or fetch tool without <c>max_uses</c> given <paramref name="uses"/>: the bound reserved for it.</summary>
    private static void WriteToolsWithMaxUses(Utf8JsonWriter writer, ReadOnlyMemory<byte> tools, int uses)
    {
        var array = System.Text.Json.Nodes.JsonNode.Parse(tools.Span)!.AsArray();
        foreach (var tool in array.OfType<System.Text.Json.Nodes.JsonObject>())
        {
            if (tool["type"] is System.Text.Json.Nodes.JsonValue type && type.TryGetValue<string>(out var name)
                && (name.StartsWith("web_search", StringComparison.Ordinal) || name.StartsWith("web_fetch", StringComparison.Ordinal))
                && !tool.ContainsKey("max_uses"))
            {
                tool["max_uses"] = uses;
            }
        }

        array.WriteTo(writer);
    }
}
