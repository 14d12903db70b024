using System.Text.Json;
using LlmGateway.Api.ClientApis.ChatCompletions;
using LlmGateway.Api.Contracts;

namespace LlmGateway.Api.ClientApis.Completions;

/// <summary>
/// What the gateway needs from a legacy text completions request (<c>POST /v1/completions</c>), validated without a DOM.
/// Served by translation to chat models, so what only the legacy engine can do (<c>suffix</c>, <c>echo</c>,
/// <c>logprobs</c>, <c>best_of</c>, several choices or prompts, token-id prompts) is refused naming the field.
/// </summary>
public sealed class CompletionsRequest
{
    /// <summary>OpenAI's default <c>max_tokens</c> for completions when the client sends none.</summary>
    public const long DefaultMaxTokens = 16;

    public required string Model { get; init; }
    public bool Stream { get; init; }
    public bool IncludeUsage { get; init; }
    public long MaxTokens { get; init; } = DefaultMaxTokens;
    public string? User { get; init; }

    public static bool TryRead(JsonBody body, out CompletionsRequest request, out GatewayError? error)
    {
        request = null!;
        if (!BodyField.RejectForbidden(body, out error)
            || !BodyField.TryString(body, "model", required: true, out var model, out error)
            || !TryPrompt(body, out error)
            || !RefuseLegacyOnly(body, out error)
            || !BodyField.TryBool(body, "stream", out var stream, out error)
            || !BodyField.TryInteger(body, "max_tokens", 1, int.MaxValue, out var maxTokens, out error)
            || !BodyField.TryNumber(body, "temperature", 0, 2, out _, out error)
            || !BodyField.TryNumber(body, "top_p", 0, 1, out _, out error)
            || !BodyField.TryNumber(body, "presence_penalty", -2, 2, out _, out error)
            || !BodyField.TryNumber(body, "frequency_penalty", -2, 2, out _, out error)
            || !BodyField.TryString(body, "user", required: false, out var user, out error)
            || !ChatRequest.TryReadIncludeUsage(body, out var includeUsage, out error))
        {
            return false;
        }

        request = new CompletionsRequest
        {
            Model = model!, Stream = stream ?? false, IncludeUsage = includeUsage, MaxTokens = maxTokens ?? DefaultMaxTokens, User = user,
        };
        return true;
    }

    /// <summary><c>prompt</c>: a string, or an array holding one string.</summary>
    private static bool TryPrompt(JsonBody body, out GatewayError? error)
    {
        error = null;
        if (!body.TryGet("prompt", out var prompt) || prompt.Kind == JsonTokenType.Null)
        {
            error = GatewayError.InvalidRequest("'prompt' is required: a string, or an array with one string.", "prompt", "missing_required_parameter");
            return false;
        }

        if (prompt.Kind == JsonTokenType.String)
        {
            return true;
        }

        var reader = body.ReaderFor(prompt);
        var count = 0;
        var strings = prompt.Kind == JsonTokenType.StartArray;
        while (strings && reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            strings = reader.TokenType == JsonTokenType.String;
            count++;
        }

        if (strings && count == 1)
        {
            return true;
        }

        error = GatewayError.InvalidRequest(strings && count > 1
                ? $"'prompt' holds {count} prompts: the gateway serves one prompt per request (send one request per prompt)."
                : "'prompt' must be a string or an array with one string (token-id prompts are not supported).",
            "prompt", "unsupported_value");
        return false;
    }

    private static bool RefuseLegacyOnly(JsonBody body, out GatewayError? error)
    {
        error = null;
        foreach (var (name, allowed) in (ReadOnlySpan<(string, string)>)[("suffix", ""), ("echo", "false"), ("logprobs", ""), ("best_of", "1"), ("n", "1")])
        {
            if (!body.TryGet(name, out var property) || property.Kind == JsonTokenType.Null
                || (allowed.Length > 0 && System.Text.Encoding.UTF8.GetString(body.Raw(property)) == allowed))
            {
                continue;
            }

            error = GatewayError.InvalidRequest(
                $"'{name}' is not supported: the gateway serves completions by translating them to chat models.", name, "unsupported_parameter");
            return false;
        }

        return true;
    }
}
