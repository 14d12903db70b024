using System.Text.Json;
using System.Text.Json.Nodes;
using LlmGateway.Api.ClientApis.ChatCompletions;
using LlmGateway.Api.Configuration;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Translation;

namespace LlmGateway.Api.ClientApis.Completions;

/// <summary>
/// Several prompts or <c>n</c> &gt; 1 for a chat model: one chat completions call per prompt, with <c>n</c> where every deployment
/// the request may reach takes it (OpenAI-compatible servers), else <c>n</c> calls of the prompt (Anthropic, the mock).
/// A group with a <c>use_completions_api</c> deployment gets the body unchanged instead.
/// </summary>
public static class CompletionsFanOut
{
    private static readonly string[] LegacyFields = ["prompt", "n", "best_of", "echo", "logprobs", "suffix"];

    /// <summary>The calls' format: chat completions, passed through to OpenAI-compatible servers, translated for the rest.</summary>
    private static readonly IClientAdapter Chat = new ChatCompletionsAdapter();

    /// <summary>The plan, or the 400 that refuses the request; both null when one call answers it.</summary>
    public static (FanOutPlan? Plan, GatewayError? Error) Plan(
        JsonBody json, CompletionsRequest request, ModelGroup group, IReadOnlyList<ModelGroup> fallbacks, CompletionsOptions options)
    {
        if ((request.Prompts == 1 && request.N == 1) || group.Deployments.Any(d => d.UseCompletionsApi))
        {
            return default;
        }

        var answers = (long)request.Prompts * request.N;
        if (answers > options.MaxFanOut)
        {
            return (null, GatewayError.InvalidRequest(
                $"The request asks for {answers} answers ({request.Prompts} prompts × n {request.N}); a chat model answers one prompt per call, and this gateway "
                + $"allows {options.MaxFanOut} per request (Gateway:Completions:MaxFanOut). Send fewer prompts or a smaller n per request.",
                request.Prompts > 1 ? "prompt" : "n", "fan_out_limit"));
        }

        var body = (JsonObject)JsonNode.Parse(json.Bytes.Span)!;
        List<string>? texts = null;
        var refused = CompletionsRequestDecoder.LegacyOnly(body, fannedOut: true) is { } legacy
            ? ErrorOf(legacy)
            : (texts = CompletionsRequestDecoder.PromptTexts(body["prompt"], out var failure)) is null ? ErrorOf(failure!) : null;
        if (refused is not null)
        {
            return (null, refused);
        }

        var prompts = texts!;
        var nativeN = fallbacks.Prepend(group).SelectMany(g => g.Deployments).All(d => d.Provider is not (ProviderKind.Anthropic or ProviderKind.Mock));
        var calls = new List<ReadOnlyMemory<byte>>(nativeN ? prompts.Count : (int)answers);
        foreach (var text in prompts)
        {
            var chat = ChatBody(body, text, request, nativeN);
            for (var copy = 0; copy < (nativeN ? 1 : request.N); copy++)
            {
                calls.Add(chat);
            }
        }

        return (new FanOutPlan(Chat, calls, nativeN ? request.N : 1, CompletionsFanOutEncoder.Instance)
        {
            PromptCopies = nativeN ? 1 : request.N,
            Concurrency = Math.Max(1, options.MaxConcurrentCalls),
            IncludeUsage = request.IncludeUsage,
        }, null);
    }

    /// <summary>The chat completions body of one prompt: its text as the one user turn, the request's other fields as they are.</summary>
    private static byte[] ChatBody(JsonObject body, string prompt, CompletionsRequest request, bool nativeN)
    {
        var chat = new JsonObject
        {
            ["model"] = request.Model,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = prompt }),
            ["max_tokens"] = request.MaxTokens,
        };
        foreach (var (name, value) in body)
        {
            if (!LegacyFields.Contains(name) && !chat.ContainsKey(name))
            {
                chat[name] = value?.DeepClone();
            }
        }

        if (nativeN && request.N > 1)
        {
            chat["n"] = request.N;
        }

        return JsonSerializer.SerializeToUtf8Bytes(chat, TranslationJson.Options);
    }

    private static GatewayError ErrorOf(TranslationResult<CanonicalRequest> failure) =>
        GatewayError.InvalidRequest(failure.Error!.Message, failure.Error.Param, failure.Error.Code);
}
