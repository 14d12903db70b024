using System.Text.Json.Nodes;
using LlmGateway.Api.ClientApis.ChatCompletions;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Translation;
using static LlmGateway.Api.Contracts.TranslationJson;

namespace LlmGateway.Api.ClientApis.Completions;

/// <summary>A text completions request as a chat: the prompt is one user turn; the output limit defaults to OpenAI's 16.</summary>
public static class CompletionsRequestDecoder
{
    private static readonly HashSet<string> Mapped =
        ["model", "prompt", "max_tokens", "stream", "stream_options", "stop", "temperature", "top_p", "user", "n", "best_of", "echo", "logprobs", "suffix"];

    /// <summary>The canonical request of a body <see cref="CompletionsRequest.TryRead"/> accepted.</summary>
    public static TranslationResult<CanonicalRequest> Decode(JsonObject body)
    {
        var prompt = body["prompt"] is JsonArray { Count: 1 } one ? GetString(one[0]) : GetString(body["prompt"]);
        if (prompt is null)
        {
            return TranslationResult<CanonicalRequest>.Failure("prompt", "prompt must be a string or an array with one string");
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
}
