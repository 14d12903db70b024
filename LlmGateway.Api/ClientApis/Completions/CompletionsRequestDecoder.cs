using System.Text.Json.Nodes;
using LlmGateway.Api.ClientApis.ChatCompletions;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Pricing;
using LlmGateway.Api.Translation;
using static LlmGateway.Api.Contracts.TranslationJson;

namespace LlmGateway.Api.ClientApis.Completions;

/// <summary>
/// A text completions request as a chat: the prompt is one user turn (token ids decoded with the gateway's tokenizer); the
/// output limit defaults to OpenAI's 16. A chat call answers one prompt: several prompts and <c>n</c> are split into one
/// call each before this (<see cref="CompletionsFanOut"/>), so they reach it only from a group that also has
/// <c>use_completions_api</c> deployments, which is not split, and are refused naming the field there; what only the legacy
/// engine does (<c>suffix</c>, <c>echo</c>, <c>logprobs</c>, <c>best_of</c>) is refused likewise.
/// </summary>
public static class CompletionsRequestDecoder
{
    private static readonly HashSet<string> Mapped =
        ["model", "prompt", "max_tokens", "stream", "stream_options", "stop", "temperature", "top_p", "user", "n", "best_of", "echo", "logprobs", "suffix"];

    private const string UseCompletionsApi =
        "a chat model answers one prompt once per request: send one request per prompt and answer, or use a deployment with use_completions_api";

    /// <summary>The canonical request of a body <see cref="CompletionsRequest.TryRead"/> accepted.</summary>
    public static TranslationResult<CanonicalRequest> Decode(JsonObject body)
    {
        if (LegacyOnly(body) is { } refused)
        {
            return refused;
        }

        if (PromptText(body["prompt"], out var failure) is not { } prompt)
        {
            return failure!;
        }

        var request = new CanonicalRequest
        {
            Model = GetString(body["model"]) ?? "",
            Messages = [new CanonicalMessage(Role.User, [new TextPart(prompt)])],
            MaxOutputTokens = GetInt64(body["max_tokens"]) ?? CompletionsRequest.DefaultMaxTokens,
            MaxOutputTokensField = "max_tokens",
        };
        if (ChatCompletionsRequestDecoder.ReadStop(body["stop"], request.StopSequences) is { } error)
        {
            return error;
        }

        ChatCompletionsRequestDecoder.ReadSampling(body, request);
        foreach (var (name, value) in body)
        {
            if (!Mapped.Contains(name) && !BodyRewriter.IsGatewayOnly(name))
            {
                request.Unmapped[name] = value?.DeepClone();
            }
        }

        return request;
    }

    /// <summary>Each prompt's text, for a fan-out: the strings, or each token-id array decoded; else the failure naming the prompt.</summary>
    internal static List<string>? PromptTexts(JsonNode? prompt, out TranslationResult<CanonicalRequest>? failure)
    {
        failure = null;
        if (prompt is JsonArray items && GetString(items[0]) is not null)
        {
            var strings = items.Select(item => GetString(item)!).ToList();
            failure = strings.IndexOf("") is var empty and >= 0 ? EmptyPrompt($"'prompt' item {empty}") : null;
            return failure is null ? strings : null;
        }

        if (prompt is not JsonArray { Count: > 1 } several || several[0] is not JsonArray)
        {
            return PromptText(prompt, out failure) is { } one ? [one] : null;
        }

        var texts = new List<string>(several.Count);
        foreach (var item in several)
        {
            if (PromptText(new JsonArray(item!.DeepClone()), out failure) is not { } text)
            {
                return null;
            }

            texts.Add(text);
        }

        return texts;
    }

    /// <summary>The one prompt's text: a string, one string in an array, token ids, or one token-id array; else the failure naming the form.</summary>
    private static string? PromptText(JsonNode? prompt, out TranslationResult<CanonicalRequest>? failure)
    {
        failure = null;
        if (GetString(prompt) is { } text)
        {
            failure = text.Length == 0 ? EmptyPrompt("'prompt'") : null;
            return failure is null ? text : null;
        }

        // CompletionsRequest.TryRead let through only a non-empty array of strings, of token ids, or of token-id arrays.
        var items = (JsonArray)prompt!;
        var tokenIds = items[0] is JsonValue && GetString(items[0]) is null;
        if (!tokenIds && items.Count > 1)
        {
            failure = TranslationResult<CanonicalRequest>.Failure("prompt", $"'prompt' holds {items.Count} prompts: {UseCompletionsApi}.");
            return null;
        }

        if (GetString(items[0]) is { } one)
        {
            failure = one.Length == 0 ? EmptyPrompt("'prompt' item 0") : null;
            return failure is null ? one : null;
        }

        var ids = (tokenIds ? items : (JsonArray)items[0]!).Select(id => (int)(GetInt64(id) ?? -1)).ToArray();
        if (PromptTokens.Decode(ids) is { } decoded)
        {
            return decoded;
        }

        failure = TranslationResult<CanonicalRequest>.Failure("prompt",
            $"'prompt' holds token ids the gateway's tokenizer ({PromptTokens.TokenizerName}) does not know: send the prompt as text, or use a deployment with use_completions_api.");
        return null;
    }

    /// <summary>An empty prompt, which the legacy engine answers and a chat model cannot: its turn would be an empty conversation.</summary>
    private static TranslationResult<CanonicalRequest> EmptyPrompt(string what) => new TranslationError("prompt",
        $"{what} is empty: a chat model cannot answer an empty prompt. Send some text, or use a deployment with use_completions_api.", "invalid_value");

    /// <summary>
    /// The first field only the legacy engine (or several answers, unless <paramref name="fannedOut"/>) needs, as the failure
    /// naming it; null when there is none.
    /// </summary>
    internal static TranslationResult<CanonicalRequest>? LegacyOnly(JsonObject body, bool fannedOut = false)
    {
        foreach (var (name, allowed) in (ReadOnlySpan<(string, string)>)[("suffix", ""), ("echo", "false"), ("logprobs", ""), ("best_of", "1"), ("n", "1")])
        {
            if (body[name] is { } value && value.ToJsonString() != allowed && !(fannedOut && name == "n"))
            {
                return TranslationResult<CanonicalRequest>.Failure(name, name == "n"
                    ? $"'n' asks for {value.ToJsonString()} answers: {UseCompletionsApi}."
                    : $"'{name}' is not supported when completions are translated to a chat model: use a deployment with use_completions_api.");
            }
        }

        return null;
    }
}
