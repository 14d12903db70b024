using System.Text.Json.Nodes;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Translation;

namespace LlmGateway.Api.Providers.Anthropic;

/// <summary>Canonical tools, tool choice and parallel tool calls → Anthropic's <c>tools</c> and <c>tool_choice</c>.</summary>
internal static class AnthropicToolEncoder
{
    public static TranslationError? Add(CanonicalRequest request, JsonObject body, bool dropParams)
    {
        var tools = new JsonArray();
        for (var k = 0; k < request.Tools.Count; k++)
        {
            var tool = request.Tools[k];
            if (tool.HostedType is null && !tool.Freeform)
            {
                tools.Add(Function(tool));
            }
            else if (!dropParams)
            {
                // Freeform tools take text, not an object, and hosted tools run at their own provider.
                return new TranslationError($"tools[{k}].type", tool.Freeform
                    ? "custom (freeform) tools are not supported by Anthropic models; use function tools or enable drop_params"
                    : $"only function tools are supported by Anthropic models; the hosted tool '{tool.HostedType}' runs only at its own provider (remove it or enable drop_params)");
            }
        }

        if (tools.Count == 0)
        {
            // Without tools, tool_choice and parallel_tool_calls mean nothing to Anthropic.
            return null;
        }

        body["tools"] = tools;
        var choice = Choice(request.ToolChoice);
        if (request.ParallelToolCalls == false && request.ToolChoice?.Kind != ToolChoiceKind.None)
        {
            choice ??= new JsonObject { ["type"] = "auto" };
            choice["disable_parallel_tool_use"] = true;
        }

        if (choice is not null)
        {
            body["tool_choice"] = choice;
        }

        return null;
    }

    /// <summary><c>strict</c> is not sent: older Claude models reject it.</summary>
    private static JsonObject Function(ToolDefinition tool)
    {
        var result = new JsonObject { ["name"] = tool.Name };
        if (tool.Description is { Length: > 0 } description)
        {
            result["description"] = description;
        }

        result["input_schema"] = tool.Parameters is JsonObject parameters
            ? parameters.DeepClone()
            : new JsonObject { ["type"] = "object", ["properties"] = new JsonObject() };
        return AnthropicContentEncoder.WithCacheControl(result, tool.CacheControl);
    }

    private static JsonObject? Choice(ToolChoice? choice) => choice?.Kind switch
    {
        ToolChoiceKind.Auto => new JsonObject { ["type"] = "auto" },
        ToolChoiceKind.None => new JsonObject { ["type"] = "none" },
        ToolChoiceKind.Required => new JsonObject { ["type"] = "any" },
        ToolChoiceKind.Named => new JsonObject { ["type"] = "tool", ["name"] = choice.Name },
        _ => null,
    };
}
