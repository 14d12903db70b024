using System.Text.Json.Nodes;
using LlmGateway.Api.Contracts;
using LlmGateway.Api.Translation;

namespace LlmGateway.Api.Providers.OpenAiCompatible;

/// <summary>Canonical tools and tool choice → OpenAI chat <c>tools</c>, <c>tool_choice</c> and <c>parallel_tool_calls</c>.</summary>
internal static class OpenAiChatToolEncoder
{
    /// <summary>Hosted tools are refused (or dropped with drop_params); without tools left, no choice is sent either.</summary>
    public static TranslationError? AddTools(CanonicalRequest request, bool dropParams, JsonObject body)
    {
        var tools = new JsonArray();
        var dropped = new HashSet<string>(StringComparer.Ordinal);
        for (var k = 0; k < request.Tools.Count; k++)
        {
            var tool = request.Tools[k];
            if (tool.HostedType is { } hostedType)
            {
                if (dropParams)
                {
                    dropped.Add(tool.Name);
                    continue;
                }

                return new TranslationError($"tools[{k}].type", $"hosted tool '{hostedType}' runs only at its own provider; this deployment (chat completions) cannot serve it. Remove it or enable drop_params");
            }

            tools.Add(tool.Freeform ? Custom(tool) : Function(tool));
        }

        // OpenAI refuses tool_choice and parallel_tool_calls without tools.
        if (tools.Count == 0)
        {
            return null;
        }

        body["tools"] = tools;
        if (Choice(request, dropped) is { } choice)
        {
            body["tool_choice"] = choice;
        }

        if (request.ParallelToolCalls == false)
        {
            body["parallel_tool_calls"] = false;
        }

        return null;
    }

    private static JsonObject Function(ToolDefinition tool)
    {
        var function = new JsonObject { ["name"] = tool.Name };
        if (tool.Description is { Length: > 0 } description)
        {
            function["description"] = description;
        }

        function["parameters"] = tool.Parameters?.DeepClone() ?? new JsonObject { ["type"] = "object", ["properties"] = new JsonObject() };
        if (tool.Strict is { } strict)
        {
            function["strict"] = strict;
        }

        return new JsonObject { ["type"] = "function", ["function"] = function };
    }

    /// <summary>OpenAI's freeform tool: text in, optionally constrained by a grammar.</summary>
    private static JsonObject Custom(ToolDefinition tool)
    {
        var custom = new JsonObject { ["name"] = tool.Name };
        if (tool.Description is { Length: > 0 } description)
        {
            custom["description"] = description;
        }

        if (tool.Format is { } format)
        {
            custom["format"] = format.DeepClone();
        }

        return new JsonObject { ["type"] = "custom", ["custom"] = custom };
    }

    /// <summary>A named choice of a tool that was dropped is dropped with it.</summary>
    private static JsonNode? Choice(CanonicalRequest request, HashSet<string> dropped) => request.ToolChoice switch
    {
        null => null,
        { Kind: ToolChoiceKind.Auto } => "auto",
        { Kind: ToolChoiceKind.Required } => "required",
        { Kind: ToolChoiceKind.None } => "none",
        { Name: { } name } when dropped.Contains(name) => null,
        { Name: var name } => Named(name ?? "", request.Tools.Exists(tool => tool.Freeform && tool.Name == name) ? "custom" : "function"),
    };

    private static JsonObject Named(string name, string type) => new()
    {
        ["type"] = type,
        [type] = new JsonObject { ["name"] = name },
    };
}
