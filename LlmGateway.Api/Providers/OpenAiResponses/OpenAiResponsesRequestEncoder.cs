using System.Text.Json.Nodes;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Providers.OpenAiCompatible;
using LlmGateway.Api.Translation;

namespace LlmGateway.Api.Providers.OpenAiResponses;

/// <summary>
/// Writes a <see cref="CanonicalRequest"/> as a Responses API body (<c>POST /v1/responses</c>). What the gateway
/// translated is not stored upstream (<c>store: false</c>) unless the client asked for it; reasoning then comes back
/// as <c>encrypted_content</c>, so the next turn can return it.
/// </summary>
public static class OpenAiResponsesRequestEncoder
{
    /// <summary>The API refuses a smaller <c>max_output_tokens</c>.</summary>
    public const long MinOutputTokens = 16;

    public static TranslationResult<JsonObject> Encode(CanonicalRequest request, UpstreamTarget target)
    {
        if (request.StopSequences.Count > 0 && !target.DropParams)
        {
            return new TranslationError("stop", "stop sequences are not supported by OpenAI Responses deployments (set drop_params to drop them)");
        }

        var (instructions, input) = OpenAiResponsesInputEncoder.Encode(request.Messages);
        var body = new JsonObject { ["model"] = target.ProviderModel };
        if (instructions is not null)
        {
            body["instructions"] = instructions;
        }

        body["input"] = input;
        if (OutputLimit(request.MaxOutputTokens, target.MaxTokensCeiling) is { } limit)
        {
            body["max_output_tokens"] = Math.Max(limit, MinOutputTokens);
        }

        if (OpenAiResponsesToolEncoder.AddTools(request, target.DropParams, body) is { } error)
        {
            return error;
        }

        AddOptions(request, target, body);
        return body;
    }

    private static void AddOptions(CanonicalRequest request, UpstreamTarget target, JsonObject body)
    {
        if (request.Temperature is { } temperature)
        {
            body["temperature"] = temperature;
        }

        if (request.TopP is { } topP)
        {
            body["top_p"] = topP;
        }

        if (Format(request.ResponseFormat) is { } format)
        {
            body["text"] = new JsonObject { ["format"] = format };
        }

        var store = request.Unmapped.TryGetValue("store", out var asked) && asked is JsonValue value && value.TryGetValue<bool>(out var on) && on;
        body["store"] = store;
        if (OpenAiChatRequestEncoder.IsReasoningModel(target.ProviderModel) && OpenAiChatRequestEncoder.ReasoningEffort(request.Reasoning) is { } effort)
        {
            body["reasoning"] = new JsonObject { ["effort"] = effort, ["summary"] = "auto" };
            if (!store)
            {
                body["include"] = new JsonArray("reasoning.encrypted_content");
            }
        }

        if (request.Stream)
        {
            body["stream"] = true;
        }

        if (request.User is { Length: > 0 } user)
        {
            body["user"] = user;
        }
    }

    private static long? OutputLimit(long? requested, long? ceiling) =>
        requested is { } wanted && ceiling is { } max ? Math.Min(wanted, max) : requested ?? ceiling;

    private static JsonObject? Format(ResponseFormat? format)
    {
        switch (format?.Kind)
        {
            case ResponseFormatKind.JsonObject:
                return new JsonObject { ["type"] = "json_object" };
            case ResponseFormatKind.Text:
                return new JsonObject { ["type"] = "text" };
            case ResponseFormatKind.JsonSchema:
                var schema = new JsonObject { ["type"] = "json_schema", ["name"] = format.Name ?? "response" };
                if (format.Description is { Length: > 0 } description)
                {
                    schema["description"] = description;
                }

                schema["schema"] = format.Schema?.DeepClone() ?? new JsonObject();
                if (format.Strict is { } strict)
                {
                    schema["strict"] = strict;
                }

                return schema;
            default:
                return null;
        }
    }
}
