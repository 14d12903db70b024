using System.Text.Json.Nodes;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Translation;

namespace LlmGateway.Api.Providers.OpenAiCompatible;

/// <summary>
/// Writes a <see cref="CanonicalRequest"/> as an OpenAI chat completions body for an OpenAI-compatible deployment
/// (wire-formats §1, §10.2). Only standard fields are written: such servers reject what they do not know.
/// </summary>
public static class OpenAiChatRequestEncoder
{
    // OpenAI's reasoning model families, which take max_completion_tokens only, and reasoning_effort.
    private static readonly string[] ReasoningFamilies = ["o1", "o3", "o4", "gpt-5"];

    /// <summary>
    /// The body for <paramref name="target"/>. Top-k, cache hints and unmapped parameters are not sent, reasoning only
    /// to a reasoning model (as <c>reasoning_effort</c>); hosted tools are refused unless <see cref="UpstreamTarget.DropParams"/>.
    /// </summary>
    public static TranslationResult<JsonObject> Encode(CanonicalRequest request, UpstreamTarget target)
    {
        var body = new JsonObject
        {
            ["model"] = target.ProviderModel,
            ["messages"] = OpenAiChatMessageEncoder.Encode(request.Messages),
        };
        if (OutputLimit(request.MaxOutputTokens, target.MaxTokensCeiling) is { } limit)
        {
            // OpenAI's reasoning models refuse max_tokens; other OpenAI-compatible servers may not know its successor.
            body[IsReasoningModel(target.ProviderModel) ? "max_completion_tokens" : "max_tokens"] = limit;
        }

        // Other servers may refuse the field, and the gateway cannot ask them: it goes only where it is known to work.
        if (IsReasoningModel(target.ProviderModel) && ReasoningEffort(request.Reasoning) is { } effort)
        {
            body["reasoning_effort"] = effort;
        }

        AddSampling(request, body);
        if (OpenAiChatToolEncoder.AddTools(request, target.DropParams, body) is { } error)
        {
            return error;
        }

        if (ResponseFormat(request.ResponseFormat) is { } format)
        {
            body["response_format"] = format;
        }

        return body;
    }

    private static void AddSampling(CanonicalRequest request, JsonObject body)
    {
        if (request.Temperature is { } temperature)
        {
            body["temperature"] = temperature;
        }

        if (request.TopP is { } topP)
        {
            body["top_p"] = topP;
        }

        if (request.StopSequences.Count > 0)
        {
            body["stop"] = new JsonArray([.. request.StopSequences.Select(stop => (JsonNode)stop)]);
        }

        if (request.Stream)
        {
            body["stream"] = true;
            // Without it the stream carries no usage and the gateway cannot count or bill the tokens.
            body["stream_options"] = new JsonObject { ["include_usage"] = true };
        }

        if (request.User is { Length: > 0 } user)
        {
            body["user"] = user;
        }
    }

    /// <summary>The client's limit clamped to the deployment's ceiling; the ceiling when the client set none.</summary>
    private static long? OutputLimit(long? requested, long? ceiling) =>
        requested is { } wanted && ceiling is { } max ? Math.Min(wanted, max) : requested ?? ceiling;

    private static JsonObject? ResponseFormat(ResponseFormat? format) => format?.Kind switch
    {
        ResponseFormatKind.JsonSchema => new JsonObject
        {
            ["type"] = "json_schema",
            ["json_schema"] = JsonSchema(format),
        },
        ResponseFormatKind.JsonObject => new JsonObject { ["type"] = "json_object" },
        ResponseFormatKind.Text => new JsonObject { ["type"] = "text" },
        _ => null,
    };

    private static JsonObject JsonSchema(ResponseFormat format)
    {
        var schema = new JsonObject { ["name"] = format.Name ?? "response" };
        if (format.Description is { Length: > 0 } description)
        {
            schema["description"] = description;
        }

        if (format.Schema is { } definition)
        {
            schema["schema"] = definition.DeepClone();
        }

        if (format.Strict is { } strict)
        {
            schema["strict"] = strict;
        }

        return schema;
    }

    /// <summary>
    /// The client's effort as it is, else Anthropic's thinking budget by size: under 4,096 tokens low, under 16,384
    /// medium, else high; adaptive thinking medium; thinking disabled, none.
    /// </summary>
    public static string? ReasoningEffort(ReasoningRequest? reasoning) => reasoning switch
    {
        null or { Enabled: false } => null,
        { Effort: { Length: > 0 } effort } => effort,
        { BudgetTokens: < 4096 } => "low",
        { BudgetTokens: < 16384 } => "medium",
        { BudgetTokens: not null } => "high",
        _ => "medium",
    };

    internal static bool IsReasoningModel(string providerModel)
    {
        var name = providerModel.AsSpan(providerModel.LastIndexOf('/') + 1);
        foreach (var family in ReasoningFamilies)
        {
            if (name.StartsWith(family, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
