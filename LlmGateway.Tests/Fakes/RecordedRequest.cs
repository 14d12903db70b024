using System.Text.Json.Nodes;

namespace LlmGateway.Tests.Fakes;

/// <summary>A request as the fake upstream received it; <see cref="Headers"/> is case-insensitive.</summary>
public sealed record RecordedRequest(
    string Method,
    string PathAndQuery,
    IReadOnlyDictionary<string, string> Headers,
    string Body,
    JsonObject? Json)
{
    /// <summary>The path without the query string.</summary>
    public string Path => PathAndQuery.Split('?', 2)[0];

    /// <summary>A header value, or null when the header was not sent.</summary>
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;

    /// <summary>The gateway's own one-token ping (its health check's request): one user message "ping", <c>max_tokens: 1</c>.</summary>
    public bool IsPing => Json?["max_tokens"] is JsonValue max && max.TryGetValue<int>(out var tokens) && tokens == 1
        && Json["messages"] is JsonArray { Count: 1 } messages && messages[0]?["content"] is JsonValue content
        && content.TryGetValue<string>(out var text) && text == "ping";

    /// <summary>The request body's <c>model</c>, when it had one.</summary>
    public string? Model => Json?["model"] is JsonValue value && value.TryGetValue<string>(out var model) ? model : null;
}
