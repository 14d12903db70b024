using System.Text.Json;
using LlmGateway.Api.ClientApis.ChatCompletions;
using LlmGateway.Api.Contracts;

namespace LlmGateway.Api.ClientApis.Completions;

/// <summary>
/// What the gateway needs from a legacy text completions request (<c>POST /v1/completions</c>), validated without a DOM:
/// <c>prompt</c> as a string, an array of strings, an array of token ids or an array of token-id arrays; <c>n</c> answers of
/// each. A deployment that speaks the completions API gets it unchanged; a chat model by translation
/// (<see cref="CompletionsRequestDecoder"/>), which refuses what only the legacy engine can do, naming the field.
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

    /// <summary>How many prompts the body holds (a token-id array is one).</summary>
    public int Prompts { get; init; } = 1;

    /// <summary>The answers asked of each prompt (<c>n</c>).</summary>
    public int N { get; init; } = 1;

    /// <summary>Every answer the request may be billed for: one per prompt × <c>n</c> (<c>best_of</c> when larger).</summary>
    public long Choices { get; init; } = 1;

    public static bool TryRead(JsonBody body, out CompletionsRequest request, out GatewayError? error)
    {
        request = null!;
        if (!BodyField.RejectForbidden(body, out error)
            || !BodyField.TryString(body, "model", required: true, out var model, out error)
            || !TryPrompt(body, out var prompts, out error)
            || !BodyField.TryInteger(body, "n", 1, 128, out var n, out error)
            || !BodyField.TryInteger(body, "best_of", 1, 20, out var bestOf, out error)
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
            Prompts = prompts, N = (int)(n ?? 1), Choices = prompts * Math.Max(n ?? 1, bestOf ?? 1),
        };
        return true;
    }

    /// <summary><c>prompt</c>: a string, or an array of strings, of token ids (one prompt) or of token-id arrays, not mixed.</summary>
    private static bool TryPrompt(JsonBody body, out int prompts, out GatewayError? error)
    {
        prompts = 1;
        error = null;
        if (!body.TryGet("prompt", out var prompt) || prompt.Kind == JsonTokenType.Null)
        {
            error = PromptError("'prompt' is required", "missing_required_parameter");
            return false;
        }

        if (prompt.Kind == JsonTokenType.String)
        {
            return true;
        }

        var reader = body.ReaderFor(prompt);
        var (form, count) = (JsonTokenType.None, 0);
        while (prompt.Kind == JsonTokenType.StartArray && reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var kind = reader.TokenType;
            var valid = kind switch
            {
                JsonTokenType.String => true,
                JsonTokenType.Number => IsTokenId(ref reader),
                JsonTokenType.StartArray => TokenIds(ref reader) > 0,
                _ => false,
            };
            if (!valid || (form != JsonTokenType.None && kind != form))
            {
                error = PromptError($"'prompt' item {count} is not {(valid ? "of the same form as the first" : "a string, a token id or a non-empty array of token ids")}", "invalid_value");
                return false;
            }

            (form, count) = (kind, count + 1);
        }

        if (count == 0)
        {
            error = PromptError("'prompt' is empty", "invalid_value");
            return false;
        }

        prompts = form == JsonTokenType.Number ? 1 : count;
        return true;
    }

    private static GatewayError PromptError(string what, string code) => GatewayError.InvalidRequest(
        $"{what}: it must be a string, an array of strings, an array of token ids (integers) or an array of token-id arrays.", "prompt", code);

    private static bool IsTokenId(ref Utf8JsonReader reader) => reader.TryGetInt32(out var id) && id >= 0;

    /// <summary>How many token ids the array at the reader holds; 0 when any item is not one.</summary>
    private static int TokenIds(ref Utf8JsonReader reader)
    {
        var (count, valid) = (0, true);
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            valid &= reader.TokenType == JsonTokenType.Number && IsTokenId(ref reader);
            reader.Skip();
            count++;
        }

        return valid ? count : 0;
    }
}
